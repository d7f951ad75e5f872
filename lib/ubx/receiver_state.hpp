#pragma once
// What we know about the receiver, folded from the UBX frames it sends (pure: the caller
// passes the monotonic time of arrival). Shared by phc-pps-sync's watcher and the
// nanotime-receiver tool.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ubx/frame.hpp"
#include "ubx/messages.hpp"

namespace nanotime::ubx {

// navigation = time mode disabled (the receiver solves for its position every epoch).
enum class TimeMode { unknown, survey_in, fixed, navigation };
std::string_view to_string(TimeMode m);  // "unknown", "survey_in", "fixed", "navigation"

enum class Antenna { unknown, ok, short_circuit, open, off };
std::string_view to_string(Antenna a);  // "unknown", "ok", "short", "open", "off"

std::string_view to_string(JammingState j);  // "unknown", "ok", "warning", "critical"

// TIM-TP counts as present while the last one is at most this old.
constexpr std::int64_t kTimTpPresentWindowNs = 3'000'000'000;

struct SurveyState {
  bool seen = false;  // a TIM-SVIN has arrived
  bool active = false;
  bool valid = false;
  std::uint32_t dur_s = 0;
  double accuracy_m = 0.0;
  std::uint32_t observations = 0;
  friend bool operator==(const SurveyState&, const SurveyState&) = default;
};

struct ReceiverState {
  // From MON-VER.
  bool identified = false;
  std::string model;     // "ZED-F9T", "" when the receiver does not say
  std::string firmware;  // "TIM 2.20"
  std::string hw_version;
  std::string protocol_version;
  Generation generation = Generation::unknown;
  bool timing_model = false;

  TimeMode time_mode = TimeMode::unknown;
  SurveyState survey;

  Antenna antenna = Antenna::unknown;
  std::optional<std::uint8_t> jamming_indicator;  // 0..255
  JammingState jamming_state = JammingState::unknown;

  std::optional<int> satellites_used;  // NAV-PVT numSV

  std::optional<std::int64_t> last_tim_tp_mono_ns;
  TimTp last_tim_tp;

  // Bookkeeping (not "changes" for fold()'s return value).
  std::uint64_t frames = 0;
  std::uint64_t decode_errors = 0;
  std::string last_decode_error;

  friend bool operator==(const ReceiverState&, const ReceiverState&) = default;
};

// Folds one frame into `s`. Returns true when something a reader shows changed (identity,
// mode, survey, antenna, jamming, satellites, TIM-TP appearing after absence); counters and
// the refresh of an already-present TIM-TP are not changes. Unknown messages are ignored;
// a known message that does not decode increments decode_errors.
bool fold(ReceiverState& s, const Frame& f, std::int64_t now_mono_ns);

// TIM-TP seen within kTimTpPresentWindowNs before now.
bool tim_tp_present(const ReceiverState& s, std::int64_t now_mono_ns);

}  // namespace nanotime::ubx
