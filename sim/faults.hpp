#pragma once
// When each fault of a profile is active (times in seconds from t = 0).
//
// - pps_outage: no pulse at all (no EXTTS edge, no gpsd PPS report); time messages go on.
// - tod_outage: gpsd down: no time reports and no PPS reports; EXTTS edges go on.
// - outlier: the pulse nearest at_s is off by offset_ns (once).
// - phase_jump: every pulse from at_s on is off by offset_ns (jumps add up).
// - carrier_loss: link down: CarrierChange(down) at start; real edges are not delivered; if
//   extts.stale_duplicates, the driver repeats the last timestamp 4×/s for the first
//   kStaleDuplicatesS seconds, then nothing; CarrierChange(up) at the end.
// - tod_wrong: time reports name utc_s + offset_s.
// - tod_late: time reports arrive extra_delay_s later.
// - temperature_step: added to the temperature model.

#include <cmath>
#include <cstdint>

#include "sim/profile.hpp"

namespace nanotime::sim {

class FaultSchedule {
 public:
  static constexpr double kStaleDuplicatesS = 10;   // how long the driver repeats, then silence
  static constexpr double kExcludeAfterS = 300;      // report: leave out this long after a fault

  explicit FaultSchedule(const Faults& faults) : f_(faults) {}

  bool pps_outage(double t_s) const { return any(f_.pps_outage, t_s); }
  bool tod_outage(double t_s) const { return any(f_.tod_outage, t_s); }
  bool carrier_loss(double t_s) const { return any(f_.carrier_loss, t_s); }

  std::int64_t tod_wrong_offset_s(double t_s) const {
    std::int64_t off = 0;
    for (const auto& w : f_.tod_wrong) {
      if (w.window.contains(t_s)) off += w.offset_s;
    }
    return off;
  }
  double tod_extra_delay_s(double t_s) const {
    double d = 0;
    for (const auto& l : f_.tod_late) {
      if (l.window.contains(t_s)) d += l.extra_delay_s;
    }
    return d;
  }
  // Extra error of pulse k (ns): phase jumps so far plus an outlier at k.
  double pulse_offset_ns(std::int64_t k) const {
    double off = 0;
    const auto ks = static_cast<double>(k);
    for (const auto& j : f_.phase_jump) {
      if (ks >= j.at_s) off += j.offset_ns;
    }
    for (const auto& o : f_.outlier) {
      if (std::llround(o.at_s) == k) off += o.offset_ns;
    }
    return off;
  }
  // The report leaves out outages, carrier loss and time-message faults and 300 s after each.
  bool excluded(double t_s) const {
    return near(f_.pps_outage, t_s) || near(f_.tod_outage, t_s) || near(f_.carrier_loss, t_s) ||
           near_w(f_.tod_wrong, t_s) || near_w(f_.tod_late, t_s);
  }
  const Faults& faults() const { return f_; }

 private:
  static bool any(const std::vector<Window>& ws, double t_s) {
    for (const auto& w : ws) {
      if (w.contains(t_s)) return true;
    }
    return false;
  }
  static bool near(const std::vector<Window>& ws, double t_s) {
    for (const auto& w : ws) {
      if (t_s >= w.start_s && t_s < w.end_s() + kExcludeAfterS) return true;
    }
    return false;
  }
  template <typename T>
  static bool near_w(const std::vector<T>& ws, double t_s) {
    for (const auto& w : ws) {
      if (t_s >= w.window.start_s && t_s < w.window.end_s() + kExcludeAfterS) return true;
    }
    return false;
  }
  Faults f_;
};

}  // namespace nanotime::sim
