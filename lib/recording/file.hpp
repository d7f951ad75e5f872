#pragma once
// A recording file (docs/recording.md#file):
//   magic "NTREC\r\n\x1a" | u32 format version | u32 header length | header | u32 CRC-32(header)
//   then blocks, each:  "NTBK" | u32 compressed length | u32 raw length | u32 CRC-32(compressed)
//                       | compressed bytes
// The blocks are one zlib (deflate) stream cut with Z_SYNC_FLUSH: each block decompresses to
// whole records given the blocks before it, so a reader stops cleanly at the first incomplete
// or corrupt block with every record before it. The writer closes a block at least every
// flush interval (1 s): a crash loses at most that much.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "recording/codec.hpp"
#include "recording/records.hpp"

namespace nanotime::recording {

inline constexpr std::string_view kMagic{"NTREC\r\n\x1a", 8};
inline constexpr std::string_view kBlockMagic{"NTBK", 4};
inline constexpr std::uint32_t kFormatVersion = 2;        // what the writer writes
inline constexpr std::uint32_t kOldestFormatVersion = 1;  // the reader reads 1 … kFormatVersion
inline constexpr std::uint32_t kMaxHeaderBytes = 1u << 20;
inline constexpr std::uint32_t kMaxBlockBytes = 1u << 22;  // raw and compressed

// The file is not a recording this reader can read at all (foreign, unknown version, corrupt
// header): nothing in it is used.
class FormatError : public std::runtime_error {
 public:
  FormatError(std::size_t offset, const std::string& what);
  std::size_t offset() const { return offset_; }

 private:
  std::size_t offset_;
};

struct WriterOptions {
  std::size_t block_bytes = 64 * 1024;              // raw bytes that close a block
  std::int64_t flush_interval_ns = 1'000'000'000;   // a block is closed at least this often
  std::uint32_t format_version = kFormatVersion;    // 1: the old records (tests of the reader)
  int deflate_level = 6;  // zlib's default: 9 saves under 1 % here for a third more CPU
};

// Builds the file's bytes; the owner writes what take() returns (RecordingFile does).
class Writer {
 public:
  explicit Writer(const Header& header, WriterOptions options = {});
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Buffers the record; closes the block first if it has been open for the flush interval
  // (by the records' mono times) or is full.
  void append(const Record& r);
  // Closes the open block (if any records are in it) into the output.
  void close_block();
  // True when the open block has records older than the flush interval at mono_ns.
  bool flush_due(std::int64_t mono_ns) const;
  // The bytes ready for the file since the last take().
  std::string take();
  std::uint64_t file_bytes() const { return file_bytes_; }   // header + closed blocks
  std::uint64_t raw_bytes() const { return raw_bytes_; }     // records before compression

 private:
  struct Deflater;
  WriterOptions options_;
  std::unique_ptr<Deflater> deflater_;
  std::unique_ptr<CodecV2> v2_;  // version 2's state (null: version 1)
  std::string raw_;
  std::string out_;
  std::optional<std::int64_t> block_start_mono_ns_;
  std::int64_t previous_mono_ns_ = 0;  // in this block
  std::uint64_t file_bytes_ = 0;
  std::uint64_t raw_bytes_ = 0;
};

// magic … header CRC
std::string encode_header(const Header& header, std::uint32_t version = kFormatVersion);

// Records in the order they were recorded: one file (Reader) or a rotated run's parts (Chain).
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // The next record; nullopt at the end or where the recording stops being readable.
  virtual std::optional<Record> next() = 0;
};

// Reads a recording from its bytes (the whole file, in memory: it is compressed).
class Reader final : public RecordSource {
 public:
  // Throws FormatError when the file is not a readable recording.
  explicit Reader(std::string_view file);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  const Header& header() const { return header_; }
  std::uint32_t version() const { return version_; }
  // The next record; nullopt at the end of the file or where it stops being readable.
  std::optional<Record> next() override;
  // Where and why reading stopped before the end of the file (a truncated or corrupt tail):
  // "stopped at byte offset N: expected …". Empty while reading, or after a clean end.
  const std::string& stop_message() const { return stop_; }
  std::uint64_t records_read() const { return records_read_; }

 private:
  bool load_block();
  void stop(std::size_t offset, const std::string& expected);

  struct Inflater;
  std::unique_ptr<CodecV2> v2_;  // version 2's state (null: version 1)
  std::string_view file_;
  Header header_;
  std::uint32_t version_ = 0;
  std::size_t pos_ = 0;  // the next block's offset
  std::unique_ptr<Inflater> inflater_;
  std::string raw_;        // the current block's records
  std::size_t raw_pos_ = 0;
  std::size_t block_offset_ = 0;
  std::int64_t previous_mono_ns_ = 0;  // in this block
  bool done_ = false;
  std::string stop_;
  std::uint64_t records_read_ = 0;
};

}  // namespace nanotime::recording
