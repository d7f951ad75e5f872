#include "daemon/recording_header.hpp"

#include <charconv>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "timescale/leap_table.hpp"

#ifndef NANOTIME_VERSION
#define NANOTIME_VERSION "0.1.0"
#endif

namespace nanotime::ppsd {
namespace {

std::string num(double v) { return fmt::format("{:.17g}", v); }

const std::string& need(const recording::Header& h, const std::string& key) {
  const auto it = h.find(key);
  if (it == h.end()) {
    throw std::invalid_argument("the recording's header has no \"" + key +
                                "\" (not a daemon's recording?)");
  }
  return it->second;
}

double number(const recording::Header& h, const std::string& key) {
  const std::string& s = need(h, key);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    // from_chars does not read "inf"; the header writes it for an unbounded clamp.
    if (s == "inf") return INFINITY;
    if (s == "-inf") return -INFINITY;
    throw std::invalid_argument("the recording's header \"" + key + "\" is not a number: " + s);
  }
  return v;
}

bool flag(const recording::Header& h, const std::string& key) {
  const std::string& s = need(h, key);
  if (s != "0" && s != "1") {
    throw std::invalid_argument("the recording's header \"" + key + "\" is not 0 or 1: " + s);
  }
  return s == "1";
}

}  // namespace

recording::Header make_header(const DaemonConfig& config, const RecordedRun& run,
                              const RunDescription& d) {
  const discipline::EngineConfig& e = run.engine;
  const conductor::ConductorOptions& o = run.conductor;
  recording::Header h;
  h["format"] = "nanotime field recording";
  h["nanotime_version"] = NANOTIME_VERSION;
  h["config"] = print_config(config);
  h["origin"] = d.origin;
  h["hardware.phc"] = d.phc;
  h["hardware.clock_name"] = d.clock_name;
  h["hardware.pin"] = std::to_string(o.pin);
  h["hardware.gpio_device"] = d.gpio_device;
  h["engine.servo"] = e.servo;
  for (const auto& [k, v] : {std::pair{"cable_delay_ns", e.cable_delay_ns},
                            {"holdover_limit_ns", e.holdover_limit_ns},
                            {"max_freq_ppb", e.max_freq_ppb},
                            {"nominal_pulse_period_s", e.nominal_pulse_period_s},
                            {"pulse_width_s", e.pulse_width_s},
                            {"initial_freq_ppb", e.initial_freq_ppb},
                            {"step_error_ns", e.step_error_ns},
                            {"step_threshold_ns", e.step_threshold_ns},
                            {"max_slew_ppb", e.max_slew_ppb},
                            {"bound_sigmas", e.bound_sigmas},
                            {"reference_sd_ns", e.reference_sd_ns},
                            {"holdover_after_s", e.holdover_after_s},
                            {"tod_guard_s", e.tod_guard_s},
                            {"relabel_after_s", e.relabel_after_s},
                            {"feedforward_smoothing_s", e.feedforward_smoothing_s},
                            {"receiver_navigation_wander_ns", e.receiver_navigation_wander_ns},
                            {"receiver_settle_s", e.receiver_settle_s}}) {
    h[std::string("engine.") + k] = num(v);
  }
  h["engine.tai_utc_s"] = std::to_string(e.tai_utc_s);
  h["engine.both_edges"] = e.both_edges ? "1" : "0";
  h["engine.degraded_clock_class"] = std::to_string(e.degraded_clock_class);
  h["engine.temperature_feedforward"] = e.temperature_feedforward ? "1" : "0";
  h["engine.leap_seconds"] = d.leap_seconds_text;
  h["conductor.pin"] = std::to_string(o.pin);
  h["conductor.channel"] = std::to_string(o.channel);
  h["conductor.set_pin"] = o.set_pin ? "1" : "0";
  h["conductor.cable_delay_shift_ns"] = num(o.cable_delay_shift_ns);
  h["conductor.latch_model"] = std::string(o.latch_model.name);
  h["conductor.gpio_latency_floor_max_ns"] = num(o.gpio_check.latency_floor_max_ns);
  h["conductor.chrony"] = run.chrony ? "1" : "0";
  h["conductor.gpio"] = run.gpio ? "1" : "0";
  return h;
}

RecordedRun recorded_run(const recording::Header& h) {
  RecordedRun run;
  discipline::EngineConfig& e = run.engine;
  e.servo = need(h, "engine.servo");
  e.cable_delay_ns = number(h, "engine.cable_delay_ns");
  e.holdover_limit_ns = number(h, "engine.holdover_limit_ns");
  e.max_freq_ppb = number(h, "engine.max_freq_ppb");
  e.nominal_pulse_period_s = number(h, "engine.nominal_pulse_period_s");
  e.pulse_width_s = number(h, "engine.pulse_width_s");
  e.initial_freq_ppb = number(h, "engine.initial_freq_ppb");
  e.step_error_ns = number(h, "engine.step_error_ns");
  e.step_threshold_ns = number(h, "engine.step_threshold_ns");
  e.max_slew_ppb = number(h, "engine.max_slew_ppb");
  e.bound_sigmas = number(h, "engine.bound_sigmas");
  e.reference_sd_ns = number(h, "engine.reference_sd_ns");
  e.holdover_after_s = number(h, "engine.holdover_after_s");
  e.tod_guard_s = number(h, "engine.tod_guard_s");
  e.relabel_after_s = number(h, "engine.relabel_after_s");
  e.feedforward_smoothing_s = number(h, "engine.feedforward_smoothing_s");
  // Absent from recordings made before the receiver watch: they hold no receiver_mode record,
  // so the defaults change nothing.
  if (h.count("engine.receiver_navigation_wander_ns") != 0) {
    e.receiver_navigation_wander_ns = number(h, "engine.receiver_navigation_wander_ns");
  }
  if (h.count("engine.receiver_settle_s") != 0) {
    e.receiver_settle_s = number(h, "engine.receiver_settle_s");
  }
  e.tai_utc_s = static_cast<int>(number(h, "engine.tai_utc_s"));
  e.both_edges = flag(h, "engine.both_edges");
  const double degraded = number(h, "engine.degraded_clock_class");
  if (degraded != 52 && degraded != 187) {
    throw std::invalid_argument("the recording's header \"engine.degraded_clock_class\" is not "
                                "52 or 187");
  }
  e.degraded_clock_class = static_cast<std::uint8_t>(degraded);
  e.temperature_feedforward = flag(h, "engine.temperature_feedforward");
  if (const std::string& leap = need(h, "engine.leap_seconds"); !leap.empty()) {
    e.leap_table = std::make_shared<const timescale::LeapTable>(
        timescale::LeapTable::parse(leap, "the recording's leap-seconds.list"));
  }
  conductor::ConductorOptions& o = run.conductor;
  o.log_events = false;
  o.pin = static_cast<unsigned>(number(h, "conductor.pin"));
  o.channel = static_cast<unsigned>(number(h, "conductor.channel"));
  o.set_pin = flag(h, "conductor.set_pin");
  o.cable_delay_shift_ns = number(h, "conductor.cable_delay_shift_ns");
  const std::string& latch = need(h, "conductor.latch_model");
  const transfer::LatchModel* m = transfer::find_latch_model(latch);
  if (m == nullptr) {
    throw std::invalid_argument("the recording's latch model \"" + latch + "\" is unknown here");
  }
  o.latch_model = *m;
  o.gpio_check.latency_floor_max_ns = number(h, "conductor.gpio_latency_floor_max_ns");
  run.chrony = flag(h, "conductor.chrony");
  run.gpio = flag(h, "conductor.gpio");
  return run;
}

}  // namespace nanotime::ppsd
