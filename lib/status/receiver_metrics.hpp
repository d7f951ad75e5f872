#pragma once
// phc-pps-sync's view of the GNSS receiver's own state (the receiver watch: model, time mode,
// survey, antenna, jamming, TIM-TP), as /metrics series and /status's "receiver" object. The
// names are agreed with the alert rules (prometheus/) and documented in lib/status/README.md.
// The time mode and antenna state are gauges with a `mode` / `state` label, 1 for the current
// value (a Prometheus state set); everything never reported stays NaN ("no data").

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "status/metrics.hpp"

namespace nanotime::status {

inline constexpr std::array<std::string_view, 4> kReceiverTimeModes = {"fixed", "survey_in",
                                                                       "navigation", "unknown"};
inline constexpr std::array<std::string_view, 5> kAntennaStates = {"ok", "short", "open", "off",
                                                                   "unknown"};

// What the daemon knows of the receiver, in plain values (phc-pps-sync/daemon fills it).
struct ReceiverFacts {
  bool watched = false;                 // a receiver watch exists (else: everything unknown)
  bool connected = false;
  std::string model, firmware;
  int generation = 0;                   // 0 unknown
  std::string_view time_mode = "unknown";  // one of kReceiverTimeModes
  bool survey_active = false;
  double survey_duration_s = 0;
  std::optional<double> survey_accuracy_m;
  std::string_view antenna = "unknown";    // one of kAntennaStates
  std::optional<int> jamming_indicator;
  std::optional<int> satellites_used;
  bool timtp_present = false;
  bool position_limited = false;        // the engine widens the bound for the position
  double wander_ns = 0;                 // the engine's receiver term now (1σ)
};

// "receiver surveying (navigation mode): accuracy limited by position", or "".
std::string receiver_note(const ReceiverFacts& f);

struct ReceiverMetrics {
  explicit ReceiverMetrics(Registry& reg);
  void update(const ReceiverFacts& f);

  Info& info;                    // nanotime_receiver_info{model,firmware,generation}
  std::array<Gauge*, 4> mode;    // nanotime_receiver_time_mode{mode}
  Gauge& survey_active;          // nanotime_receiver_survey_active 0/1
  Gauge& survey_duration;        // nanotime_receiver_survey_duration_seconds
  Gauge& survey_accuracy;        // nanotime_receiver_survey_accuracy_meters
  std::array<Gauge*, 5> antenna; // nanotime_receiver_antenna_state{state}
  Gauge& jamming;                // nanotime_receiver_jamming_indicator 0…255
  Gauge& satellites_used;        // nanotime_receiver_satellites_used
  Gauge& timtp_present;          // nanotime_receiver_timtp_present 0/1
  Gauge& watch_connected;        // nanotime_receiver_watch_connected 0/1
  Section& section;              // /status "receiver"
};

}  // namespace nanotime::status
