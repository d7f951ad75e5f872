#include "recording/file.hpp"

#include <zlib.h>

#include <utility>

#include <fmt/format.h>

#include "recording/bytes.hpp"
#include "recording/codec.hpp"

namespace nanotime::recording {
namespace {

std::string printable(std::string_view bytes) {
  std::string s;
  for (const char c : bytes) s += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return s;
}

}  // namespace

FormatError::FormatError(std::size_t offset, const std::string& what)
    : std::runtime_error(fmt::format("byte offset {}: {}", offset, what)), offset_(offset) {}

// ---- writer ----

struct Writer::Deflater {
  z_stream z{};
  explicit Deflater(int level) {
    if (deflateInit(&z, level) != Z_OK) throw std::bad_alloc();
  }
  ~Deflater() { deflateEnd(&z); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // All of `raw`, cut with Z_SYNC_FLUSH: the reader gets every byte of it from this block.
  std::string compress(std::string_view raw) {
    std::string out;
    out.resize(deflateBound(&z, static_cast<uLong>(raw.size())) + 64);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
    z.avail_in = static_cast<uInt>(raw.size());
    std::size_t used = 0;
    for (;;) {
      z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
      z.avail_out = static_cast<uInt>(out.size() - used);
      deflate(&z, Z_SYNC_FLUSH);
      used = out.size() - z.avail_out;
      if (z.avail_in == 0 && z.avail_out > 0) break;
      out.resize(out.size() * 2);
    }
    out.resize(used);
    return out;
  }
};

std::string encode_header(const Header& header, std::uint32_t version) {
  std::string body;
  ByteWriter bw(body);
  bw.u32(static_cast<std::uint32_t>(header.size()));
  for (const auto& [k, v] : header) {
    bw.str(k);
    bw.str(v);
  }
  std::string out(kMagic);
  ByteWriter w(out);
  w.u32(version);
  w.u32(static_cast<std::uint32_t>(body.size()));
  out += body;
  w.u32(crc32_of(body));
  return out;
}

Writer::Writer(const Header& header, WriterOptions options)
    : options_(options), deflater_(std::make_unique<Deflater>(options.deflate_level)) {
  if (options_.format_version < kOldestFormatVersion || options_.format_version > kFormatVersion) {
    throw std::invalid_argument(fmt::format("no writer for format version {}",
                                            options_.format_version));
  }
  if (options_.format_version >= 2) v2_ = std::make_unique<CodecV2>();
  out_ = encode_header(header, options_.format_version);
  file_bytes_ = out_.size();
}

Writer::~Writer() = default;

bool Writer::flush_due(std::int64_t mono_ns) const {
  return block_start_mono_ns_ && mono_ns - *block_start_mono_ns_ >= options_.flush_interval_ns;
}

void Writer::append(const Record& r) {
  if (flush_due(r.mono_ns) || raw_.size() >= options_.block_bytes) close_block();
  if (!block_start_mono_ns_) block_start_mono_ns_ = r.mono_ns;
  const std::size_t before = raw_.size();
  if (v2_) {
    v2_->encode(r, raw_);
  } else {
    encode_record(r, raw_, previous_mono_ns_);
    previous_mono_ns_ = r.mono_ns;
  }
  raw_bytes_ += raw_.size() - before;
}

void Writer::close_block() {
  block_start_mono_ns_.reset();
  previous_mono_ns_ = 0;
  if (raw_.empty()) return;
  const std::string compressed = deflater_->compress(raw_);
  const std::size_t before = out_.size();
  out_ += kBlockMagic;
  ByteWriter w(out_);
  w.u32(static_cast<std::uint32_t>(compressed.size()));
  w.u32(static_cast<std::uint32_t>(raw_.size()));
  w.u32(crc32_of(compressed));
  out_ += compressed;
  file_bytes_ += out_.size() - before;
  raw_.clear();
}

std::string Writer::take() { return std::exchange(out_, {}); }

// ---- reader ----

struct Reader::Inflater {
  z_stream z{};
  Inflater() {
    if (inflateInit(&z) != Z_OK) throw std::bad_alloc();
  }
  ~Inflater() { inflateEnd(&z); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Exactly raw_len bytes from `compressed`, or an error sentence.
  std::string inflate_block(std::string_view compressed, std::uint32_t raw_len, std::string& out) {
    out.assign(raw_len, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    z.avail_in = static_cast<uInt>(compressed.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = raw_len;
    const int rc = inflate(&z, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) {
      return fmt::format("deflate data that inflates (zlib: {})", z.msg ? z.msg : "error");
    }
    if (z.avail_out != 0 || z.avail_in != 0) {
      return fmt::format("compressed data of {} raw bytes, got {} with {} compressed bytes left",
                         raw_len, raw_len - z.avail_out, z.avail_in);
    }
    return {};
  }
};

Reader::Reader(std::string_view file) : file_(file), inflater_(std::make_unique<Inflater>()) {
  if (file.size() < kMagic.size() || file.substr(0, kMagic.size()) != kMagic) {
    throw FormatError(0, fmt::format("not a nanotime recording: expected the magic {} "
                                     "(\"NTREC\\r\\n\\x1a\"), found {}",
                                     printable(kMagic), printable(file.substr(0, kMagic.size()))));
  }
  ByteReader r(file.substr(kMagic.size()));
  try {
    version_ = r.u32();
  } catch (const ShortInput&) {
    throw FormatError(kMagic.size(), "expected the format version (4 bytes), the file ends");
  }
  if (version_ < kOldestFormatVersion || version_ > kFormatVersion) {
    throw FormatError(kMagic.size(),
                      fmt::format("format version {} is unknown: this reader reads versions {} "
                                  "to {} (a newer nanotime wrote it?)",
                                  version_, kOldestFormatVersion, kFormatVersion));
  }
  if (version_ >= 2) v2_ = std::make_unique<CodecV2>();
  const std::size_t len_at = kMagic.size() + 4;
  std::uint32_t len = 0;
  try {
    len = r.u32();
  } catch (const ShortInput&) {
    throw FormatError(len_at, "expected the header length (4 bytes), the file ends");
  }
  if (len > kMaxHeaderBytes || len + 4 > r.left()) {
    throw FormatError(len_at, fmt::format("expected a header of {} bytes and its CRC, {} bytes "
                                          "left (truncated or corrupt header)",
                                          len, r.left()));
  }
  const std::size_t body_at = len_at + 4;
  const std::string_view body = file.substr(body_at, len);
  ByteReader crc(file.substr(body_at + len, 4));
  const std::uint32_t stored = crc.u32();
  if (stored != crc32_of(body)) {
    throw FormatError(body_at + len, fmt::format("header CRC-32 {:08x}, found {:08x} (corrupt header)",
                                                 crc32_of(body), stored));
  }
  try {
    ByteReader h(body);
    const std::uint32_t n = h.count(8);
    for (std::uint32_t i = 0; i < n; ++i) {
      std::string k = h.str();
      header_[std::move(k)] = h.str();
    }
    if (h.left() != 0) throw ShortInput(fmt::format("{} bytes after the last entry", h.left()));
  } catch (const ShortInput& e) {
    throw FormatError(body_at, fmt::format("a header of key/value strings: {}", e.what()));
  }
  pos_ = body_at + len + 4;
}

Reader::~Reader() = default;

void Reader::stop(std::size_t offset, const std::string& expected) {
  done_ = true;
  stop_ = fmt::format("recording stops at byte offset {} of {}: expected {}; the {} records "
                      "before it are used, the rest is ignored",
                      offset, file_.size(), expected, records_read_);
}

bool Reader::load_block() {
  if (pos_ == file_.size()) {
    done_ = true;  // a clean end
    return false;
  }
  constexpr std::size_t kBlockHead = 16;
  if (file_.size() - pos_ < kBlockHead) {
    stop(pos_, fmt::format("a block header ({} bytes), {} bytes left (truncated)", kBlockHead,
                           file_.size() - pos_));
    return false;
  }
  if (file_.substr(pos_, 4) != kBlockMagic) {
    stop(pos_, fmt::format("a block's magic \"NTBK\", found {}", printable(file_.substr(pos_, 4))));
    return false;
  }
  ByteReader h(file_.substr(pos_ + 4, 12));
  const std::uint32_t clen = h.u32();
  const std::uint32_t rlen = h.u32();
  const std::uint32_t crc = h.u32();
  if (clen > kMaxBlockBytes || rlen > kMaxBlockBytes || rlen == 0) {
    stop(pos_, fmt::format("block lengths up to {} bytes, found {} compressed / {} raw (corrupt)",
                           kMaxBlockBytes, clen, rlen));
    return false;
  }
  if (file_.size() - pos_ - kBlockHead < clen) {
    stop(pos_, fmt::format("a block of {} compressed bytes, {} left (truncated)", clen,
                           file_.size() - pos_ - kBlockHead));
    return false;
  }
  const std::string_view compressed = file_.substr(pos_ + kBlockHead, clen);
  if (crc32_of(compressed) != crc) {
    stop(pos_, fmt::format("block CRC-32 {:08x}, found {:08x} (corrupt)", crc32_of(compressed), crc));
    return false;
  }
  const std::string err = inflater_->inflate_block(compressed, rlen, raw_);
  if (!err.empty()) {
    stop(pos_, err);
    return false;
  }
  block_offset_ = pos_;
  pos_ += kBlockHead + clen;
  raw_pos_ = 0;
  previous_mono_ns_ = 0;
  return true;
}

std::optional<Record> Reader::next() {
  while (!done_) {
    if (raw_pos_ >= raw_.size()) {
      if (!load_block()) return std::nullopt;
      continue;
    }
    const std::string_view rest = std::string_view(raw_).substr(raw_pos_);
    Decoded d = v2_ ? v2_->decode(rest) : decode_record(rest, previous_mono_ns_);
    if (!d.record) {
      stop(block_offset_, fmt::format("{} (at byte {} of the block's {} decompressed bytes)",
                                      d.error, raw_pos_, raw_.size()));
      return std::nullopt;
    }
    raw_pos_ += d.size;
    previous_mono_ns_ = d.record->mono_ns;
    ++records_read_;
    return std::move(d.record);
  }
  return std::nullopt;
}

}  // namespace nanotime::recording
