#pragma once
// The UBX frames the planner and the Apply machine speak, and a deframer for the receiver's
// byte stream (UBX mixed with NMEA text, or with gpsd's JSON lines when read through gpsd).
// Encoding is lib/ubx's; the deframer is separate because it also hands out the text lines
// (a receiver's boot banner) that lib/ubx's FrameParser skips. Layouts live in plan.cpp.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace nanotime::receiver {

using Bytes = std::vector<std::uint8_t>;

struct Frame {
  std::uint8_t cls = 0;
  std::uint8_t id = 0;
  Bytes payload;
  bool operator==(const Frame&) const = default;
};

inline constexpr std::uint8_t kClsNav = 0x01, kClsAck = 0x05, kClsCfg = 0x06, kClsMon = 0x0A,
                              kClsTim = 0x0D;

// B5 62 cls id len(LE16) payload ck_a ck_b (8-bit Fletcher over cls..payload).
Bytes encode(const Frame& f);
std::string hex(std::span<const std::uint8_t> bytes);

// Little-endian field access; out-of-range reads give nullopt (a short reply is not a crash).
std::optional<std::int64_t> get_le(std::span<const std::uint8_t> p, std::size_t offset,
                                   std::size_t size, bool is_signed);
void put_le(Bytes& p, std::size_t offset, std::size_t size, std::int64_t value);

// Splits a byte stream into UBX frames and text lines ("$GNTXT,...", gpsd JSON). Bytes that fit
// neither (a bad checksum, line noise) are dropped and counted.
class Deframer {
 public:
  using Item = std::variant<Frame, std::string>;
  void feed(std::span<const std::uint8_t> bytes);
  std::optional<Item> next();
  std::size_t dropped_bytes() const { return dropped_; }

 private:
  Bytes buf_;
  std::size_t dropped_ = 0;
};

}  // namespace nanotime::receiver
