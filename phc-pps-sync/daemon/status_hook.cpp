#include "daemon/status_hook.hpp"

#include <cmath>

#include <fmt/format.h>

#include "daemon/ptp4l_publisher.hpp"
#include "status/endpoint.hpp"

#ifndef NANOTIME_VERSION
#define NANOTIME_VERSION "0.1.0"
#endif

namespace nanotime::ppsd {
namespace {

std::string_view state_name(discipline::LockState s) {
  const auto i = static_cast<std::size_t>(s);
  return i < status::kLockStates.size() ? status::kLockStates[i] : "unknown";
}

std::string bound_text(double ns) {
  if (!std::isfinite(ns)) return "unknown";
  if (ns < 10000) return fmt::format("{:.0f} ns", ns);
  return fmt::format("{:.1f} µs", ns / 1000);
}

}  // namespace

std::string status_key(const discipline::EngineStatus& s) {
  return fmt::format("{}, clockClass {}", state_name(s.state), s.quality.clock_class);
}

std::string status_line(const discipline::EngineStatus& s) {
  if (s.state == discipline::LockState::acquiring) {
    return fmt::format("acquiring, {} pulses seen, clockClass {}", s.pulses_seen,
                       s.quality.clock_class);
  }
  return fmt::format("{}, PHC−TAI {:+.0f} ns, bound {}, clockClass {}", state_name(s.state),
                     s.last_offset_ns, bound_text(s.error_bound_ns), s.quality.clock_class);
}

DaemonStatus::DaemonStatus(const status::StatusConfig& config, double start_unix_s,
                           std::function<double()> now_unix_s)
    : common_(registry_, "phc-pps-sync", NANOTIME_VERSION, start_unix_s),
      gpsd_(registry_),
      phc_(registry_) {
  if (config.enabled) http_ = status::StatusEndpoint(config.http, registry_, std::move(now_unix_s));
}

DaemonStatus::~DaemonStatus() = default;

void DaemonStatus::update(const StatusSnapshot& s, double now) {
  const discipline::EngineStatus& e = *s.engine;
  phc_.set_lock_state(static_cast<std::size_t>(e.state), now);
  phc_.clock_class.set(e.quality.clock_class);
  phc_.clock_accuracy.set(e.quality.clock_accuracy);
  phc_.time_traceable.set_bool(e.quality.time_traceable);
  phc_.tai_utc_offset.set(e.quality.tai_utc_s);
  phc_.link_up.set_bool(s.link_up);
  phc_.set_pulse_counts(status::PulseCounts{e.pulses_seen, e.pulses_used, e.pulses_lost,
                                            e.pulses_ambiguous, e.pulses_stale,
                                            e.outliers_rejected});
  phc_.steps.set(e.steps);
  // The bound grows in holdover, when no pulse comes to record it: publish it on every update.
  const double bound_s = std::isfinite(e.error_bound_ns) ? e.error_bound_ns * 1e-9 : INFINITY;
  phc_.error_bound.set(bound_s);
  if (e.state == discipline::LockState::holdover || e.state == discipline::LockState::freerun) {
    phc_.error_bound_history.push(now, bound_s);
  }
  if (e.pulses_seen != last_pulses_seen_ && e.state != discipline::LockState::acquiring) {
    phc_.record_pulse(now, e.last_offset_ns * 1e-9, e.freq_ppb * 1e-9,
                      std::isfinite(e.error_bound_ns) ? e.error_bound_ns * 1e-9 : INFINITY);
  }
  last_pulses_seen_ = e.pulses_seen;
  if (s.conductor != nullptr) {
    phc_.chrony_sent.set(s.conductor->counters().chrony_sent);
    phc_.chrony_not_delivered.set(s.conductor->counters().chrony_not_delivered);
  }
  if (s.ptp4l != nullptr) {
    phc_.ptp4l_reachable.set_bool(s.ptp4l->in_sync());
    if (s.ptp4l->announced_class()) phc_.ptp4l_clock_class.set(*s.ptp4l->announced_class());
    phc_.ptp4l_updates_sent.set(s.ptp4l->sets_sent());
  }
  if (s.gpsd_connected) gpsd_.connected.set_bool(*s.gpsd_connected);
  if (s.conductor != nullptr) {
    gpsd_.fix_mode.set(s.conductor->gpsd_fix_mode());
    gpsd_.connects.set(s.conductor->counters().gpsd_connects);
  }
}

}  // namespace nanotime::ppsd
