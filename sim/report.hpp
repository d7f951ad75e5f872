#pragma once
// The report of one simulated run: the keys and meanings are a contract
// (docs/simulation.md#report). Definitions used here:
// - lock_time_s: the first whole second k from which |true error| < 100 ns for every second
//   k … k + 60; absent (JSON null) when that never happens.
// - true_error_ns: PHC − TAI at every true second k ≥ 1 from lock on (the whole run when it
//   never locks), leaving out each pps/tod outage, carrier loss, tod_wrong and tod_late window
//   and the 300 s after it. rms of the signed values; p95 (nearest rank) and max of |value|.
// - residual_ns: the engine's measured offset of the used pulses of those same seconds.
// - system: every chronyd sample's |claimed − real| error and published bound (see
//   docs/simulation.md#report-system); bound median is the nearest-rank median.
// - holdover: per pps_outage, over its whole seconds: worst |true error|, worst published
//   error bound (EngineStatus::error_bound_ns; JSON null if infinite), the fraction of seconds
//   with |true error| ≤ bound, and the seconds announced as clockClass 7.
// Numbers are written with fixed decimals, so equal runs give byte-identical JSON.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/profile.hpp"
#include "sim/simulation.hpp"

namespace nanotime::sim {

struct ErrorStats {
  double rms = 0;
  double p95 = 0;
  double max = 0;
  std::uint64_t n = 0;
};

struct HoldoverStats {
  double start_s = 0;
  double duration_s = 0;
  double max_true_error_ns = 0;
  double max_bound_ns = 0;
  double within_bound_fraction = 1;
  double class7_s = 0;
};

// The NTP half (docs/simulation.md#report-system): every chronyd sample, whole.
struct SystemStats {
  std::uint64_t samples = 0;
  ErrorStats error_ns;              // |claimed − real| (true − system) offset
  double bound_median_ns = 0;       // the published bound of each sample
  double bound_max_ns = 0;
  double within_bound_fraction = 1;
  std::uint64_t over_twice_bound = 0;  // samples with |error| > 2 × bound (goal: none)
  std::uint64_t gpio_pulses = 0;
  std::uint64_t gpio_alarms = 0;
  std::string latch_model;
};
SystemStats system_stats(const std::vector<SystemSample>& samples);

struct Report {
  std::string profile;
  std::string servo;
  std::uint64_t seed = 0;
  std::int64_t duration_s = 0;
  std::optional<double> lock_time_s;
  ErrorStats true_error_ns;
  ErrorStats residual_ns;
  std::vector<HoldoverStats> holdover;
  std::uint64_t chrony_samples = 0;
  std::uint64_t chrony_samples_over_1us = 0;
  std::uint64_t pulses_seen = 0;
  std::uint64_t pulses_lost = 0;
  std::uint64_t outliers_rejected = 0;
  std::uint64_t mislabelled = 0;
  std::uint64_t steps = 0;
  SystemStats system;
};

inline constexpr double kLockLimitNs = 100;
inline constexpr std::int64_t kLockHoldS = 60;

std::optional<std::int64_t> lock_time(const std::vector<double>& true_error_ns,
                                      double limit_ns = kLockLimitNs,
                                      std::int64_t hold_s = kLockHoldS);
ErrorStats error_stats(std::vector<double> values);

Report make_report(const SimResult& result, const Profile& profile);
std::string report_json(const Report& report);
// A few human lines: profile, servo, lock time, true error, holdover, chrony, mislabelled.
std::string report_summary(const Report& report);

}  // namespace nanotime::sim
