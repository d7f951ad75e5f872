#pragma once
// What turns an EXTTS timestamp into PHC − TAI at the edge besides the label: the receiver's
// quantisation error of that pulse (qErr, from its PulseReport) and the timestamp's
// granularity. Pure.

#include <cstdint>
#include <deque>
#include <optional>

#include "discipline/events.hpp"

namespace nanotime::discipline {

// The tick of a counter's timestamps: their greatest common divisor, 1 ns when that is over
// 1 µs or there is none (arbitrary timestamps share no tick). The engine learns the EXTTS tick
// with it; a re-servo (sim/reservo.hpp) reads a recording's with it.
class TickGcd {
 public:
  void add(std::int64_t timestamp_ns);
  std::int64_t tick_ns() const;

 private:
  std::uint64_t gcd_ = 0;  // of the magnitudes, in unsigned arithmetic (INT64_MIN included)
};

class EdgeCorrections {
 public:
  // tick_ns > 0: the counter's tick is known (not learned from the timestamps).
  explicit EdgeCorrections(std::int64_t tick_ns = 0)
      : tick_known_(tick_ns > 0), granularity_ns_(tick_ns > 0 ? tick_ns : 1) {}
  void on_pulse_report(const PulseReport& report);
  // EXTTS timestamps are the counter value at the edge: truncated to the counter's tick (8 ns
  // on CM4), so on average the edge came half a tick after the reported time. The tick is
  // learned as the greatest common divisor of recent timestamps (1 ns if they are arbitrary).
  void on_timestamp(std::int64_t phc_ns);
  // To add to phc_ns − TAI for the edge of UTC second utc_s. The pulse left the receiver qErr
  // late and reached the pin cable_delay late: both make the PHC look behind, so both are
  // subtracted. The truncated timestamp is half a tick early: the PHC looks that much behind.
  double correction_ns(std::int64_t utc_s, std::int64_t edge_mono_ns, double cable_delay_ns) const;

 private:
  std::optional<double> qerr_for(std::int64_t utc_s, std::int64_t edge_mono_ns) const;

  std::deque<PulseReport> qerrs_;   // the latest reports that carry a qErr
  TickGcd gcd_;
  int gcd_count_ = 0;
  bool tick_known_ = false;
  std::int64_t granularity_ns_ = 1;
};

}  // namespace nanotime::discipline
