#pragma once
// TAI − UTC and the next leap second, from the receiver (TimeReport) and/or leap-seconds.list.
// The receiver wins when both speak. TAI − UTC switches at the start of an inserted second
// (UTC 23:59:60 is named like 23:59:59, as the kernel does: TAI = utc_s + tai_utc_s always).

#include <cstdint>
#include <memory>
#include <optional>

#include "discipline/events.hpp"
#include "timescale/leap_table.hpp"

namespace nanotime::discipline {

class LeapState {
 public:
  LeapState(int fallback_tai_utc_s, std::shared_ptr<const timescale::LeapTable> table);

  void on_report(const TimeReport& tr);
  // The table only knows leaps: look ahead from UTC second utc_s (call as time goes by).
  void on_utc(std::int64_t utc_s);

  int tai_utc_at_tai(std::int64_t tai_s) const;
  int tai_utc_at_utc(std::int64_t utc_s) const;
  // Warning for samples/announcements during UTC second utc_s: only on the leap's UTC day.
  LeapWarning warning_at_utc(std::int64_t utc_s) const;
  // TAI second named by a report (nullopt: a report without TAI − UTC right at a leap).
  std::optional<std::int64_t> tai_of_report(const TimeReport& tr) const;
  bool offset_known() const { return known_; }

 private:
  int base_;
  bool known_ = false;
  bool from_receiver_ = false;
  std::shared_ptr<const timescale::LeapTable> table_;
  std::optional<timescale::Leap> leap_;
};

}  // namespace nanotime::discipline
