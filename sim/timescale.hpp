#pragma once
// True time in the simulation: t_ns from the start of the run; TAI and UTC labels of it.
//
// TAI is continuous: tai_ns(t) = (start_utc_s + tai_utc_s)·1e9 + t_ns. PPS edges are at whole
// TAI seconds (GNSS aligns them to UTC seconds, which are whole TAI seconds too).
// A positive leap second at the end of leap day D (P = POSIX 00:00 of D + 1) is the TAI second
// P + tai_utc_s (UTC 23:59:60). UTC labels follow the kernel's convention: that second is named
// POSIX P − 1 (23:59:59 again) with TAI − UTC already one higher, so that
//     TAI second == utc_s + tai_utc_s   for every second, across the leap too.
// The receiver announces the leap (LeapWarning::insert) during the 12 h before it.

#include <cstdint>

#include "util/units.hpp"
#include <optional>

namespace nanotime::sim {

struct UtcLabel {
  std::int64_t utc_s = 0;
  int tai_utc_s = 37;
  bool leap_pending = false;  // a leap second is announced for the end of this UTC day
};

class Timescale {
 public:
  Timescale(std::int64_t start_utc_s, int tai_utc_s, std::optional<std::int64_t> leap_day_utc_s)
      : start_utc_s_(start_utc_s), tai_utc_s_(tai_utc_s) {
    if (leap_day_utc_s) leap_tai_s_ = *leap_day_utc_s + 86400 + tai_utc_s;
  }

  static constexpr std::int64_t kNsPerS = util::kNsPerS;
  static constexpr std::int64_t kLeapWarningS = 43200;

  std::int64_t start_tai_s() const { return start_utc_s_ + tai_utc_s_; }
  std::int64_t tai_ns(std::int64_t t_ns) const { return start_tai_s() * kNsPerS + t_ns; }
  // The TAI second of the pulse k seconds after the start.
  std::int64_t tai_s_of_pulse(std::int64_t k) const { return start_tai_s() + k; }

  UtcLabel label(std::int64_t tai_s) const {
    UtcLabel l;
    if (leap_tai_s_ && tai_s >= *leap_tai_s_) {
      l.tai_utc_s = tai_utc_s_ + 1;
    } else {
      l.tai_utc_s = tai_utc_s_;
      l.leap_pending = leap_tai_s_ && tai_s >= *leap_tai_s_ - kLeapWarningS;
    }
    l.utc_s = tai_s - l.tai_utc_s;
    return l;
  }

  // TAI − UTC in force at a TAI instant (ns).
  int tai_utc_at(std::int64_t tai_ns) const {
    return leap_tai_s_ && tai_ns >= *leap_tai_s_ * kNsPerS ? tai_utc_s_ + 1 : tai_utc_s_;
  }
  // True when the TAI instant lies in the inserted second itself (UTC 23:59:60).
  bool in_leap_second(std::int64_t tai_ns) const {
    return leap_tai_s_ && tai_ns >= *leap_tai_s_ * kNsPerS && tai_ns < (*leap_tai_s_ + 1) * kNsPerS;
  }
  std::optional<std::int64_t> leap_tai_s() const { return leap_tai_s_; }

 private:
  std::int64_t start_utc_s_;
  int tai_utc_s_;
  std::optional<std::int64_t> leap_tai_s_;
};

}  // namespace nanotime::sim
