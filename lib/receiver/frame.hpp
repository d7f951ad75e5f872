#pragma once
// The UBX frames the planner and the Apply machine speak. Encoding and deframing are lib/ubx's
// (ubx::FrameParser with ParserOptions::text_lines also hands out the receiver's boot banner
// and gpsd's JSON lines). Layouts live in plan.cpp.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ubx/frame.hpp"

namespace nanotime::receiver {

using Bytes = std::vector<std::uint8_t>;

using ubx::Frame;  // msg_class, msg_id, payload

inline constexpr std::uint8_t kClsNav = 0x01, kClsAck = 0x05, kClsCfg = 0x06, kClsMon = 0x0A,
                              kClsTim = 0x0D;

using ubx::encode;  // B5 62 class id len(LE16) payload ck_a ck_b
std::string hex(std::span<const std::uint8_t> bytes);

// Little-endian field access; out-of-range reads give nullopt (a short reply is not a crash).
std::optional<std::int64_t> get_le(std::span<const std::uint8_t> p, std::size_t offset,
                                   std::size_t size, bool is_signed);
void put_le(Bytes& p, std::size_t offset, std::size_t size, std::int64_t value);

}  // namespace nanotime::receiver
