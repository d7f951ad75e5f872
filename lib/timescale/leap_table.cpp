#include "timescale/leap_table.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace nanotime::timescale {

LeapParseError::LeapParseError(std::string source, int line, const std::string& what)
    : std::runtime_error(source + ":" + std::to_string(line) + ": " + what), line_(line) {}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Parses one unsigned/signed integer token at the front of s, consuming it.
std::optional<std::int64_t> take_int(std::string_view& s) {
  s = trim(s);
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr == s.data()) return std::nullopt;
  s.remove_prefix(static_cast<std::size_t>(ptr - s.data()));
  if (!s.empty() && s.front() != ' ' && s.front() != '\t' && s.front() != '#' &&
      s.front() != '\r') {
    return std::nullopt;
  }
  return v;
}

}  // namespace

LeapTable LeapTable::parse(std::string_view text, const std::string& source) {
  LeapTable table;
  int line_no = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    line = trim(line);
    if (line.empty()) continue;
    if (line.substr(0, 2) == "#@") {  // expiry
      std::string_view rest = line.substr(2);
      auto v = take_int(rest);
      if (!v) throw LeapParseError(source, line_no, "bad expiry line (#@)");
      table.expiry_posix_s_ = *v - kNtpToPosix_s;
      continue;
    }
    if (line.front() == '#') continue;  // comments, #$ (last update), #h (hash)
    std::string_view rest = line;
    auto ntp_s = take_int(rest);
    auto offset = take_int(rest);
    if (!ntp_s || !offset) {
      throw LeapParseError(source, line_no, "expected '<NTP seconds> <TAI-UTC> [# comment]'");
    }
    rest = trim(rest);
    if (!rest.empty() && rest.front() != '#') {
      throw LeapParseError(source, line_no, "unexpected text after the offset");
    }
    if (*offset < 0 || *offset > 1000) {
      throw LeapParseError(source, line_no, "implausible TAI-UTC offset");
    }
    LeapEntry e{*ntp_s - kNtpToPosix_s, static_cast<int>(*offset)};
    if (!table.entries_.empty() && e.posix_s <= table.entries_.back().posix_s) {
      throw LeapParseError(source, line_no, "dates must increase");
    }
    table.entries_.push_back(e);
  }
  if (table.entries_.empty()) throw LeapParseError(source, line_no, "no leap-second entries");
  return table;
}

LeapTable LeapTable::load(const std::string& path, const Reader& reader) {
  if (reader) return parse(reader(path), path);
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

std::optional<int> LeapTable::tai_utc_at_utc(std::int64_t utc_s) const {
  std::optional<int> result;
  for (const auto& e : entries_) {
    if (e.posix_s > utc_s) break;
    result = e.tai_utc_s;
  }
  return result;
}

std::optional<int> LeapTable::tai_utc_at_tai(std::int64_t tai_s) const {
  std::optional<int> result;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto& e = entries_[i];
    // The entry takes effect at TAI = boundary + previous offset (the inserted second itself
    // already counts with the new offset; a deleted second shifts the switch one earlier).
    int prev = i == 0 ? e.tai_utc_s : entries_[i - 1].tai_utc_s;
    std::int64_t switch_tai = e.posix_s + std::min(prev, e.tai_utc_s);
    if (i == 0) switch_tai = e.posix_s + e.tai_utc_s;
    if (switch_tai > tai_s) break;
    result = e.tai_utc_s;
  }
  return result;
}

std::optional<Leap> LeapTable::next_leap_after_utc(std::int64_t utc_s) const {
  for (std::size_t i = 1; i < entries_.size(); ++i) {
    if (entries_[i].posix_s > utc_s) {
      return Leap{entries_[i].posix_s, entries_[i - 1].tai_utc_s, entries_[i].tai_utc_s};
    }
  }
  return std::nullopt;
}

}  // namespace nanotime::timescale
