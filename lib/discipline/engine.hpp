#pragma once
// The discipline engine: pure (no clocks, sleeps, files or threads). Feed it events in the order
// they happened; apply what each call returns. The daemon (phc-pps-sync/) and the simulator
// (sim/) drive the same engine.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "discipline/events.hpp"
#include "servo/servo.hpp"
#include "timescale/leap_table.hpp"

namespace nanotime::discipline {

struct EngineConfig {
  std::string servo = "kalman";          // "pi" (linuxptp baseline) or "kalman" (default)
  double cable_delay_ns = 0;             // antenna + cable + receiver delay to compensate
  double holdover_limit_ns = 1000;       // clockClass 7 while the error bound is below this
  double max_freq_ppb = 500000;          // clamp, far below the driver's max_adj
  int tai_utc_s = 37;                    // fallback TAI − UTC (leap-seconds.list) until gpsd says
  double nominal_pulse_period_s = 1.0;
  bool both_edges = false;               // driver reports both edges (i210/i226)
  double pulse_width_s = 0.1;            // with both_edges: the falling edge comes this late
  // The EXTTS counter's tick when known; 0: learned from the timestamps (their gcd). A re-servo
  // (sim/reservo.hpp) moves recorded edges off the tick grid they still carry the error of.
  std::int64_t extts_tick_ns = 0;
  // ---- added by the engine (all optional; defaults suit a CM4 + u-blox timing receiver) ----
  double initial_freq_ppb = 0;           // frequency adjustment already applied at start
  double step_error_ns = 2000;           // how far a step may land (CM4: read-then-write)
  double step_threshold_ns = 50000;      // pulses back after an outage: step beyond this
  double max_slew_ppb = 20000;           // limit of the phase-correcting part of the frequency
  double bound_sigmas = 3;               // error bound = this × the predicted 1σ
  double reference_sd_ns = 10;           // receiver wander no servo can see (1σ, in the bound)
  std::uint8_t degraded_clock_class = 52;  // after holdover within bound (52 or 187)
  double holdover_after_s = 3;           // TRACKING → HOLDOVER after this long without pulses
  double tod_guard_s = 0.1;              // see PulseLabeler
  double relabel_after_s = 600;          // persistent ToD/PHC label disagreement: re-acquire
  std::shared_ptr<const timescale::LeapTable> leap_table;  // leap-seconds.list, if read
  // Kalman: a hand-set oscillator/measurement noise model instead of the learned one.
  std::optional<servo::NoiseModel> oscillator_model;
  // Once the temperature coefficient is identified, cancel the temperature-driven frequency
  // change in the command itself (tracking and holdover), so that a sudden temperature step
  // does not reach the servo as an unexplained frequency step.
  bool temperature_feedforward = true;
  double feedforward_smoothing_s = 30;   // averaging of the readings between steps
  // While the receiver is not in fixed mode (surveying, or navigating) its pulse carries the
  // position solution's error (1 m ≈ 3.3 ns): the extra wander's 1σ, added in quadrature to
  // reference_sd_ns in the bound. After the receiver fixes its position the term fades with
  // receiver_settle_s (the servo still carries the last navigation error for a while).
  double receiver_navigation_wander_ns = 15;
  double receiver_settle_s = 300;
};

// Counters and the latest estimates, for status, metrics and the simulator's report.
struct EngineStatus {
  LockState state = LockState::acquiring;
  double last_offset_ns = 0;       // last measured PHC − TAI
  double freq_ppb = 0;             // current frequency adjustment
  double error_bound_ns = 0;
  std::uint64_t pulses_seen = 0;
  std::uint64_t pulses_used = 0;
  std::uint64_t pulses_lost = 0;          // expected edges that never came
  std::uint64_t pulses_ambiguous = 0;     // dropped: could not be labelled with certainty
  std::uint64_t pulses_stale = 0;         // duplicates / carrier-loss repeats
  std::uint64_t outliers_rejected = 0;
  std::uint64_t steps = 0;
  ClockQuality quality;
  // ---- added by the engine ----
  std::uint64_t pulses_unlabelled = 0;    // part of pulses_ambiguous: no usable time message
  std::uint64_t label_disagreements = 0;  // part of pulses_ambiguous: ToD ≠ PHC label
  std::uint64_t late_label_disagreements = 0;  // ToD ≠ PHC label for a pulse already used
  std::uint64_t falling_edges = 0;        // both_edges: discarded
  double phase_ns = 0;                    // servo's estimate of PHC − TAI now
  double oscillator_ppb = 0;              // estimated free-running frequency error
  double meas_noise_ns = 0;               // learned: white phase noise (1σ)
  double wfm_ppb = 0;                     // learned: white FM (1σ of 1 s mean frequency)
  double rwfm_ppb_per_sqrt_s = 0;         // learned: random-walk FM
  bool temperature_identified = false;
  double temp_coeff_ppb_per_c = 0;        // learned frequency vs temperature
  double temp_coeff_sd_ppb_per_c = 0;
  bool temperature_feedforward_active = false;
  double temperature_feedforward_ppb = 0;  // part of freq_ppb that cancels the temperature
  ReceiverTimeMode receiver_mode = ReceiverTimeMode::unknown;  // last ReceiverModeChange
  double receiver_wander_ns = 0;          // the receiver's term in the bound now (1σ)
  // True while the bound is widened for the receiver's position (surveying or navigating):
  // status says "receiver surveying (navigation mode): accuracy limited by position".
  bool position_limited = false;
};

// What the engine does (engine.cpp; pieces in lock_state, pulse_labeler, edge_corrections,
// leap_state, temperature_model, temperature_feedforward, quality; servos in lib/servo):
// - Lock state: the transitions are one table (lock_state.cpp); the engine tells it what
//   happened (a pulse used, a step, pulses missing, the bound past the limit) and follows.
// - Measurement: offset = PHC − TAI at the edge = phc_ns − tai_s·1e9 − qerr_ns − cable_delay_ns
//   + tick/2. qerr_ns comes from the PulseReport naming the same UTC second (the pulse left the
//   receiver qerr late); tick is the EXTTS timestamp granularity, learned as the gcd of recent
//   timestamps (8 ns on CM4): a truncated timestamp is on average half a tick early.
// - The servo's time base is TAI at the edges (exact), so an uncertain monotonic edge time
//   never multiplies the PHC's ~13 ppm frequency error; only the delay between an edge and
//   the moment its command applies comes from monotonic time.
// - Temperature feed-forward (temperature_feedforward): once the temperature coefficient c has
//   been identified, every command is the servo's frequency + ff, ff = Σ −w·c·ΔT_f over the
//   readings (T_f: step-preserving filtered reading, temperature_filter.hpp; w = c²/(c² + sd²)
//   shrinks an uncertain c; in holdover only while c is identified), so the servo sees an
//   oscillator without the temperature effect. The model learns from the whole oscillator
//   (servo's estimate − ff): ff does not bias it. Each change of ff is told to the servo as a
//   disturbance (servo::Control::disturbance: it came up to one reading interval after the real
//   change, and c is known only to sd), so the pulses after a temperature step are used, not
//   gated out.
//   Without temperature readings nothing changes.
// - Output::pulse describes the last pulse an event released (acquisition releases two).
// - ChronySample::phc_minus_tai_ns is the servo's estimate of PHC − TAI at the monotonic time
//   of the event that produced it (the daemon reads the PHC right then). Sent only while
//   TRACKING with the bound below holdover_limit_ns, or on Ticks in HOLDOVER within it.
// - ClockQuality::error_bound_ns is the bound rounded up to its clockAccuracy class limit (so
//   the quality changes rarely); EngineStatus::error_bound_ns is the exact bound, valid until
//   one pulse period after the last event. offsetScaledLogVariance: PTPVAR(1 s) = σ_y²(1 s)/3
//   with σ_y² the Allan variance from the learned noise model (IEEE 1588-2008 7.6.3.3), as
//   256·log2(var/s²) + 0x8000, moved only when it changes by more than one log2 unit.
// - Receiver time mode (ReceiverModeChange): in survey_in or navigation mode the bound adds
//   receiver_navigation_wander_ns (1σ) in quadrature to reference_sd_ns, so it stays true while
//   the pulse wanders with the position solution; clockAccuracy follows the bound, clockClass
//   is unchanged (6 when locked: the time is still traceable to GNSS). Back in fixed mode the
//   term fades as exp(−t/receiver_settle_s). unknown (never told) changes nothing.
class Engine {
 public:
  virtual ~Engine() = default;
  virtual Output handle(const Event& event) = 0;
  virtual EngineStatus status() const = 0;
};

// Throws std::invalid_argument for an unknown servo name.
std::unique_ptr<Engine> make_engine(const EngineConfig& config);

}  // namespace nanotime::discipline
