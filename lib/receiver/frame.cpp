#include "receiver/frame.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "ubx/frame.hpp"

namespace nanotime::receiver {
namespace {

using ubx::kSync1;
using ubx::kSync2;
constexpr std::size_t kHeader = ubx::kHeaderBytes, kChecksum = 2;
constexpr std::size_t kMaxPayload = ubx::kMaxPayloadBytes;  // more is a false sync or noise
constexpr std::size_t kMaxLine = 4096;  // NMEA is < 83 bytes; gpsd's DEVICES line can be ~1 kB

void checksum(std::span<const std::uint8_t> body, std::uint8_t& a, std::uint8_t& b) {
  std::tie(a, b) = ubx::checksum(body);
}

}  // namespace

Bytes encode(const Frame& f) { return ubx::encode(ubx::Frame{f.cls, f.id, f.payload}); }

std::string hex(std::span<const std::uint8_t> bytes) {
  std::string s;
  for (const std::uint8_t b : bytes) s += fmt::format("{:02x}", b);
  return s;
}

std::optional<std::int64_t> get_le(std::span<const std::uint8_t> p, std::size_t offset,
                                   std::size_t size, bool is_signed) {
  if (size == 0 || size > 8 || offset + size > p.size()) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < size; ++i) v |= static_cast<std::uint64_t>(p[offset + i]) << (8 * i);
  if (is_signed && size < 8 && (v >> (8 * size - 1)) & 1U) v |= ~0ULL << (8 * size);
  return static_cast<std::int64_t>(v);
}

void put_le(Bytes& p, std::size_t offset, std::size_t size, std::int64_t value) {
  if (p.size() < offset + size) p.resize(offset + size, 0);
  const auto u = static_cast<std::uint64_t>(value);
  for (std::size_t i = 0; i < size; ++i) p[offset + i] = static_cast<std::uint8_t>(u >> (8 * i));
}

void Deframer::feed(std::span<const std::uint8_t> bytes) {
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

std::optional<Deframer::Item> Deframer::next() {
  while (!buf_.empty()) {
    if (buf_[0] == kSync1) {
      if (buf_.size() < 2) return std::nullopt;
      if (buf_[1] != kSync2) {
        buf_.erase(buf_.begin());
        ++dropped_;
        continue;
      }
      if (buf_.size() < kHeader) return std::nullopt;
      const std::size_t len = buf_[4] | (static_cast<std::size_t>(buf_[5]) << 8);
      if (len > kMaxPayload) {
        buf_.erase(buf_.begin());
        ++dropped_;
        continue;
      }
      if (buf_.size() < kHeader + len + kChecksum) return std::nullopt;
      std::uint8_t a = 0, b = 0;
      checksum(std::span(buf_).subspan(2, 4 + len), a, b);
      if (a != buf_[kHeader + len] || b != buf_[kHeader + len + 1]) {
        buf_.erase(buf_.begin());  // resynchronise on the next B5
        ++dropped_;
        continue;
      }
      Frame f{buf_[2], buf_[3], Bytes(buf_.begin() + kHeader, buf_.begin() + kHeader + len)};
      buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(kHeader + len + kChecksum));
      return f;
    }
    if (buf_[0] == '$' || buf_[0] == '{') {
      const auto nl = std::find(buf_.begin(), buf_.end(), std::uint8_t{'\n'});
      const auto sync = std::find(buf_.begin() + 1, buf_.end(), kSync1);
      if (sync < nl) {  // a UBX frame cut into a text line: drop the partial line
        dropped_ += static_cast<std::size_t>(sync - buf_.begin());
        buf_.erase(buf_.begin(), sync);
        continue;
      }
      if (nl == buf_.end()) {
        if (buf_.size() > kMaxLine) {
          dropped_ += buf_.size();
          buf_.clear();
        }
        return std::nullopt;
      }
      std::string line(buf_.begin(), nl);
      buf_.erase(buf_.begin(), nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    buf_.erase(buf_.begin());
    ++dropped_;
  }
  return std::nullopt;
}

}  // namespace nanotime::receiver
