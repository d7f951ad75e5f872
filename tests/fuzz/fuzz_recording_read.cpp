// libFuzzer target: the field-recording reader (lib/recording) on arbitrary bytes. Two ways
// in, chosen by the first byte, so that the fuzzer reaches the record decoder without having
// to forge CRCs and deflate streams: (even) a whole file through recording::Reader — header,
// blocks, inflate, records; (odd) the rest as decompressed block data through decode_record
// (version 1) or, with bit 1 set too, through a version 2 CodecV2.
// Either must end with records or a message naming the offset, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "recording/codec.hpp"
#include "recording/file.hpp"

namespace r = nanotime::recording;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] & 1) == 0) {
    try {
      r::Reader reader(in);
      std::size_t n = 0;
      while (auto rec = reader.next()) {
        (void)r::describe(rec->body);
        if (++n > size) __builtin_trap();  // every record takes bytes: no endless stream
      }
    } catch (const r::FormatError& e) {
      if (e.offset() > in.size()) __builtin_trap();  // the offset is inside the file
    }
    return 0;
  }
  if ((data[0] & 2) != 0) {
    // Version 2: a decoder and an encoder each keep the file's state; what decodes must
    // encode to the same bytes, record after record.
    r::CodecV2 dec;
    r::CodecV2 enc;
    std::string_view rest = in;
    while (!rest.empty()) {
      const r::Decoded d = dec.decode(rest);
      if (!d.record) break;
      if (d.size == 0 || d.size > rest.size()) __builtin_trap();
      std::string again;
      enc.encode(*d.record, again);
      if (std::string_view(again) != rest.substr(0, d.size)) __builtin_trap();
      (void)r::describe(d.record->body);
      rest.remove_prefix(d.size);
    }
    return 0;
  }
  std::int64_t previous = 0;
  std::string_view rest = in;
  while (!rest.empty()) {
    const r::Decoded d = r::decode_record(rest, previous);
    if (!d.record) break;
    if (d.size == 0 || d.size > rest.size()) __builtin_trap();
    // What decodes must encode to the same bytes (the format is exact).
    std::string again;
    r::encode_record(*d.record, again, previous);
    if (std::string_view(again) != rest.substr(0, d.size)) __builtin_trap();
    (void)r::describe(d.record->body);
    previous = d.record->mono_ns;
    rest.remove_prefix(d.size);
  }
  return 0;
}
