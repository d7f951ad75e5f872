#include "servo/pi.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace nanotime::servo {

namespace {
constexpr double kFreqEstMargin = 0.001;  // linuxptp FREQ_EST_MARGIN
}

PiServo::PiServo(const ServoConfig& config, double kp, double ki)
    : config_(config),
      kp_(kp),
      ki_(ki),
      drift_(-config.initial_freq_ppb),
      log_(config.initial_freq_ppb),
      noise_(config.nominal_period_s) {}

void PiServo::reset() {
  count_ = 0;
  // linuxptp pi_reset keeps drift; only the sample count restarts.
  state_ = ServoState::unlocked;
  noise_.clear_history();
}

// linuxptp's PI has no covariance to widen: the frequency stays.
double PiServo::disturbance(double, double) { return log_.current_ppb(); }

ServoOutput PiServo::sample(const ServoInput& in) {
  ServoOutput out;
  double ppb = -log_.current_ppb();  // linuxptp's s->last_freq
  double offset = in.offset();
  switch (count_) {
    case 0:
      offset_[0] = in.offset_ns;
      frac_[0] = in.offset_frac_ns;
      local_[0] = in.edge_ns;
      state_ = ServoState::unlocked;
      count_ = 1;
      first_edge_ns_ = in.edge_ns;
      break;
    case 1: {
      offset_[1] = in.offset_ns;
      frac_[1] = in.offset_frac_ns;
      local_[1] = in.edge_ns;
      if (local_[0] >= local_[1]) {
        state_ = ServoState::unlocked;
        count_ = 0;
        break;
      }
      double localdiff = static_cast<double>(local_[1] - local_[0]) / 1e9;
      localdiff += localdiff * kFreqEstMargin;
      double freq_est_interval = std::min(0.016 / ki_, 1000.0);
      if (localdiff < freq_est_interval) {
        state_ = ServoState::unlocked;
        break;
      }
      // Exact integer difference first: cold-start offsets are ~1e18 ns.
      double doff = static_cast<double>(offset_[1] - offset_[0]) + (frac_[1] - frac_[0]);
      drift_ += (1e9 - drift_) * doff / static_cast<double>(local_[1] - local_[0]);
      drift_ = std::clamp(drift_, -config_.max_freq_ppb, config_.max_freq_ppb);
      bool big = static_cast<double>(std::llabs(in.offset_ns)) > config_.first_step_threshold_ns;
      if ((first_update_ && config_.first_step_threshold_ns > 0 && big) ||
          (config_.step_threshold_ns > 0 &&
           std::fabs(offset) > config_.step_threshold_ns)) {
        state_ = ServoState::jump;
        out.step_ns = -in.offset_ns;  // linuxptp: clockadj_step(-offset)
      } else {
        state_ = ServoState::locked;
      }
      ppb = drift_;
      count_ = 2;
      break;
    }
    default: {
      if (config_.step_threshold_ns > 0 && std::fabs(offset) > config_.step_threshold_ns) {
        state_ = ServoState::unlocked;
        count_ = 0;
        break;
      }
      double ki_term = ki_ * offset;
      ppb = kp_ * offset + drift_ + ki_term;
      if (ppb < -config_.max_freq_ppb) {
        ppb = -config_.max_freq_ppb;
      } else if (ppb > config_.max_freq_ppb) {
        ppb = config_.max_freq_ppb;
      } else {
        drift_ += ki_term;
      }
      state_ = ServoState::locked;
      break;
    }
  }
  if (state_ != ServoState::unlocked) first_update_ = false;
  out.state = state_;
  out.freq_ppb = -ppb;
  out.phase_ns = offset;

  // Bookkeeping for holdover predictions only.
  if (state_ == ServoState::jump) {
    noise_.clear_history();
    control_total_ = 0;
    first_edge_ns_ = in.edge_ns;
  } else if (count_ >= 2) {
    control_total_ += log_.integral_ns(last_edge_ns_, in.edge_ns);
    auto idx = std::llround(static_cast<double>(in.edge_ns - first_edge_ns_) * 1e-9 /
                            config_.nominal_period_s);
    noise_.add(idx, offset - control_total_);
  }
  last_offset_ = state_ == ServoState::jump ? 0.0 : offset;
  last_edge_ns_ = in.edge_ns;
  log_.set(out.freq_ppb, in.apply_ns);
  return out;
}

// linuxptp does nothing while samples are missing: the last frequency stays (the baseline
// keeps that behaviour, temperature predictions included: it has none).
double PiServo::hold(std::int64_t, double) { return log_.current_ppb(); }

double PiServo::oscillator_sd_ppb() const {
  NoiseModel n = noise_.model();
  return std::sqrt(2 * n.meas_var_ns2 + n.wfm_ns2_per_s + n.rwfm_ns2_per_s3);
}

Prediction PiServo::predict(std::int64_t at_ns) const {
  NoiseModel n = noise_.model();
  double dt = static_cast<double>(at_ns - last_edge_ns_) * 1e-9;
  if (dt < 0) dt = 0;
  double phase = last_offset_ + drift_ * dt + log_.integral_ns(last_edge_ns_, at_ns);
  double fsd = oscillator_sd_ppb();
  double var = n.meas_var_ns2 + fsd * fsd * dt * dt + n.wfm_ns2_per_s * dt +
               n.rwfm_ns2_per_s3 * dt * dt * dt / 3;
  return {phase, std::sqrt(var)};
}

}  // namespace nanotime::servo
