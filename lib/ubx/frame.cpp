#include "ubx/frame.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace nanotime::ubx {

std::pair<std::uint8_t, std::uint8_t> checksum(std::span<const std::uint8_t> bytes) {
  std::uint8_t a = 0;
  std::uint8_t b = 0;
  for (std::uint8_t x : bytes) {
    a = std::uint8_t(a + x);
    b = std::uint8_t(b + a);
  }
  return {a, b};
}

std::vector<std::uint8_t> encode(const Frame& frame) {
  const std::size_t n = std::min<std::size_t>(frame.payload.size(), 0xFFFF);
  std::vector<std::uint8_t> out;
  out.reserve(n + kOverheadBytes);
  out.push_back(kSync1);
  out.push_back(kSync2);
  out.push_back(frame.msg_class);
  out.push_back(frame.msg_id);
  out.push_back(std::uint8_t(n & 0xFF));
  out.push_back(std::uint8_t(n >> 8));
  out.insert(out.end(), frame.payload.begin(), frame.payload.begin() + std::ptrdiff_t(n));
  auto [ck_a, ck_b] = checksum(std::span(out).subspan(2));
  out.push_back(ck_a);
  out.push_back(ck_b);
  return out;
}

namespace {
struct Name {
  std::uint8_t msg_class, msg_id;
  const char* name;
};
constexpr Name kNames[] = {
    {0x01, 0x07, "NAV-PVT"},    {0x01, 0x26, "NAV-TIMELS"}, {0x01, 0x35, "NAV-SAT"},
    {0x05, 0x00, "ACK-NAK"},    {0x05, 0x01, "ACK-ACK"},    {0x06, 0x01, "CFG-MSG"},
    {0x06, 0x09, "CFG-CFG"},    {0x06, 0x24, "CFG-NAV5"},   {0x06, 0x31, "CFG-TP5"},
    {0x06, 0x3D, "CFG-TMODE2"}, {0x06, 0x8A, "CFG-VALSET"}, {0x06, 0x8B, "CFG-VALGET"},
    {0x06, 0x8C, "CFG-VALDEL"}, {0x0A, 0x04, "MON-VER"},    {0x0A, 0x09, "MON-HW"},
    {0x0A, 0x38, "MON-RF"},     {0x0D, 0x01, "TIM-TP"},     {0x0D, 0x04, "TIM-SVIN"},
};
}  // namespace

std::string message_name(std::uint8_t msg_class, std::uint8_t msg_id) {
  for (const auto& n : kNames) {
    if (n.msg_class == msg_class && n.msg_id == msg_id) return std::string("UBX-") + n.name;
  }
  return fmt::format("UBX-0x{:02X}-0x{:02X}", msg_class, msg_id);
}

FrameParser::FrameParser(std::size_t max_payload_bytes)
    : FrameParser(ParserOptions{.max_payload_bytes = max_payload_bytes}) {}

FrameParser::FrameParser(const ParserOptions& options)
    : max_payload_bytes_(std::min<std::size_t>(options.max_payload_bytes, 0xFFFF)),
      text_lines_(options.text_lines),
      max_queued_(std::max<std::size_t>(options.max_queued, 1)) {}

void FrameParser::reset() {
  buf_.clear();
  start_ = 0;
  ready_.clear();
}

void FrameParser::feed(std::span<const std::uint8_t> bytes) {
  // Append in slices no larger than one maximum frame and scan after each, so that the scan
  // buffer stays bounded however much one call hands over.
  const std::size_t slice = max_payload_bytes_ + kOverheadBytes;
  while (!bytes.empty()) {
    const std::size_t n = std::min(bytes.size(), slice);
    buf_.insert(buf_.end(), bytes.begin(), bytes.begin() + std::ptrdiff_t(n));
    bytes = bytes.subspan(n);
    scan();
  }
}

std::optional<FrameParser::Item> FrameParser::next_item() {
  if (ready_.empty()) return std::nullopt;
  Item item = std::move(ready_.front());
  ready_.pop_front();
  return item;
}

std::optional<Frame> FrameParser::next() {
  while (auto item = next_item()) {
    if (auto* f = std::get_if<Frame>(&*item)) return std::move(*f);
  }
  return std::nullopt;
}

void FrameParser::push(Item item) {
  if (ready_.size() >= max_queued_) {
    ready_.pop_front();
    ++queue_overflow_;
  }
  ready_.push_back(std::move(item));
}

void FrameParser::drop(std::size_t n) {
  garbage_bytes_ += n;
  start_ += n;
}

namespace {
bool starts_item(std::uint8_t b) { return b == kSync1 || b == '$' || b == '{'; }
}  // namespace

// A text line runs from '$' or '{' to '\n'. A sync byte before the newline is a frame cut into
// the line (the receiver interleaves whole messages only, so the line is lost): the partial
// line is dropped. False: the line is incomplete, wait for more bytes.
bool FrameParser::take_line(const std::uint8_t* p, std::size_t avail) {
  const std::uint8_t* end = p + avail;
  const std::uint8_t* nl = std::find(p, end, std::uint8_t{'\n'});
  const std::uint8_t* sync = std::find(p + 1, nl, kSync1);
  if (sync != nl) {
    drop(std::size_t(sync - p));
    return true;
  }
  if (nl == end) {
    if (avail <= kMaxLineBytes) return false;
    drop(avail);
    return true;
  }
  std::string line(p, nl);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  push(std::move(line));
  ++lines_;
  start_ += std::size_t(nl - p) + 1;
  return true;
}

// Looks for a frame (or, with text_lines, a line) at start_. A candidate that fails (absurd length, bad checksum) costs only
// its first sync byte, so a real frame that begins inside it is still found.
void FrameParser::scan() {
  for (;;) {
    const std::size_t avail = buf_.size() - start_;
    const std::uint8_t* p = buf_.data() + start_;
    const auto* first = text_lines_ ? std::find_if(p, p + avail, starts_item)
                                    : std::find(p, p + avail, kSync1);
    if (first != p) {
      drop(std::size_t(first - p));
      continue;
    }
    if (avail == 0) break;
    if (p[0] != kSync1) {
      if (take_line(p, avail)) continue;
      break;
    }
    if (avail < 2) break;
    if (p[1] != kSync2) {
      drop(1);
      continue;
    }
    if (avail < kHeaderBytes) break;
    const std::size_t len = std::size_t(p[4]) | (std::size_t(p[5]) << 8);
    if (len > max_payload_bytes_) {
      ++oversize_;
      drop(1);
      continue;
    }
    if (avail < len + kOverheadBytes) break;
    auto [ck_a, ck_b] = checksum(std::span(p + 2, len + 4));
    if (ck_a != p[len + 6] || ck_b != p[len + 7]) {
      ++bad_checksums_;
      drop(1);
      continue;
    }
    push(Frame{p[2], p[3], std::vector<std::uint8_t>(p + kHeaderBytes, p + kHeaderBytes + len)});
    ++frames_;
    start_ += len + kOverheadBytes;
  }
  // Compact: keep only the unscanned tail (less than one maximum frame or line).
  if (start_ > 0) {
    buf_.erase(buf_.begin(), buf_.begin() + std::ptrdiff_t(start_));
    start_ = 0;
  }
}

}  // namespace nanotime::ubx
