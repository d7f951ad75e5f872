#pragma once
// The default servo: a Kalman filter over the PHC's phase θ (PHC − reference, ns) and its
// free-running frequency error y (ppb), with the commanded frequency u as a known input:
//   θ(t) = θ(t0) + y·(t − t0) + ∫u dt + noise,   y a random walk,   z = θ + measurement noise.
// - Noise levels (measurement R, white FM q1, random-walk FM q2) are learned online from
//   Allan-type statistics of the free-running phase (NoiseEstimator), so no profile tuning.
// - Control is deadbeat: the new frequency makes the predicted phase zero at the next edge,
//   allowing for the time the previous frequency stays in force until the new one is applied.
//   The true error at each edge is then just the filter's one-step prediction error.
// - Innovation gating rejects outliers; kJumpCount consecutive rejections that agree with
//   each other are a real phase jump and are followed (phase reset to the new level).
// - The covariance is the error bound used for holdover.

#include <vector>

#include "servo/control_log.hpp"
#include "servo/noise_estimator.hpp"
#include "servo/servo.hpp"

namespace nanotime::servo {

class KalmanServo final : public Servo {
 public:
  explicit KalmanServo(const ServoConfig& config);
  ServoOutput sample(const ServoInput& in) override;
  double hold(std::int64_t at_ns, double extra_ppb) override;
  double disturbance(double phase_var_ns2, double freq_var_ppb2) override;
  void reset() override;
  ServoState state() const override { return state_; }

  double oscillator_ppb() const override { return y_ + hold_delta_; }
  Prediction predict(std::int64_t at_ns) const override;
  NoiseModel noise() const override { return noise_.model(); }
  GateStatus gating() const override { return gate_; }
  std::uint64_t restarts() const { return restarts_; }

  static constexpr int kJumpCount = 3;   // consecutive outliers on a line = a real change
  static constexpr double kGateSigmas = 6;
  static constexpr double kGateFloor_ns = 20;

 private:
  void predict_to(std::int64_t t_ns);
  double control_for(std::int64_t edge_ns, std::int64_t apply_ns, double apply_uncertainty_ns = 0);
  bool follow_rejected(double gate, const NoiseModel& n);
  void fold_hold_delta();
  GateStatus gate_;
  double last_jump_ppb_ = 0;          // size of the last frequency change …
  double last_jump_uncertainty_s_ = 0;  // … and how uncertain its timing was
  std::uint64_t restarts_ = 0;
  ServoConfig config_;
  ServoState state_ = ServoState::unlocked;
  int count_ = 0;
  std::int64_t first_offset_ns_ = 0;
  double first_frac_ = 0;
  std::int64_t first_edge_ns_ = 0;
  std::int64_t origin_ns_ = 0;   // index origin for the noise estimator
  ControlLog log_;
  NoiseEstimator noise_;
  // Filter state at time t_ns_.
  std::int64_t t_ns_ = 0;
  double theta_ = 0, y_ = 0;
  double p00_ = 0, p01_ = 0, p11_ = 0;
  double control_total_ = 0;     // ∫u since origin_ns_ up to t_ns_ (for free-running phase)
  double hold_delta_ = 0;        // oscillator change the engine predicted during holdover
  struct Rejected {
    std::int64_t edge_ns;
    double z;
    double innovation;
  };
  std::vector<Rejected> rejected_;
};

}  // namespace nanotime::servo
