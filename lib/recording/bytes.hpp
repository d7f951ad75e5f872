#pragma once
// Little-endian fixed-width fields, the only encoding the format uses (docs/recording.md).
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
  std::string str() {
    const std::uint32_t n = u32();
    need(n);
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
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
