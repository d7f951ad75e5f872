#pragma once
// One record's frame (docs/recording.md#records):
//   u8 type | u32 payload length | i64 mono_ns − previous | payload | u32 CRC-32 of all before it
// `previous` is the mono_ns of the record before it in the same block (0 for a block's first).
// The payload's fields are the record type's, little-endian, in declaration order; clock reads
// relative to the stamp, a PHC read's sample relative to its `before` (docs/recording.md).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "recording/bytes.hpp"
#include "recording/records.hpp"

namespace nanotime::recording {

inline constexpr std::size_t kFrameOverhead = 1 + 4 + 8 + 4;
inline constexpr std::uint32_t kMaxPayload = 1u << 20;  // far above any real record

void encode_record(const Record& r, std::string& out, std::int64_t previous_mono_ns = 0);

// Decodes the frame at the start of `in`. On success: the record and its frame's size. On
// failure: a sentence saying what was expected (the caller adds the offset).
struct Decoded {
  std::optional<Record> record;
  std::size_t size = 0;
  std::string error;
};
Decoded decode_record(std::string_view in, std::int64_t previous_mono_ns = 0);

std::uint32_t crc32_of(std::string_view bytes);

// Format version 2's records (docs/recording.md#records-v2):
//   u8 type | varint payload length | zigzag varint mono_ns − previous | payload
// `previous` is the record before it in the file (0 for the first). No CRC per record: the
// block's CRC-32 covers them. Fields are varints, and the clock-like ones are predicted from
// the same field of the previous record of their kind, so a coder holds the file's state:
// one per file, fed every record in file order (encode and decode alike).
class CodecV2 {
 public:
  CodecV2();
  ~CodecV2();
  CodecV2(const CodecV2&) = delete;
  CodecV2& operator=(const CodecV2&) = delete;

  void encode(const Record& r, std::string& out);
  // As decode_record; after a failure the state is undefined (the reader stops there).
  Decoded decode(std::string_view in);

 private:
  enum Slot : std::size_t;
  struct State;
  void put_delta(ByteWriter& w, Slot k, std::int64_t v);
  std::int64_t get_delta(ByteReader& r, Slot k);
  void put_delta2(ByteWriter& w, Slot k, std::int64_t v);
  std::int64_t get_delta2(ByteReader& r, Slot k);
  void put_xor(ByteWriter& w, Slot k, double v);
  double get_xor(ByteReader& r, Slot k);
  void put_milli(ByteWriter& w, Slot k, double v);
  double get_milli(ByteReader& r, Slot k);
  void put_event(ByteWriter& w, const gpsd::Event& e);
  gpsd::Event get_event(ByteReader& r);
  void put_body(ByteWriter& w, const Body& body, std::int64_t stamp);
  Body get_body(std::uint8_t code, ByteReader& r, std::int64_t stamp);
  static discipline::ClockQuality get_quality(ByteReader& r);
  std::unique_ptr<State> s_;
};

}  // namespace nanotime::recording
