#pragma once
// IEEE 1588 clock quality figures from what the engine knows.

#include <cstdint>

#include "discipline/events.hpp"
#include "discipline/leap_state.hpp"
#include "servo/servo.hpp"

namespace nanotime::discipline {

// clockAccuracy enumeration (IEEE 1588-2008 Table 6): the smallest class whose limit covers the
// bound: 0x20 25 ns, 0x21 100 ns, 0x22 250 ns, 0x23 1 µs, 0x24 2.5 µs … 0x31 > 10 s;
// 0xFE unknown (bound not finite).
std::uint8_t clock_accuracy_for_bound(double bound_ns);
// The upper limit (ns) of an accuracy class (infinity for 0x31 and 0xFE).
double accuracy_limit_ns(std::uint8_t accuracy);

// offsetScaledLogVariance (IEEE 1588-2008 7.6.3.3/7.6.3.5): log2 of the PTP variance in s²,
// times 2^8, plus 0x8000, clamped to 0 … 0xFFFF (0xFFFF also for "unknown").
std::uint16_t scaled_log_variance(double variance_s2);

// offsetScaledLogVariance of the PHC as the servo sees it: PTPVAR(1 s) = σ_y²(1 s)/3 (IEEE
// 1588-2008 7.6.3.3: PTPVAR(τ) = τ²·σ_y²(τ)/3) with σ_y²(1 s) = (6R + 2q1 + (2/3)q2)/2 from
// the learned noise model. Kept with hysteresis: it only moves when the scaled value changes
// by more than one log2 unit, so that ptp4l's announcements change rarely.
class LogVariance {
 public:
  void update(const servo::NoiseModel& noise);
  std::uint16_t value() const { return value_; }

 private:
  std::uint16_t value_ = 0xffff;
};

// What ptp4l announces in lock state `state` with error bound error_bound_ns (rounded up to
// its accuracy class) and the leap state as of the last pulse (TAI second last_tai_s, 0: none
// yet). degraded_clock_class: FREERUN's class.
ClockQuality clock_quality(LockState state, double error_bound_ns, std::uint16_t log_variance,
                           std::uint8_t degraded_clock_class, const LeapState& leap,
                           std::int64_t last_tai_s);

}  // namespace nanotime::discipline
