#pragma once
// Little-endian fixed-width fields (format version 1) and LEB128 varints (version 2, plain
// and zigzag for signed values), docs/recording.md.
// ByteReader never reads past its end: a short field throws ShortInput, which the record
// decoder turns into a message naming the offset.

#include <bit>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace nanotime::recording {

struct ShortInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void i32(std::int32_t v) { u32(static_cast<std::uint32_t>(v)); }
  void f64(double v) { u64(std::bit_cast<std::uint64_t>(v)); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  // Varints: 7 bits a byte, low bits first, the high bit set on every byte but the last.
  void uv(std::uint64_t v) {
    while (v >= 0x80) {
      u8(static_cast<std::uint8_t>(v | 0x80));
      v >>= 7;
    }
    u8(static_cast<std::uint8_t>(v));
  }
  // Zigzag: 0, −1, 1, −2, … as 0, 1, 2, 3, … so that small negatives are short too.
  void sv(std::int64_t v) {
    uv((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  void vstr(std::string_view s) {
    uv(s.size());
    out_.append(s);
  }

 private:
  std::string& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  std::size_t pos() const { return pos_; }
  std::size_t left() const { return in_.size() - pos_; }
  std::uint8_t u8() {
    need(1);
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  std::uint32_t u32() {
    need(4);
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= std::uint32_t{static_cast<std::uint8_t>(in_[pos_++])} << (8 * i);
    return v;
  }
  std::uint64_t u64() {
    need(8);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t{static_cast<std::uint8_t>(in_[pos_++])} << (8 * i);
    return v;
  }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
  double f64() { return std::bit_cast<double>(u64()); }
  bool boolean() {
    const std::uint8_t v = u8();
    if (v > 1) throw ShortInput("a boolean is 0 or 1, found " + std::to_string(v));
    return v == 1;
  }
  std::string str() { return bytes(u32()); }
  // A varint in its shortest form (a longer one would not re-encode to the same bytes).
  std::uint64_t uv() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::uint8_t b = u8();
      if (shift == 63 && b > 1) throw ShortInput("a varint beyond 64 bits");
      v |= std::uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) {
        if (b == 0 && shift > 0) throw ShortInput("a varint not in its shortest form");
        return v;
      }
    }
    throw ShortInput("a varint beyond 64 bits");
  }
  std::int64_t sv() {
    const std::uint64_t z = uv();
    return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  // A varint that must fit in 32 bits (a channel, a pin, a count).
  std::uint32_t uv32() {
    const std::uint64_t v = uv();
    if (v > 0xffffffffu) throw ShortInput("a 32-bit field of " + std::to_string(v));
    return static_cast<std::uint32_t>(v);
  }
  std::int32_t sv32() {
    const std::int64_t v = sv();
    if (v < INT32_MIN || v > INT32_MAX) throw ShortInput("a 32-bit field of " + std::to_string(v));
    return static_cast<std::int32_t>(v);
  }
  std::string vstr() {
    const std::uint64_t n = uv();
    if (n > left()) throw ShortInput("a string of " + std::to_string(n) + " bytes, " +
                                     std::to_string(left()) + " left");
    return bytes(static_cast<std::size_t>(n));
  }
  std::uint32_t vcount(std::size_t min_item_bytes) {
    const std::uint64_t n = uv();
    if (n > left() / min_item_bytes) {
      throw ShortInput("a count of " + std::to_string(n) + " items does not fit in the " +
                       std::to_string(left()) + " bytes left");
    }
    return static_cast<std::uint32_t>(n);
  }
  // A count of items of at least min_item_bytes each: bounded by what is left, so a corrupt
  // count cannot make the decoder reserve gigabytes.
  std::uint32_t count(std::size_t min_item_bytes) {
    const std::uint32_t n = u32();
    if (min_item_bytes > 0 && n > left() / min_item_bytes) {
      throw ShortInput("a count of " + std::to_string(n) + " items does not fit in the " +
                       std::to_string(left()) + " bytes left");
    }
    return n;
  }

 private:
  std::string bytes(std::size_t n) {
    need(n);
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  void need(std::size_t n) const {
    if (left() < n) {
      throw ShortInput("needs " + std::to_string(n) + " more bytes, " + std::to_string(left()) +
                       " left");
    }
  }
  std::string_view in_;
  std::size_t pos_ = 0;
};

}  // namespace nanotime::recording
