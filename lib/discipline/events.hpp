#pragma once
// What goes into and comes out of the discipline engine (lib/discipline/engine.hpp).
// Plain data only: the engine is pure, so these carry every time it needs.
//
// Time bases:
//   phc_ns   PHC reading in ns. Once aligned, the PHC counts TAI (PTP timescale) since 1970.
//   mono_ns  CLOCK_MONOTONIC in ns (the daemon) or the simulator's equivalent. Only differences
//            of mono times are meaningful.
//   utc_s    POSIX seconds (UTC without leap seconds), as gpsd reports them.

#include <cstdint>
#include <optional>
#include <variant>

namespace nanotime::discipline {

enum class LeapWarning : std::uint8_t { none, insert, del };  // at the end of the UTC day

// ---- events in ------------------------------------------------------------------------------

// One EXTTS edge as read from /dev/ptpN: PHC time of the edge, and when user space got it.
struct ExttsEvent {
  std::int64_t phc_ns = 0;
  std::int64_t arrival_mono_ns = 0;
};

// A gpsd time report (TOFF): "the edge at the top of UTC second utc_s", arrived at mono time.
struct TimeReport {
  std::int64_t utc_s = 0;
  std::int64_t arrival_mono_ns = 0;
  std::optional<int> tai_utc_s;       // TAI − UTC from the receiver, when it reports it
  LeapWarning leap = LeapWarning::none;
};

// A gpsd PPS report with the receiver's quantisation error of the pulse at utc_s (u-blox
// TIM-TP qErr, converted from ps). Sign, as u-blox defines it ("corrected = measured + qErr")
// and as gps-sock-bridge applies it: the receiver's edge for second S happens at true time
//   S − qerr_ns,
// so a PHC that timestamps that edge at phc_ns is off by  phc_ns − S·1e9 + qerr_ns.
// (In the simulator: edge error e = edge − true second; the receiver reports qerr_ns = −e.)
struct PulseReport {
  std::int64_t utc_s = 0;
  std::int64_t edge_mono_ns = 0;
  std::optional<double> qerr_ns;
};

struct TemperatureReading {
  std::int64_t mono_ns = 0;
  double celsius = 0;
};

// Link carrier of the PHY whose PHC we own (netlink). While down, EXTTS events are stale.
struct CarrierChange {
  std::int64_t mono_ns = 0;
  bool up = true;
};

// Periodic wake-up (the daemon's 1 s timer): lets the engine notice missing pulses.
struct Tick {
  std::int64_t mono_ns = 0;
};

// The GNSS receiver's time mode, as its own messages say (u-blox UBX-TIM-SVIN / CFG-TMODE):
//   fixed       the antenna position is fixed (after a survey or entered): the best pulse
//   survey_in   surveying its position; meanwhile it navigates, so the pulse carries the
//               position solution's error
//   navigation  position solved every epoch (no time mode): the same extra wander
//   unknown     not watched (not a u-blox receiver, or no watcher): the engine assumes nothing
enum class ReceiverTimeMode : std::uint8_t { unknown, fixed, survey_in, navigation };

// The receiver's time mode changed (or was learned), at mono time mono_ns.
struct ReceiverModeChange {
  std::int64_t mono_ns = 0;
  ReceiverTimeMode mode = ReceiverTimeMode::unknown;
};

using Event = std::variant<ExttsEvent, TimeReport, PulseReport, TemperatureReading,
                           CarrierChange, Tick, ReceiverModeChange>;

// ---- commands and reports out ---------------------------------------------------------------

enum class LockState : std::uint8_t { acquiring, converging, tracking, holdover, freerun };

// Absolute frequency adjustment of the PHC in ppb (clock_adjtime ADJ_FREQUENCY; positive runs
// faster), already clamped to the configured limit.
struct SetFrequency {
  double freq_ppb = 0;
};

// Step the PHC by delta_ns (ADJ_SETOFFSET). The engine asks for one at start or after a long
// outage, never while tracking.
struct StepClock {
  std::int64_t delta_ns = 0;
};

// What ptp4l should announce (GRANDMASTER_SETTINGS_NP) and status should show.
struct ClockQuality {
  LockState state = LockState::acquiring;
  std::uint8_t clock_class = 248;
  std::uint8_t clock_accuracy = 0xfe;            // IEEE 1588 enumeration, 0xfe = unknown
  std::uint16_t offset_scaled_log_variance = 0xffff;
  double error_bound_ns = 0;                     // bound on |PHC − TAI|; infinity if unknown
  int tai_utc_s = 37;
  bool utc_offset_valid = false;
  bool leap61 = false;
  bool leap59 = false;
  bool time_traceable = false;
  bool frequency_traceable = false;
  friend bool operator==(const ClockQuality&, const ClockQuality&) = default;
};

// Permission to send chronyd a PHC sample, and how to turn a PHC reading into UTC:
//   true UTC ≈ phc − phc_minus_tai_ns − tai_utc_s·1e9 (for PHC readings close to the last edge).
// The daemon reads PHC − system right after the EXTTS event and sends chronyd
// offset = that true UTC − system time, with `leap`.
struct ChronySample {
  double phc_minus_tai_ns = 0;
  int tai_utc_s = 37;
  LeapWarning leap = LeapWarning::none;
  double error_bound_ns = 0;
};

// How one pulse was measured (for the simulator's report, status and tests).
struct PulseMeasurement {
  std::int64_t tai_s = 0;          // the TAI second the pulse was labelled with
  double offset_ns = 0;            // measured PHC − TAI at the edge (after qErr and cable delay)
  bool used = false;               // fed to the servo (false: outlier, or not tracking)
  bool outlier = false;
};

// Everything one event produced. Fields left empty mean "nothing to do".
struct Output {
  std::optional<StepClock> step;            // apply before the frequency
  std::optional<SetFrequency> frequency;
  std::optional<ClockQuality> quality;      // only when it changed
  std::optional<ChronySample> chrony;
  std::optional<PulseMeasurement> pulse;
};

}  // namespace nanotime::discipline
