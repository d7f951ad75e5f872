#include "status/receiver_metrics.hpp"

#include <cmath>
#include <limits>
#include <string>

namespace nanotime::status {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

template <std::size_t N>
std::array<Gauge*, N> labelled(Registry& reg, std::string_view name, std::string_view help,
                               std::string_view label,
                               const std::array<std::string_view, N>& values) {
  std::array<Gauge*, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    out[i] = &reg.gauge(name, "", help, {{std::string(label), std::string(values[i])}});
  }
  return out;
}

// 1 for the current value, 0 for the others; an unlisted value counts as "unknown" (last).
template <std::size_t N>
void set_one(const std::array<Gauge*, N>& gauges, const std::array<std::string_view, N>& values,
             std::string_view current) {
  std::size_t hit = N - 1;
  for (std::size_t i = 0; i < N; ++i) {
    if (values[i] == current) hit = i;
  }
  for (std::size_t i = 0; i < N; ++i) gauges[i]->set_bool(i == hit);
}

double or_nan(const std::optional<int>& v) { return v ? static_cast<double>(*v) : kNaN; }

}  // namespace

std::string receiver_note(const ReceiverFacts& f) {
  if (!f.position_limited) return "";
  return f.time_mode == "navigation"
             ? "receiver navigating (not in a time mode): accuracy limited by position"
             : "receiver surveying (navigation mode): accuracy limited by position";
}

ReceiverMetrics::ReceiverMetrics(Registry& reg)
    : info(reg.info("nanotime_receiver_info", "The GNSS receiver (UBX-MON-VER): model, firmware, "
                    "generation (8: M8, 9: F9)",
                    {{"model", ""}, {"firmware", ""}, {"generation", ""}})),
      mode(labelled(reg, "nanotime_receiver_time_mode",
                    "The receiver's time mode: 1 for the current of fixed, survey_in, navigation, "
                    "unknown", "mode", kReceiverTimeModes)),
      survey_active(reg.gauge("nanotime_receiver_survey_active", "",
                              "1 while the receiver surveys its position (UBX-TIM-SVIN)")),
      survey_duration(reg.gauge("nanotime_receiver_survey_duration_seconds", "seconds",
                                "How long the current or last survey has run")),
      survey_accuracy(reg.gauge("nanotime_receiver_survey_accuracy_meters", "meters",
                                "Accuracy of the survey's mean position")),
      antenna(labelled(reg, "nanotime_receiver_antenna_state",
                       "Antenna supervisor (UBX-MON-HW / MON-RF): 1 for the current of ok, "
                       "short, open, off, unknown", "state", kAntennaStates)),
      jamming(reg.gauge("nanotime_receiver_jamming_indicator", "",
                        "Receiver's jamming/CW indicator, 0 (none) to 255 (strong)")),
      satellites_used(reg.gauge("nanotime_receiver_satellites_used", "",
                                "Satellites the receiver uses in its solution")),
      timtp_present(reg.gauge("nanotime_receiver_timtp_present", "",
                              "1 while UBX-TIM-TP (the pulse's qErr) arrives")),
      watch_connected(reg.gauge("nanotime_receiver_watch_connected", "",
                                "1 while the receiver watch has gpsd's raw stream")),
      section(reg.section("receiver")) {
  set_one(mode, kReceiverTimeModes, "unknown");
  set_one(antenna, kAntennaStates, "unknown");
}

void ReceiverMetrics::update(const ReceiverFacts& f) {
  set_one(mode, kReceiverTimeModes, f.time_mode);
  set_one(antenna, kAntennaStates, f.antenna);
  section.set_flag("watched", f.watched);
  section.set_text("time_mode", std::string(f.time_mode));
  section.set_flag("position_limited", f.position_limited);
  section.set_number("navigation_wander_ns", f.wander_ns);
  section.set_text("note", receiver_note(f));
  if (!f.watched) return;  // no watch: no figures, not fake zeros
  info.set("model", f.model);
  info.set("firmware", f.firmware);
  info.set("generation", f.generation > 0 ? std::to_string(f.generation) : "");
  survey_active.set_bool(f.survey_active);
  survey_duration.set(f.survey_duration_s);
  survey_accuracy.set(f.survey_accuracy_m.value_or(kNaN));
  jamming.set(or_nan(f.jamming_indicator));
  satellites_used.set(or_nan(f.satellites_used));
  timtp_present.set_bool(f.timtp_present);
  watch_connected.set_bool(f.connected);
  section.set_flag("connected", f.connected);
  section.set_text("model", f.model);
  section.set_text("firmware", f.firmware);
  section.set_number("generation", f.generation > 0 ? std::optional<double>(f.generation)
                                                     : std::nullopt);
  section.set_flag("survey_active", f.survey_active);
  section.set_number("survey_duration_s", f.survey_duration_s);
  section.set_number("survey_accuracy_m", f.survey_accuracy_m);
  section.set_text("antenna", std::string(f.antenna));
  section.set_number("jamming_indicator", f.jamming_indicator
                                              ? std::optional<double>(*f.jamming_indicator)
                                              : std::nullopt);
  section.set_number("satellites_used", f.satellites_used
                                            ? std::optional<double>(*f.satellites_used)
                                            : std::nullopt);
  section.set_flag("timtp_present", f.timtp_present);
}

}  // namespace nanotime::status
