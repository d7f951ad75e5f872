#pragma once
// Clock servos behind two interfaces: Control (like linuxptp's servo.h, with pi.c / linreg.c
// behind it) and Estimator (the servo's model of the PHC, read-only).
//
// Conventions (as linuxptp): offset = PHC − reference (positive: the PHC is ahead).
// The returned frequency is the absolute adjustment to APPLY to the PHC (clock_adjtime
// ADJ_FREQUENCY, positive runs faster), already clamped; a PHC that is ahead is slowed down.
// Times are in ns of any monotonic base (the engine uses the edge's monotonic time).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace nanotime::servo {

enum class ServoState : std::uint8_t { unlocked, jump, locked };

// Oscillator + measurement noise levels, as a servo has learned them.
struct NoiseModel {
  double meas_var_ns2 = 0;      // white phase (measurement) noise, ns²
  double wfm_ns2_per_s = 0;     // white FM: phase diffusion, ns²/s (= (ppb of a 1 s mean)²)
  double rwfm_ns2_per_s3 = 0;   // random-walk FM: frequency diffusion, ppb²/s
};

struct ServoConfig {
  double max_freq_ppb = 500000;          // clamp of the applied frequency
  double first_step_threshold_ns = 20000;  // step at start when |offset| exceeds this
  double step_threshold_ns = 0;          // 0: never step after the start
  double initial_freq_ppb = 0;           // adjustment already applied when the servo starts
  double nominal_period_s = 1.0;
  double step_error_ns = 2000;           // how far a step may land off (Kalman: initial variance)
  double max_slew_ppb = 20000;           // Kalman: limit of the phase-correcting part
  // Kalman: a hand-set noise model instead of learning one online.
  std::optional<NoiseModel> fixed_noise;
};

struct ServoInput {
  // Offset PHC − reference at the edge: integer ns plus a fraction, so that the first
  // samples of a cold start (PHC off by decades, ~1e18 ns) keep ns precision.
  std::int64_t offset_ns = 0;
  double offset_frac_ns = 0;
  std::int64_t edge_ns = 0;      // monotonic time of the edge
  std::int64_t apply_ns = 0;     // monotonic time the returned frequency takes effect (>= edge)
  double apply_uncertainty_ns = 0;  // how far apply_ns (relative to the edge) may be off
  double offset() const { return static_cast<double>(offset_ns) + offset_frac_ns; }
};

struct ServoOutput {
  double freq_ppb = 0;         // absolute adjustment to apply (also when state == jump)
  ServoState state = ServoState::unlocked;
  std::int64_t step_ns = 0;    // with state == jump: add this to the PHC (ADJ_SETOFFSET), first
  bool outlier = false;        // the sample was rejected (not used)
  double phase_ns = 0;         // the servo's estimate of PHC − reference at the edge
};

// Prediction of PHC − reference at a later time, from what the servo knows.
struct Prediction {
  double phase_ns = 0;
  double sd_ns = 0;           // 1σ uncertainty of that phase (oscillator model + estimate)
};

// What the engine's gating and error bound need to know about rejected samples.
struct GateStatus {
  // Samples rejected in a row (outlier gating), and the last rejected innovation: pulses that
  // keep disagreeing with the prediction make the prediction itself doubtful.
  int consecutive_rejections = 0;
  double last_rejected_innovation_ns = 0;
  // Phase jumps of the reference that were followed (count, and the size of the last one).
  std::uint64_t followed_jumps = 0;
  double last_followed_jump_ns = 0;
};

// The control side, as linuxptp's servo.h (servo_sample, servo_reset, …): every call that
// changes the servo (each returning the frequency to apply), and its lock state.
class Control {
 public:
  virtual ~Control() = default;
  virtual ServoOutput sample(const ServoInput& in) = 0;
  // Frequency to apply while no pulses come (holdover), from time at_ns on. extra_ppb is the
  // change of the oscillator's own frequency since the last pulse that the engine predicts
  // (temperature model): the servo compensates it and includes it in its predictions.
  virtual double hold(std::int64_t at_ns, double extra_ppb) = 0;
  // The engine cancelled an oscillator change outside the servo (temperature feed-forward),
  // but neither at the exact instant it happened (the phase may have moved by an unknown
  // amount of variance phase_var_ns2) nor exactly (what it left of the oscillator's change has
  // variance freq_var_ppb2). A servo with a covariance widens it, so that the next pulses are
  // used (not gated out) and correct phase and frequency quickly. Returns the servo's current
  // frequency (the engine adds its feed-forward to it).
  virtual double disturbance(double phase_var_ns2, double freq_var_ppb2) = 0;
  virtual void reset() = 0;
  virtual ServoState state() const = 0;
};

// The estimator view: what the servo knows about the PHC, for the engine's error bound,
// clock quality and temperature model. Read-only.
class Estimator {
 public:
  virtual ~Estimator() = default;
  // Estimated free-running frequency error of the PHC (ppb): applying −this keeps phase.
  virtual double oscillator_ppb() const = 0;
  virtual Prediction predict(std::int64_t at_ns) const = 0;
  virtual NoiseModel noise() const = 0;
  virtual GateStatus gating() const = 0;
};

// A servo is both; the engine keeps one and uses each side through its own interface.
class Servo : public Control, public Estimator {};

// "pi" (linuxptp baseline) or "kalman"; throws std::invalid_argument otherwise.
std::unique_ptr<Servo> make_servo(const std::string& name, const ServoConfig& config);

}  // namespace nanotime::servo
