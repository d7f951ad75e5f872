#pragma once
// The records of a nanotime field recording (docs/recording.md): what the Conductor took from
// the world at its ports, and what it did, each stamped with the monotonic time it was taken.
// A recording is a tape: replaying it feeds the Conductor the same answers in the same order,
// so every record the Conductor consumes is here, and every output it produced is here to be
// compared. The types are the ports' own (headers only: no code of theirs is linked).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "discipline/events.hpp"
#include "gpsd/events.hpp"
#include "phc/phc_read.hpp"
#include "phc/ptp_clock.hpp"
#include "pps/pps_device.hpp"

namespace nanotime::recording {

// ---- inputs: what the ports answered ----
struct MonoRead { std::int64_t ns = 0; };           // Clocks::mono_ns
struct RealRead { std::int64_t ns = 0; };           // Clocks::realtime_ns
struct ExttsRead { std::vector<phc::ExttsRecord> records; };  // PtpClock::read_extts
struct PhcReadings { phc::PhcReadings readings; };  // PtpClock::read_system, every sample
struct PhcFailure {                                 // PtpClock::read_system threw
  std::int32_t error_number = 0;
  bool read_error = true;  // phc::PhcReadError (one lost sample), else a fatal phc::PhcError
  std::string message;
};
struct GpioFetch { std::optional<pps::PpsTimestamp> edge; };  // GpioPpsSource::latest_assert
struct GpioFailure { std::string message; };                  // latest_assert threw
struct TodEvents { std::vector<gpsd::Event> events; };        // handed to on_tod_events
struct Tick { std::optional<double> temperature_c; };         // on_tick (board temperature)
struct Carrier { bool up = true; };                           // on_carrier
struct Caps { phc::PhcCaps caps; };                           // PtpClock::caps
// ---- commands the Conductor applied ----
struct PinFunction { std::uint32_t pin = 0, function = 0, channel = 0; };
struct ExttsEnable { std::uint32_t channel = 0; bool enable = true; };
struct Frequency { double requested_ppb = 0, applied_ppb = 0; };
struct Step { std::int64_t delta_ns = 0; };
// ---- outputs, compared on replay ----
struct ChronySent {
  std::int64_t system_ns = 0;
  double offset_ns = 0;
  std::int32_t leap = 0;
  bool delivered = false;
};
struct Quality { discipline::ClockQuality quality; };
// ---- inputs added later (appended: type codes never move) ----
// A new receiver time mode handed to on_receiver (discipline::ReceiverTimeMode as u8): the
// receiver watch's other fields only feed status, so only mode changes are recorded.
struct ReceiverMode { std::uint8_t mode = 0; };

using Body = std::variant<MonoRead, RealRead, ExttsRead, PhcReadings, PhcFailure, GpioFetch,
                          GpioFailure, TodEvents, Tick, Carrier, Caps, PinFunction, ExttsEnable,
                          Frequency, Step, ChronySent, Quality, ReceiverMode>;

struct Record {
  std::int64_t mono_ns = 0;  // CLOCK_MONOTONIC when it was taken (the recorder's own read)
  Body body;
};

// The on-disk type code of each alternative: its index + 1 (0 is never used). Append new types
// at the end of Body; never reorder (docs/recording.md#records).
inline std::uint8_t type_code(const Body& b) { return static_cast<std::uint8_t>(b.index() + 1); }
std::string_view type_name(std::uint8_t code);  // "mono", "phc_read", …; "unknown"

// A one-line human description ("frequency 12.5 ppb (applied 12.5)"), for mismatch reports.
std::string describe(const Body& b);

bool operator==(const Record& a, const Record& b);

// The header: ordered key → value strings (docs/recording.md#header names the keys).
using Header = std::map<std::string, std::string>;

}  // namespace nanotime::recording
