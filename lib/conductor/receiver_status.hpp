#pragma once
// What the receiver watch (phc-pps-sync/daemon: gpsd's raw UBX stream; sim/: the simulated
// receiver) knows of the GNSS receiver: plain data for the conductor, status and metrics.
// Fields a receiver never reported stay empty ("unknown"), never a guessed value.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "discipline/events.hpp"

namespace nanotime::conductor {

enum class AntennaState : std::uint8_t { unknown, ok, short_circuit, open, off };

struct ReceiverStatus {
  bool connected = false;              // the watch has its stream (gpsd connection)
  std::string model;                   // UBX-MON-VER, e.g. "ZED-F9T"; "" unknown
  std::string firmware;                // e.g. "TIM 2.20"
  int generation = 0;                  // 8 (M8), 9 (F9); 0 unknown
  discipline::ReceiverTimeMode mode = discipline::ReceiverTimeMode::unknown;
  bool survey_active = false;          // UBX-TIM-SVIN active
  double survey_duration_s = 0;        // survey so far
  std::optional<double> survey_accuracy_m;  // its mean position's accuracy
  AntennaState antenna = AntennaState::unknown;  // UBX-MON-HW / MON-RF
  std::optional<int> jamming_indicator;         // 0 (none) … 255 (strong)
  std::optional<int> satellites_used;
  bool timtp_present = false;          // UBX-TIM-TP seen within the last few seconds
  friend bool operator==(const ReceiverStatus&, const ReceiverStatus&) = default;
};

// Names used by /status, /metrics and the status client (the agreed label values).
constexpr std::string_view time_mode_name(discipline::ReceiverTimeMode m) {
  switch (m) {
    case discipline::ReceiverTimeMode::fixed: return "fixed";
    case discipline::ReceiverTimeMode::survey_in: return "survey_in";
    case discipline::ReceiverTimeMode::navigation: return "navigation";
    default: return "unknown";
  }
}
constexpr std::string_view antenna_state_name(AntennaState a) {
  switch (a) {
    case AntennaState::ok: return "ok";
    case AntennaState::short_circuit: return "short";
    case AntennaState::open: return "open";
    case AntennaState::off: return "off";
    default: return "unknown";
  }
}

}  // namespace nanotime::conductor
