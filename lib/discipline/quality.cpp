#include "discipline/quality.hpp"

#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace nanotime::discipline {

namespace {
constexpr std::array<double, 17> kLimits_ns = {
    25, 100, 250, 1e3, 2.5e3, 1e4, 2.5e4, 1e5, 2.5e5, 1e6, 2.5e6, 1e7, 2.5e7, 1e8, 2.5e8, 1e9, 1e10};
}

std::uint8_t clock_accuracy_for_bound(double bound_ns) {
  if (!std::isfinite(bound_ns) || bound_ns < 0) return 0xfe;
  for (std::size_t i = 0; i < kLimits_ns.size(); ++i) {
    if (bound_ns <= kLimits_ns[i]) return static_cast<std::uint8_t>(0x20 + i);
  }
  return 0x31;
}

double accuracy_limit_ns(std::uint8_t accuracy) {
  if (accuracy >= 0x20 && accuracy < 0x20 + kLimits_ns.size()) return kLimits_ns[accuracy - 0x20];
  return std::numeric_limits<double>::infinity();
}

std::uint16_t scaled_log_variance(double variance_s2) {
  if (!std::isfinite(variance_s2) || variance_s2 <= 0) return 0xffff;
  double v = std::round(std::log2(variance_s2) * 256.0) + 0x8000;
  if (v < 0) return 0;
  if (v > 0xffff) return 0xffff;
  return static_cast<std::uint16_t>(v);
}

void LogVariance::update(const servo::NoiseModel& n) {
  double avar = (6 * n.meas_var_ns2 + 2 * n.wfm_ns2_per_s + (2.0 / 3.0) * n.rwfm_ns2_per_s3) / 2;
  std::uint16_t v = scaled_log_variance(avar / 3 * 1e-18);
  if (value_ == 0xffff || std::abs(int{v} - int{value_}) > 256) value_ = v;
}

ClockQuality clock_quality(LockState state, double error_bound_ns, std::uint16_t log_variance,
                           std::uint8_t degraded_clock_class, const LeapState& leap,
                           std::int64_t last_tai_s) {
  ClockQuality q;
  q.state = state;
  const bool within = state == LockState::tracking || state == LockState::holdover;
  switch (state) {
    case LockState::tracking: q.clock_class = 6; break;
    case LockState::holdover: q.clock_class = 7; break;
    case LockState::freerun: q.clock_class = degraded_clock_class; break;
    default: q.clock_class = 248; break;
  }
  if (state == LockState::acquiring || state == LockState::converging) {
    q.clock_accuracy = 0xfe;
    q.error_bound_ns = std::numeric_limits<double>::infinity();
  } else {
    q.clock_accuracy = clock_accuracy_for_bound(error_bound_ns);
    // Rounded up to the accuracy class, so that the quality changes rarely.
    q.error_bound_ns = accuracy_limit_ns(q.clock_accuracy);
  }
  q.offset_scaled_log_variance = within ? log_variance : std::uint16_t{0xffff};
  std::int64_t utc = last_tai_s - leap.tai_utc_at_tai(last_tai_s);
  q.tai_utc_s = leap.tai_utc_at_tai(last_tai_s);
  q.utc_offset_valid = leap.offset_known();
  LeapWarning w = last_tai_s != 0 ? leap.warning_at_utc(utc) : LeapWarning::none;
  q.leap61 = w == LeapWarning::insert;
  q.leap59 = w == LeapWarning::del;
  q.time_traceable = within;
  q.frequency_traceable = within;
  return q;
}

}  // namespace nanotime::discipline
