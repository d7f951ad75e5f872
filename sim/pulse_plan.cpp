#include "sim/pulse_plan.hpp"

#include <algorithm>
#include <cmath>

#include "sim/simulation.hpp"
#include "util/units.hpp"

namespace nanotime::sim {
namespace {

using util::kNsPerS;

std::int64_t to_ns(double s) { return std::llround(s * 1e9); }

}  // namespace

PulsePlanner::PulsePlanner(const Profile& profile, std::uint64_t seed)
    : cable_delay_ns_(profile.gnss.cable_delay_ns),
      both_edges_(profile.phc.both_edges),
      pulse_width_s_(profile.phc.pulse_width_s),
      receiver_(profile.gnss, seed, profile.receiver),
      extts_(profile.extts, seed),
      tod_(profile.tod, seed) {}

SecondPlan PulsePlanner::plan(std::int64_t k, const Timescale& ts, const FaultSchedule& faults) {
  SecondPlan plan;
  plan.k = k;
  plan.nominal_ns = k * kNsPerS;
  const double t_s = static_cast<double>(k);
  // The draws, in this order, every second (changing it changes every run).
  const PulseError pe = receiver_.next(k);
  const Delivery ed = extts_.next();
  const double fall_delay_s = both_edges_ ? extts_.next_delay_s() : 0.0;
  const Delivery td = tod_.next();

  const UtcLabel label = ts.label(ts.tai_s_of_pulse(k));
  const std::int64_t wrong = faults.tod_wrong_offset_s(t_s);
  const bool gpsd_up = !faults.tod_outage(t_s);

  if (!faults.pps_outage(t_s)) {
    const double edge_ns = pe.edge_error_ns + faults.pulse_offset_ns(k) + cable_delay_ns_;
    const double whole = std::floor(edge_ns);
    const std::int64_t t_edge = plan.nominal_ns + static_cast<std::int64_t>(whole);
    PlannedCapture c;
    c.t_ns = t_edge;
    c.extra_ns = edge_ns - whole;
    c.delivered = !ed.lost;
    c.delay_ns = to_ns(ed.delay_s);
    plan.rising = c;
    if (both_edges_) {
      c.t_ns = t_edge + to_ns(pulse_width_s_);
      c.falling = true;
      // The driver delivers the falling edge after the rising one.
      c.delay_ns = std::max(to_ns(fall_delay_s), c.delay_ns - to_ns(pulse_width_s_));
      plan.falling = c;
    }
    if (gpsd_up) {
      plan.pulse_report =
          PlannedPulseReport{label.utc_s + wrong, t_edge, pe.qerr_ns,
                             plan.nominal_ns - kPulseReportLeadNs};
    }
  }
  if (gpsd_up && !td.lost) {
    plan.time_report = PlannedTimeReport{
        label.utc_s + wrong, label.tai_utc_s, label.leap_pending,
        plan.nominal_ns + to_ns(td.delay_s + faults.tod_extra_delay_s(t_s))};
  }
  return plan;
}

}  // namespace nanotime::sim
