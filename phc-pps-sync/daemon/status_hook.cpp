#include "daemon/status_hook.hpp"

#include <cmath>
#include <limits>
#include <optional>

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

// Divided, not multiplied by 1e-9: 3200 ns is then exactly the double nearest 3.2e-06 s.
double seconds(const std::optional<double>& ns) {
  return ns ? *ns / 1e9 : std::numeric_limits<double>::quiet_NaN();
}

void publish_transfer_metrics(const TransferStatus& t, status::SystemClockMetrics& m) {
  m.bound.set(seconds(t.system_bound_ns));
  m.shift.set(seconds(t.shift_ns));
  m.transfer.set("method", t.method);
  m.transfer.set("latch_model", t.latch_model);
  m.reads.set(t.reads);
  m.read_requests.set(t.read_requests);
  m.read_slow.set(t.slow_rejected);
  m.read_errors.set(t.read_errors);
  m.bracket_last.set(seconds(t.bracket_ns));
  m.bracket_usual.set(seconds(t.usual_bracket_ns));
  m.bracket_p50.set(seconds(t.bracket_p50_ns));
  m.bracket_p99.set(seconds(t.bracket_p99_ns));
  m.bracket_max.set(seconds(t.bracket_max_ns));
  m.gpio_configured.set_bool(t.gpio_configured);
  if (!t.gpio_configured) return;  // no GPIO figures: absent, not a fake 0
  m.gpio_paired.set(t.gpio_pulses);
  m.gpio_missed.set(t.gpio_missed);
  m.gpio_unmatched.set(t.gpio_unmatched);
  m.gpio_difference_last.set(seconds(t.gpio_difference_ns));
  m.gpio_difference_min.set(seconds(t.gpio_min_difference_ns));
  m.gpio_difference_p50.set(seconds(t.gpio_difference_p50_ns));
  m.alarm.set_bool(t.alarm);
  m.disagreement.set(t.alarm ? seconds(t.disagreement_ns) : 0.0);
  m.alarm_samples.set(t.alarms);
}

void publish_transfer_section(const TransferStatus& t, status::Section& s) {
  s.set_number("bound_ns", t.system_bound_ns);
  s.set_text("method", t.method);
  s.set_text("latch_model", t.latch_model);
  s.set_number("shift_ns", t.shift_ns);
  s.set_count("read_requests", t.read_requests);
  s.set_count("reads", t.reads);
  s.set_count("slow_rejected", t.slow_rejected);
  s.set_count("read_errors", t.read_errors);
  s.set_number("bracket_ns", t.bracket_ns);
  s.set_number("usual_bracket_ns", t.usual_bracket_ns);
  s.set_number("bracket_p50_ns", t.bracket_p50_ns);
  s.set_number("bracket_p99_ns", t.bracket_p99_ns);
  s.set_number("bracket_max_ns", t.bracket_max_ns);
  s.set_flag("gpio_configured", t.gpio_configured);
  s.set_text("gpio_device", t.gpio_device);
  s.set_count("gpio_pulses", t.gpio_pulses);
  s.set_count("gpio_missed", t.gpio_missed);
  s.set_count("gpio_unmatched", t.gpio_unmatched);
  s.set_number("gpio_difference_ns", t.gpio_difference_ns);
  s.set_number("gpio_min_difference_ns", t.gpio_min_difference_ns);
  s.set_number("gpio_difference_p50_ns", t.gpio_difference_p50_ns);
  s.set_flag("alarm", t.alarm);
  s.set_number("disagreement_ns", t.alarm ? std::optional<double>(t.disagreement_ns) : std::nullopt);
  s.set_count("alarms", t.alarms);
}

}  // namespace

void publish_transfer(const TransferStatus& t, status::SystemClockMetrics& m) {
  publish_transfer_metrics(t, m);
  publish_transfer_section(t, m.section);
}

status::ReceiverFacts receiver_facts(const std::optional<ReceiverStatus>& r,
                                     const discipline::EngineStatus& e) {
  status::ReceiverFacts f;
  f.time_mode = time_mode_name(e.receiver_mode);
  f.position_limited = e.position_limited;
  f.wander_ns = e.receiver_wander_ns;
  if (!r) return f;
  f.watched = true;
  f.connected = r->connected;
  f.model = r->model;
  f.firmware = r->firmware;
  f.generation = r->generation;
  f.time_mode = time_mode_name(r->mode);
  f.survey_active = r->survey_active;
  f.survey_duration_s = r->survey_duration_s;
  f.survey_accuracy_m = r->survey_accuracy_m;
  f.antenna = antenna_state_name(r->antenna);
  f.jamming_indicator = r->jamming_indicator;
  f.satellites_used = r->satellites_used;
  f.timtp_present = r->timtp_present;
  return f;
}

std::string status_key(const discipline::EngineStatus& s) {
  return fmt::format("{}, clockClass {}{}", state_name(s.state), s.quality.clock_class,
                     s.position_limited ? ", position-limited" : "");
}

std::string status_line(const discipline::EngineStatus& s) {
  if (s.state == discipline::LockState::acquiring) {
    return fmt::format("acquiring, {} pulses seen, clockClass {}", s.pulses_seen,
                       s.quality.clock_class);
  }
  return fmt::format("{}, PHC−TAI {:+.0f} ns, bound {}, clockClass {}{}", state_name(s.state),
                     s.last_offset_ns, bound_text(s.error_bound_ns), s.quality.clock_class,
                     s.position_limited ? ", receiver surveying: accuracy limited by position"
                                        : "");
}

DaemonStatus::DaemonStatus(const status::StatusConfig& config, double start_unix_s,
                           std::function<double()> now_unix_s)
    : common_(registry_, "phc-pps-sync", NANOTIME_VERSION, start_unix_s),
      gpsd_(registry_),
      phc_(registry_),
      system_(registry_),
      chronyd_(registry_),
      leap_file_(registry_) {
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
  if (s.transfer != nullptr) publish_transfer(*s.transfer, system_);
  receiver_.update(receiver_facts(s.conductor != nullptr ? s.conductor->receiver() : std::nullopt,
                                  e));
  if (s.gpsd_connected) gpsd_.connected.set_bool(*s.gpsd_connected);
  if (s.conductor != nullptr) {
    gpsd_.fix_mode.set(s.conductor->gpsd_fix_mode());
    gpsd_.connects.set(s.conductor->counters().gpsd_connects);
  }
}

}  // namespace nanotime::ppsd
