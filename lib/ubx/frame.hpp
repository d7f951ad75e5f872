#pragma once
// UBX frames (u-blox binary protocol), independent of any message:
//
//   0xB5 0x62  class  id  length (u16, little-endian)  payload[length]  CK_A CK_B
//
// CK_A/CK_B is the 8-bit Fletcher checksum over class, id, length and payload. Pure: no I/O,
// no clocks. A receiver port interleaves UBX with NMEA (and gpsd adds JSON), so the parser
// must find frames in any byte stream and resynchronise after whatever is not a frame.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace nanotime::ubx {

constexpr std::uint8_t kSync1 = 0xB5;
constexpr std::uint8_t kSync2 = 0x62;
constexpr std::size_t kHeaderBytes = 6;    // sync(2) class id length(2)
constexpr std::size_t kOverheadBytes = 8;  // header + checksum(2)
// No message we read or write comes close (NAV-SAT with 100 satellites is 1208 bytes); a
// larger length is a false sync in text or line noise.
constexpr std::size_t kMaxPayloadBytes = 4096;
// A text line (NMEA is < 83 bytes; gpsd's DEVICES line can be ~1 kB) longer than this without
// its newline is noise and dropped.
constexpr std::size_t kMaxLineBytes = 4096;

struct Frame {
  std::uint8_t msg_class = 0;
  std::uint8_t msg_id = 0;
  std::vector<std::uint8_t> payload;
  friend bool operator==(const Frame&, const Frame&) = default;
};

// Fletcher-8 over `bytes` (class..payload): {CK_A, CK_B}.
std::pair<std::uint8_t, std::uint8_t> checksum(std::span<const std::uint8_t> bytes);

// The whole frame on the wire. A payload longer than 65535 bytes cannot be framed: it is
// truncated to 65535 (no caller builds one; the limit is the u16 length field).
std::vector<std::uint8_t> encode(const Frame& frame);

// "UBX-TIM-SVIN" for the messages this library knows, "UBX-0x0D-0x99" otherwise.
std::string message_name(std::uint8_t msg_class, std::uint8_t msg_id);
inline std::string message_name(const Frame& f) { return message_name(f.msg_class, f.msg_id); }

struct ParserOptions {
  std::size_t max_payload_bytes = kMaxPayloadBytes;
  // Also hand out the text lines between frames: lines starting with '$' (NMEA, e.g. the
  // receiver's boot banner "$GNTXT,...") or '{' (gpsd's JSON replies), without "\r\n".
  bool text_lines = false;
  // Items (frames and lines) waiting for next()/next_item(); older ones are dropped.
  std::size_t max_queued = 64;
};

// Streaming parser: feed() any bytes, then take complete frames with next() (or, with
// ParserOptions::text_lines, frames and text lines in stream order with next_item()). Bytes
// that are not part of a valid frame (or kept line) are dropped and counted. Memory is bounded
// whatever is fed and however rarely next() is called: the scan buffer never holds more than
// one maximum frame (or line), and at most `max_queued` items wait (older ones are dropped and
// counted in `queue_overflow`).
class FrameParser {
 public:
  using Item = std::variant<Frame, std::string>;
  static constexpr std::size_t kMaxQueuedFrames = ParserOptions{}.max_queued;

  explicit FrameParser(std::size_t max_payload_bytes = kMaxPayloadBytes);
  explicit FrameParser(const ParserOptions& options);

  void feed(std::span<const std::uint8_t> bytes);
  // The next frame; text lines queued before it are skipped.
  std::optional<Frame> next();
  // The next frame or text line, in the order they arrived.
  std::optional<Item> next_item();

  // Drops any partial frame and queued frames (e.g. after a reconnect); counters stay.
  void reset();

  std::uint64_t frames() const { return frames_; }                // valid frames found
  std::uint64_t garbage_bytes() const { return garbage_bytes_; }  // bytes dropped while scanning
  std::uint64_t bad_checksums() const { return bad_checksums_; }  // candidate frames rejected
  std::uint64_t oversize() const { return oversize_; }            // lengths above the cap
  std::uint64_t lines() const { return lines_; }                  // text lines kept
  std::uint64_t queue_overflow() const { return queue_overflow_; }
  std::size_t buffered_bytes() const { return buf_.size() - start_; }

 private:
  void scan();
  bool take_line(const std::uint8_t* p, std::size_t avail);
  void drop(std::size_t n);
  void push(Item item);

  std::size_t max_payload_bytes_;
  bool text_lines_;
  std::size_t max_queued_;
  std::vector<std::uint8_t> buf_;
  std::size_t start_ = 0;  // first unscanned byte in buf_
  std::deque<Item> ready_;
  std::uint64_t frames_ = 0;
  std::uint64_t lines_ = 0;
  std::uint64_t garbage_bytes_ = 0;
  std::uint64_t bad_checksums_ = 0;
  std::uint64_t oversize_ = 0;
  std::uint64_t queue_overflow_ = 0;
};

}  // namespace nanotime::ubx
