#pragma once
// The leap flag of a sample: chrony takes the flag of every sample as a statement about the
// coming midnight, so it is raised only during the UTC day that ends with a scheduled leap, and
// normal at every other time (a flag left up for days would make chronyd expect a leap at each
// midnight).
//
// Where the schedule comes from: libgps 3.22 gives clients no pending-leap information (TPV
// carries only the current GPS − UTC), so today the bridge never has a ScheduledLeap and always
// sends `normal`; chronyd's own leapsectz/leapseclist handles the leap. The function is here so
// a schedule from tzdata's leap-seconds.list (lib/timescale) can be plugged in.

#include <cstdint>
#include <optional>

#include "refclock/leap.hpp"

namespace nanotime::bridge {

struct ScheduledLeap {
  std::int64_t at_utc_s = 0;  // the midnight (POSIX seconds, a multiple of 86400) it happens at
  refclock::Leap kind = refclock::Leap::insert;
};

inline refclock::Leap leap_for_sample(std::int64_t utc_s, const std::optional<ScheduledLeap>& l) {
  constexpr std::int64_t kDay = 86400;
  if (!l || l->at_utc_s % kDay != 0) return refclock::Leap::normal;
  if (utc_s >= l->at_utc_s - kDay && utc_s < l->at_utc_s) return l->kind;
  return refclock::Leap::normal;
}

}  // namespace nanotime::bridge
