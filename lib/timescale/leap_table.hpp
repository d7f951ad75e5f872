#pragma once
// TAI − UTC from tzdata's leap-seconds.list (IERS/NIST format):
//   "#$ <ntp seconds>"  last update,  "#@ <ntp seconds>"  expiry,
//   "<ntp seconds> <TAI−UTC> # comment"  from that instant on, TAI − UTC is the value.
// NTP seconds count from 1900-01-01; POSIX seconds from 1970-01-01 (70 years later).
// Pure: parse() takes the text; load() takes a reader so tests need no file.

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace nanotime::timescale {

inline constexpr std::int64_t kNtpToPosix_s = 2208988800;  // 1970-01-01 in NTP seconds

class LeapParseError : public std::runtime_error {
 public:
  LeapParseError(std::string source, int line, const std::string& what);
  int line() const { return line_; }

 private:
  int line_;
};

struct LeapEntry {
  std::int64_t posix_s = 0;  // first UTC second (POSIX) with this offset
  int tai_utc_s = 0;
};

// A scheduled (or past) leap: at POSIX second boundary_posix_s (a UTC midnight) TAI − UTC
// changes from `before_s` to `after_s` (after = before + 1: inserted second).
struct Leap {
  std::int64_t boundary_posix_s = 0;
  int before_s = 0;
  int after_s = 0;
  bool insert() const { return after_s > before_s; }
};

class LeapTable {
 public:
  // Throws LeapParseError (with the line) on malformed input, non-increasing dates or no entries.
  static LeapTable parse(std::string_view text, const std::string& source = "leap-seconds.list");
  // reader(path) returns the file content or throws; the default reads the file.
  using Reader = std::function<std::string(const std::string& path)>;
  static LeapTable load(const std::string& path, const Reader& reader = {});

  const std::vector<LeapEntry>& entries() const { return entries_; }
  std::optional<std::int64_t> expiry_posix_s() const { return expiry_posix_s_; }
  bool expired(std::int64_t now_posix_s) const {
    return expiry_posix_s_ && now_posix_s >= *expiry_posix_s_;
  }

  // TAI − UTC in force at POSIX UTC second utc_s; nullopt before the table's first entry.
  std::optional<int> tai_utc_at_utc(std::int64_t utc_s) const;
  // TAI − UTC for a TAI second (POSIX-style count of TAI seconds). It switches at the start of
  // an inserted second, so that TAI − offset gives the POSIX second the kernel shows
  // (23:59:59 repeated during 23:59:60).
  std::optional<int> tai_utc_at_tai(std::int64_t tai_s) const;
  // The first leap whose boundary is after utc_s (strictly), if the table has one.
  std::optional<Leap> next_leap_after_utc(std::int64_t utc_s) const;

 private:
  std::vector<LeapEntry> entries_;
  std::optional<std::int64_t> expiry_posix_s_;
};

}  // namespace nanotime::timescale
