#pragma once
// Everything the world does about pulse k, drawn once: the PPS edge (rising and, with
// phc.both_edges, falling) as the PHC pin sees it, gpsd's PPS report and gpsd's time report,
// all in true time (ns from the start of the run).
//
// The world (world.hpp) turns each SecondPlan into EXTTS captures and gpsd events, whichever
// clocks it runs on (virtual time or the host's), so a profile and a seed describe one world.
// What the plan leaves out (carrier loss, counting lost pulses, the clock the events are
// stamped with) is the world's.

#include <cstdint>
#include <optional>

#include "sim/faults.hpp"
#include "sim/links.hpp"
#include "sim/profile.hpp"
#include "sim/receiver.hpp"
#include "sim/timescale.hpp"

namespace nanotime::sim {

// An edge reaching the PHC's pin: captured at t_ns + extra_ns (extra_ns: the sub-ns part, in
// [0, 1)), delivered to user space delay_ns later unless the EXTTS channel lost it. Carrier loss
// is not applied here (the callers check it at their own moment).
struct PlannedCapture {
  std::int64_t t_ns = 0;
  double extra_ns = 0;
  bool delivered = false;
  std::int64_t delay_ns = 0;
  bool falling = false;
};

// gpsd's PPS report: the edge of UTC second utc_s (tod_wrong applied) reached the pin at
// t_edge_ns; gpsd reports it at at_ns (before the edge: it learns the qErr ahead of the pulse).
struct PlannedPulseReport {
  std::int64_t utc_s = 0;
  std::int64_t t_edge_ns = 0;
  std::optional<double> qerr_ns;
  std::int64_t at_ns = 0;
};

// gpsd's time report for the second: utc_s (tod_wrong applied), TAI − UTC, arriving at at_ns.
struct PlannedTimeReport {
  std::int64_t utc_s = 0;
  int tai_utc_s = 0;
  bool leap_pending = false;
  std::int64_t at_ns = 0;
};

struct SecondPlan {
  std::int64_t k = 0;
  std::int64_t nominal_ns = 0;                 // k s: where the ideal edge would be
  std::optional<PlannedCapture> rising;        // none during pps_outage
  std::optional<PlannedCapture> falling;       // with phc.both_edges, none during pps_outage
  std::optional<PlannedPulseReport> pulse_report;  // none during pps_outage or tod_outage
  std::optional<PlannedTimeReport> time_report;    // none during tod_outage or when lost
};

// Owns the models that draw once per second (receiver, EXTTS channel, time-message channel).
class PulsePlanner {
 public:
  PulsePlanner(const Profile& profile, std::uint64_t seed);

  // Call for k = 1, 2, … in order: every model draws once per second whatever the faults.
  SecondPlan plan(std::int64_t k, const Timescale& ts, const FaultSchedule& faults);

 private:
  double cable_delay_ns_;
  bool both_edges_;
  double pulse_width_s_;
  SimulatedReceiver receiver_;
  ExttsChannel extts_;
  TodChannel tod_;
};

}  // namespace nanotime::sim
