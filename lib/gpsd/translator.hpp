#pragma once
// The pure half of the gpsd client: one libgps snapshot (gps_data_t after a gps_read, with its
// `set` flags) → typed events (events.hpp). No I/O, so it is tested by filling a gps_data_t by
// hand, including libgps 3.22's TOFF quirk.
//
// libgps parses the JSON; this code never does. It still trusts nothing: a field that is out of
// range (negative or denormalised times, a GNSS time before 2020, a mode outside 0..3, an absurd
// qErr) drops that report with one warning line (identical lines are rate-limited by lib/log).

#include <cstdint>
#include <vector>

#include "gpsd/events.hpp"

struct gps_data_t;

namespace nanotime::gpsd {

// Earliest plausible GNSS time: 2020-01-01T00:00:00Z. A receiver with the GPS week-rollover bug
// reports dates 1024 weeks (19.6 years) back, which this rejects.
inline constexpr std::int64_t kMinPlausibleGnssS = 1577836800;
// Latest accepted time (2200-01-01): keeps every nanosecond conversion far from int64 overflow.
inline constexpr std::int64_t kMaxPlausibleS = 7258118400;
// Largest believable |qErr|: u-blox sawtooth is ±~25 ns; 1 µs means a broken report.
inline constexpr long kMaxQerrPs = 1'000'000;

struct TranslatorCounters {
  std::uint64_t time_reports = 0;
  std::uint64_t pulse_reports = 0;
  std::uint64_t rejected = 0;  // reports dropped as implausible
};

class Translator {
 public:
  // Appends the events of one snapshot to `out`.
  void translate(const gps_data_t& data, std::vector<Event>& out);
  const TranslatorCounters& counters() const { return counters_; }

 private:
  void reject(const char* what);
  TranslatorCounters counters_;
};

}  // namespace nanotime::gpsd
