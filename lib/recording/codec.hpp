#pragma once
// One record's frame (docs/recording.md#records):
//   u8 type | u32 payload length | i64 mono_ns − previous | payload | u32 CRC-32 of all before it
// `previous` is the mono_ns of the record before it in the same block (0 for a block's first).
// The payload's fields are the record type's, little-endian, in declaration order; clock reads
// relative to the stamp, a PHC read's sample relative to its `before` (docs/recording.md).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace nanotime::recording
