#include "servo/kalman.hpp"

#include <algorithm>
#include <cmath>

namespace nanotime::servo {

KalmanServo::KalmanServo(const ServoConfig& config)
    : config_(config),
      log_(config.initial_freq_ppb),
      noise_(config.nominal_period_s, config.fixed_noise.value_or(NoiseEstimator::default_prior())) {
  if (config.fixed_noise) noise_.freeze();
}

void KalmanServo::reset() {
  state_ = ServoState::unlocked;
  count_ = 0;
  rejected_.clear();
  gate_.consecutive_rejections = 0;
  hold_delta_ = 0;
  noise_.clear_history();  // the learned noise levels stay: they describe the hardware
}

double KalmanServo::disturbance(double phase_var_ns2, double freq_var_ppb2) {
  if (count_ < 2) return log_.current_ppb();
  if (phase_var_ns2 > 0) p00_ += phase_var_ns2;
  if (freq_var_ppb2 > 0) p11_ += freq_var_ppb2;
  // The free-running phase has a kink here that is not oscillator noise.
  if (phase_var_ns2 > std::max(9 * noise_.model().meas_var_ns2, 400.0)) noise_.clear_history();
  return log_.current_ppb();
}

void KalmanServo::predict_to(std::int64_t t_ns) {
  double dt = static_cast<double>(t_ns - t_ns_) * 1e-9;
  if (dt == 0) return;
  double c = log_.integral_ns(t_ns_, t_ns);
  if (dt < 0) {
    // A pulse older than the last holdover update (its time message came late): move the
    // phase back; keep the covariance (a little pessimistic).
    theta_ += (y_ + hold_delta_) * dt + c;
    control_total_ += c;
    t_ns_ = t_ns;
    return;
  }
  NoiseModel n = noise_.model();
  theta_ += (y_ + hold_delta_) * dt + c;
  control_total_ += c;
  p00_ += 2 * p01_ * dt + p11_ * dt * dt + n.wfm_ns2_per_s * dt +
          n.rwfm_ns2_per_s3 * dt * dt * dt / 3;
  p01_ += p11_ * dt + n.rwfm_ns2_per_s3 * dt * dt / 2;
  p11_ += n.rwfm_ns2_per_s3 * dt;
  t_ns_ = t_ns;
}

// predict_to()'s arithmetic on local copies of the two numbers it needs, not on a copy of the
// whole servo (control log, noise estimator): the engine asks several times a second.
Prediction KalmanServo::predict(std::int64_t at_ns) const {
  const double dt = static_cast<double>(at_ns - t_ns_) * 1e-9;
  if (dt == 0) return {theta_, std::sqrt(std::max(p00_, 0.0))};
  // Parenthesised as predict_to()'s `+=`: the same rounding, the same result to the bit.
  const double theta = theta_ + ((y_ + hold_delta_) * dt + log_.integral_ns(t_ns_, at_ns));
  if (dt < 0) return {theta, std::sqrt(std::max(p00_, 0.0))};  // as predict_to: p kept
  const NoiseModel n = noise_.model();
  const double p00 = p00_ + (2 * p01_ * dt + p11_ * dt * dt + n.wfm_ns2_per_s * dt +
                             n.rwfm_ns2_per_s3 * dt * dt * dt / 3);
  return {theta, std::sqrt(std::max(p00, 0.0))};
}

// Deadbeat: the frequency applied from apply_ns makes the predicted phase zero at the next
// nominal edge (see below for late commands). The phase-correcting part is limited
// (max_slew_ppb) so that a large error is slewed out over several periods instead of shaking
// downstream PTP clients.
double KalmanServo::control_for(std::int64_t edge_ns, std::int64_t apply_ns,
                                double apply_uncertainty_ns) {
  predict_to(apply_ns);
  // Deadbeat at the next edge: remaining = period − late. But the new frequency stays in force
  // `late` into the next period too, and correcting that makes the next command larger by
  // late/remaining: for late > period/2 that feedback is unstable. So never plan over less than
  // 2·late (factor ≤ 1/2: stable for any lateness; pure deadbeat while late ≤ period/3).
  const double period = config_.nominal_period_s;
  const double late_s = std::max(0.0, static_cast<double>(apply_ns - edge_ns) * 1e-9);
  const double remaining_s = std::max(period - late_s, 2 * late_s);
  double slew = std::clamp(-theta_ / remaining_s, -config_.max_slew_ppb, config_.max_slew_ppb);
  double u = std::clamp(-(y_ + hold_delta_) + slew, -config_.max_freq_ppb, config_.max_freq_ppb);
  last_jump_ppb_ = u - log_.at(apply_ns);
  last_jump_uncertainty_s_ = apply_uncertainty_ns * 1e-9;
  log_.set(u, apply_ns);
  return u;
}

// kJumpCount consecutive rejections that lie on a line (innovation = a + b·t) are not
// outliers but the clock or the reference having moved: a phase jump (b ≈ 0) or a frequency
// step (a fan stopped). Restart the filter from that line. If the rejections do not fit a line
// but keep coming for 4 × kJumpCount pulses, the filter itself must be wrong: restart from the
// latest measurement with a wide covariance.
bool KalmanServo::follow_rejected(double gate, const NoiseModel& n) {
  const double count = static_cast<double>(rejected_.size());
  const std::int64_t t0 = rejected_.back().edge_ns;
  double st = 0, sv = 0, stt = 0, stv = 0;
  for (const auto& r : rejected_) {
    double t = static_cast<double>(r.edge_ns - t0) * 1e-9;
    st += t;
    sv += r.innovation;
    stt += t * t;
    stv += t * r.innovation;
  }
  double det = count * stt - st * st;
  if (det <= 0) return false;
  double b = (count * stv - st * sv) / det;   // ppb
  double a = (sv - b * st) / count;            // ns, at the last rejected edge
  double resid = 0;
  for (const auto& r : rejected_) {
    double t = static_cast<double>(r.edge_ns - t0) * 1e-9;
    double e = r.innovation - (a + b * t);
    resid += e * e;
  }
  double resid_var = resid / std::max(count - 2, 1.0);
  bool on_a_line = std::sqrt(resid_var) <= gate / 2;
  bool stuck = gate_.consecutive_rejections >= 4 * kJumpCount;
  if (!on_a_line && !stuck) return false;
  double span_s = static_cast<double>(t0 - rejected_.front().edge_ns) * 1e-9;
  double var = n.meas_var_ns2 + resid_var;
  fold_hold_delta();
  // Innovations that stay level (not a ramp) mean the reference itself jumped (a receiver
  // re-acquiring): one side of the jump was that far off, which the engine keeps in its bound.
  double level = sv / count;
  if (on_a_line && std::fabs(b) * std::max(span_s, 1.0) < 0.5 * std::fabs(level)) {
    gate_.last_followed_jump_ns = level;
    ++gate_.followed_jumps;
  }
  if (on_a_line) {
    theta_ += a;
    y_ += b;
    p00_ = var;
    p01_ = 0;
    p11_ = 12 * var / (count * std::max(span_s * span_s, 1.0)) + n.rwfm_ns2_per_s3 * span_s;
  } else {
    theta_ = rejected_.back().z;
    p00_ = var + a * a;
    p01_ = 0;
    p11_ += b * b;
  }
  rejected_.clear();
  gate_.consecutive_rejections = 0;
  noise_.clear_history();   // the free-running phase has a discontinuity here
  ++restarts_;
  return true;
}

// A pulse was used: the oscillator change predicted during the gap becomes part of y (the
// engine measures the next change from this pulse on).
void KalmanServo::fold_hold_delta() {
  y_ += hold_delta_;
  hold_delta_ = 0;
}

double KalmanServo::hold(std::int64_t at_ns, double extra_ppb) {
  if (count_ < 2) return log_.current_ppb();
  predict_to(at_ns);
  hold_delta_ = extra_ppb;
  return control_for(at_ns, at_ns);
}

ServoOutput KalmanServo::sample(const ServoInput& in) {
  ServoOutput out;
  NoiseModel n = noise_.model();
  if (count_ == 0) {
    first_offset_ns_ = in.offset_ns;
    first_frac_ = in.offset_frac_ns;
    first_edge_ns_ = in.edge_ns;
    count_ = 1;
    state_ = ServoState::unlocked;
    out.freq_ppb = log_.current_ppb();
    out.state = state_;
    out.phase_ns = in.offset();
    return out;
  }
  if (count_ == 1) {
    double dt = static_cast<double>(in.edge_ns - first_edge_ns_) * 1e-9;
    if (dt < 0.5 * config_.nominal_period_s) {  // too close (or out of order): start over
      first_offset_ns_ = in.offset_ns;
      first_frac_ = in.offset_frac_ns;
      first_edge_ns_ = in.edge_ns;
      out.freq_ppb = log_.current_ppb();
      out.phase_ns = in.offset();
      return out;
    }
    // Exact integer difference first: cold-start offsets are ~1e18 ns.
    double doff = static_cast<double>(in.offset_ns - first_offset_ns_) +
                  (in.offset_frac_ns - first_frac_);
    y_ = (doff - log_.integral_ns(first_edge_ns_, in.edge_ns)) / dt;
    hold_delta_ = 0;
    p00_ = n.meas_var_ns2;
    p01_ = n.meas_var_ns2 / dt;
    p11_ = 2 * n.meas_var_ns2 / (dt * dt) + n.wfm_ns2_per_s / dt;
    t_ns_ = in.edge_ns;
    origin_ns_ = in.edge_ns;
    control_total_ = 0;
    noise_.clear_history();
    count_ = 2;
    bool big = std::fabs(in.offset()) > config_.first_step_threshold_ns;
    if (big && config_.first_step_threshold_ns > 0) {
      // Keep only the fraction in the filter; the integer ns go into the step, so the huge
      // cold-start offset never passes through a double.
      theta_ = in.offset_frac_ns;
      predict_to(in.apply_ns);
      auto whole = std::llround(theta_);
      out.step_ns = -(in.offset_ns + whole);
      theta_ -= static_cast<double>(whole);
      p00_ += config_.step_error_ns * config_.step_error_ns / 3;  // uniform ±step_error
      origin_ns_ = in.apply_ns;
      control_total_ = 0;
      state_ = ServoState::jump;
    } else {
      theta_ = in.offset();
      noise_.add(0, theta_);
      state_ = ServoState::locked;
    }
    out.state = state_;
    out.phase_ns = state_ == ServoState::jump ? 0.0 : theta_;
    out.freq_ppb = control_for(in.edge_ns, in.apply_ns, in.apply_uncertainty_ns);
    return out;
  }

  predict_to(in.edge_ns);
  double z = in.offset();
  double nu = z - theta_;
  // A large frequency change whose timing is uncertain (early on, edge times are known only
  // to a good part of the EXTTS delay) makes the predicted phase uncertain by that much.
  double timing_ns = last_jump_ppb_ * last_jump_uncertainty_s_;
  double s = p00_ + n.meas_var_ns2 + timing_ns * timing_ns;
  double gate = std::max(kGateSigmas * std::sqrt(s), kGateFloor_ns);
  bool accept = std::fabs(nu) <= gate;
  if (!accept) {
    rejected_.push_back({in.edge_ns, z, nu});
    ++gate_.consecutive_rejections;
    gate_.last_rejected_innovation_ns = nu;
    if (rejected_.size() > static_cast<std::size_t>(kJumpCount)) rejected_.erase(rejected_.begin());
    if (rejected_.size() == static_cast<std::size_t>(kJumpCount) && follow_rejected(gate, n)) {
      state_ = ServoState::locked;
      out.state = state_;
      out.phase_ns = theta_;
      out.freq_ppb = control_for(in.edge_ns, in.apply_ns, in.apply_uncertainty_ns);
      return out;
    }
    out.outlier = true;
    out.state = state_;
    out.phase_ns = theta_;
    out.freq_ppb = control_for(in.edge_ns, in.apply_ns, in.apply_uncertainty_ns);
    return out;
  }
  gate_.consecutive_rejections = 0;
  rejected_.clear();
  fold_hold_delta();
  double k0 = p00_ / s;
  double k1 = p01_ / s;
  theta_ += k0 * nu;
  y_ += k1 * nu;
  double p00 = p00_, p01 = p01_;
  p00_ = (1 - k0) * p00;
  p01_ = (1 - k0) * p01;
  p11_ -= k1 * p01;
  auto idx = std::llround(static_cast<double>(in.edge_ns - origin_ns_) * 1e-9 /
                          config_.nominal_period_s);
  noise_.add(idx, z - control_total_);
  state_ = ServoState::locked;
  out.state = state_;
  out.phase_ns = theta_;
  out.freq_ppb = control_for(in.edge_ns, in.apply_ns, in.apply_uncertainty_ns);
  return out;
}

}  // namespace nanotime::servo
