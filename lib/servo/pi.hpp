#pragma once
// linuxptp's PI servo (servo/pi.c, linuxptp 3.1.1) at 1 s updates with hardware timestamps:
// kp = 0.7, ki = 0.3. Sample 1 is stored; sample 2 estimates the frequency from the two
// offsets and steps if |offset| > first_step_threshold; then ppb = kp·offset + drift + ki·offset,
// and drift += ki·offset unless the result was clamped. linuxptp applies −ppb; so do we.

#include "servo/control_log.hpp"
#include "servo/noise_estimator.hpp"
#include "servo/servo.hpp"

namespace nanotime::servo {

class PiServo final : public Servo {
 public:
  explicit PiServo(const ServoConfig& config, double kp = 0.7, double ki = 0.3);
  ServoOutput sample(const ServoInput& in) override;
  double hold(std::int64_t at_ns, double extra_ppb) override;
  double disturbance(double phase_var_ns2, double freq_var_ppb2) override;
  void reset() override;
  ServoState state() const override { return state_; }

  double oscillator_ppb() const override { return drift_; }
  Prediction predict(std::int64_t at_ns) const override;
  NoiseModel noise() const override { return noise_.model(); }
  GateStatus gating() const override { return {}; }  // the PI uses every sample

 private:
  double oscillator_sd_ppb() const;
  ServoConfig config_;
  double kp_, ki_;
  int count_ = 0;
  std::int64_t offset_[2] = {0, 0};
  double frac_[2] = {0, 0};
  std::int64_t local_[2] = {0, 0};
  double drift_;             // linuxptp's s->drift, in servo sign (ppb the PHC runs fast)
  bool first_update_ = true;
  ServoState state_ = ServoState::unlocked;
  // Only for holdover predictions (the PI itself has no model).
  ControlLog log_;
  NoiseEstimator noise_;
  double last_offset_ = 0;
  std::int64_t last_edge_ns_ = 0;
  std::int64_t first_edge_ns_ = 0;
  double control_total_ = 0;   // phase commanded since the first edge
};

}  // namespace nanotime::servo
