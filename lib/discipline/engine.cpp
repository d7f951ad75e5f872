#include "discipline/engine.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>

#include "discipline/edge_corrections.hpp"
#include "discipline/leap_state.hpp"
#include "discipline/lock_state.hpp"
#include "discipline/pulse_labeler.hpp"
#include "discipline/quality.hpp"
#include "discipline/receiver_wander.hpp"
#include "discipline/temperature_feedforward.hpp"
#include "discipline/temperature_model.hpp"
#include "servo/servo.hpp"
#include "util/units.hpp"

namespace nanotime::discipline {

namespace {

using util::kNsPerS;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kRelabelBound_ns = 1e8;  // bound beyond 0.1 s: the PHC cannot label pulses

servo::ServoConfig servo_config(const EngineConfig& c) {
  servo::ServoConfig s;
  s.max_freq_ppb = c.max_freq_ppb;
  s.initial_freq_ppb = c.initial_freq_ppb;
  s.nominal_period_s = c.nominal_pulse_period_s;
  s.step_error_ns = c.step_error_ns;
  s.max_slew_ppb = c.max_slew_ppb;
  s.fixed_noise = c.oscillator_model;
  return s;
}

// The last pulse processed, which ties the servo's time base (TAI ns at the edges) to
// monotonic time, and the last one the servo used.
struct LastPulse {
  std::int64_t tai_s = 0;
  std::int64_t servo_ns = 0;        // its edge in the servo's time base …
  std::int64_t mono_ns = 0;         // … and in monotonic time (the labeler's likely edge)
  std::int64_t used_edge_mono_ns = 0;
};

// The PHY's link: while it is down the driver repeats a stale capture (counted, not used).
struct Carrier {
  bool up = true;
  std::uint64_t stale_pulses = 0;
};

// While pulses are missing: what the temperature did since the last used pulse.
struct Hold {
  bool holding = false;
  std::int64_t last_mono_ns = 0;
  double temp_integral_c_s = 0;     // ∫|T − T_ref| dt since the last pulse (°C·s)
  std::optional<double> temp_ref_c;  // temperature at the last used pulse
};

// The reference jumped and the servo followed: before or after, it was that far off; nobody
// can tell which. Kept in the bound, fading over a day (a receiver settles).
class FollowedJump {
 public:
  void note(const servo::GateStatus& gate, std::int64_t now) {
    if (gate.followed_jumps == noted_) return;
    noted_ = gate.followed_jumps;
    double kept = ns_at(now);
    jump_ns_ = std::max(kept, std::fabs(gate.last_followed_jump_ns));
    seen_mono_ = now;
  }
  double ns_at(std::int64_t t) const {
    if (!seen_mono_) return 0;
    double age_s = static_cast<double>(t - *seen_mono_) * 1e-9;
    return std::fabs(jump_ns_) * std::exp(-std::max(age_s, 0.0) / 86400.0);
  }

 private:
  std::uint64_t noted_ = 0;
  double jump_ns_ = 0;
  std::optional<std::int64_t> seen_mono_;
};

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(const EngineConfig& config)
      : config_(config),
        servo_(servo::make_servo(config.servo, servo_config(config))),
        leap_(config.tai_utc_s, config.leap_table),
        labeler_(LabelerConfig{config.tod_guard_s, config.nominal_pulse_period_s,
                               config.both_edges, config.pulse_width_s, config.relabel_after_s},
                 [this](const TimeReport& tr) { return leap_.tai_of_report(tr); }),
        corrections_(config.extts_tick_ns),
        ff_(config.feedforward_smoothing_s),
        receiver_(config.receiver_navigation_wander_ns, config.receiver_settle_s),
        last_freq_ppb_(config.initial_freq_ppb) {
    status_.error_bound_ns = kInf;
    status_.quality = make_quality();
    status_.quality.error_bound_ns = kInf;
    status_.freq_ppb = config.initial_freq_ppb;
  }

  Output handle(const Event& event) override {
    Output out;
    std::visit([&](const auto& e) { on(e, out); }, event);
    return out;
  }

  EngineStatus status() const override {
    EngineStatus s = status_;
    const auto& c = labeler_.counters();
    s.pulses_seen = c.edges;
    s.pulses_lost = c.lost;
    s.pulses_stale = c.stale + carrier_.stale_pulses;
    s.pulses_unlabelled = c.unlabelled;
    s.label_disagreements = c.disagreements;
    s.late_label_disagreements = c.disagreed_after_use;
    s.pulses_ambiguous = c.unlabelled + c.conflicting + c.disagreements + c.inconsistent;
    s.falling_edges = c.falling;
    servo::NoiseModel n = estimate_.noise();
    s.meas_noise_ns = std::sqrt(n.meas_var_ns2);
    s.wfm_ppb = std::sqrt(n.wfm_ns2_per_s);
    s.rwfm_ppb_per_sqrt_s = std::sqrt(n.rwfm_ns2_per_s3);
    s.oscillator_ppb = oscillator_ppb();
    s.temperature_identified = temp_.identified();
    s.temp_coeff_ppb_per_c = temp_.coefficient();
    s.temp_coeff_sd_ppb_per_c = temp_.coefficient_sd();
    s.temperature_feedforward_active = ff_.active();
    s.temperature_feedforward_ppb = ff_.ppb();
    s.receiver_mode = receiver_.mode();
    s.receiver_wander_ns = receiver_.sd_ns_at(last_event_mono_ns_);
    s.position_limited = receiver_.navigating();
    return s;
  }

 private:
  // ---- events -----------------------------------------------------------------------------
  void on(const ExttsEvent& e, Output& out) {
    if (!carrier_.up) {  // the driver repeats a stale capture while the link is down
      ++carrier_.stale_pulses;
      periodic(e.arrival_mono_ns, false, out);
      return;
    }
    corrections_.on_timestamp(e.phc_ns);
    process(labeler_.on_extts(e), e.arrival_mono_ns, out);
    periodic(e.arrival_mono_ns, false, out);
  }
  void on(const TimeReport& e, Output& out) {
    leap_.on_report(e);
    process(labeler_.on_time_report(e), e.arrival_mono_ns, out);
    periodic(e.arrival_mono_ns, false, out);
  }
  void on(const PulseReport& e, Output&) { corrections_.on_pulse_report(e); }
  void on(const TemperatureReading& e, Output& out) {
    temp_.add_temperature(e.mono_ns, e.celsius);
    if (config_.temperature_feedforward) {
      if (auto d = ff_.on_reading(e.mono_ns, e.celsius, temp_, hold_.holding)) {
        set_frequency(control_.disturbance(d->phase_var_ns2, d->freq_var_ppb2), out);
      }
    }
    periodic(e.mono_ns, false, out);
  }
  void on(const CarrierChange& e, Output& out) {
    carrier_.up = e.up;
    periodic(e.mono_ns, false, out);
  }
  void on(const ReceiverModeChange& e, Output& out) {
    receiver_.on_mode(e.mode, e.mono_ns);
    periodic(e.mono_ns, false, out);
  }
  void on(const Tick& e, Output& out) {
    process(labeler_.on_tick(e.mono_ns), e.mono_ns, out);
    periodic(e.mono_ns, true, out);
  }

  // The whole oscillator error (what the temperature model learns from): the servo only sees
  // what the feed-forward leaves of it.
  double oscillator_ppb() const { return estimate_.oscillator_ppb() - ff_.ppb(); }
  bool servo_running() const { return control_.state() != servo::ServoState::unlocked; }

  // ---- pulses -----------------------------------------------------------------------------
  void process(const std::vector<LabeledPulse>& pulses, std::int64_t now, Output& out) {
    for (const auto& p : pulses) process_one(p, now, out);
  }

  servo::ServoInput servo_input(const LabeledPulse& p, std::int64_t now) {
    const int tai_utc = leap_.tai_utc_at_tai(p.tai_s);
    const std::int64_t utc_s = p.tai_s - tai_utc;
    leap_.on_utc(utc_s);
    // PHC − TAI at the edge.
    double corr = corrections_.correction_ns(utc_s, p.edge_mono_ns, config_.cable_delay_ns);
    std::int64_t corr_int = std::llround(corr);
    servo::ServoInput in;
    in.offset_ns = p.phc_ns - p.tai_s * kNsPerS + corr_int;
    in.offset_frac_ns = corr - static_cast<double>(corr_int);
    // The servo's time base is TAI at the edges (exact: pulses are whole TAI seconds), so a
    // monotonic-time estimate of the edge (ms uncertain) never multiplies the ~13 ppm
    // frequency. Only the delay until the new frequency applies comes from monotonic time.
    in.edge_ns = p.tai_s * kNsPerS;
    in.apply_ns = in.edge_ns + std::max<std::int64_t>(0, now - p.likely_edge_mono_ns);
    in.apply_uncertainty_ns = labeler_.edge_uncertainty_s() * 1e9;
    return in;
  }

  void process_one(const LabeledPulse& p, std::int64_t now, Output& out) {
    const servo::ServoInput in = servo_input(p, now);
    last_.tai_s = p.tai_s;
    last_.servo_ns = in.edge_ns;
    last_.mono_ns = p.likely_edge_mono_ns;

    // Back after an outage far off: start over with one step rather than a long slew.
    bool far = std::fabs(in.offset()) > config_.step_threshold_ns;
    if (far && servo_running() && lock_.apply(LockInput::far_pulse)) control_.reset();

    servo::ServoOutput r = control_.sample(in);
    jump_.note(estimate_.gating(), now);
    status_.last_offset_ns = in.offset();
    out.pulse = PulseMeasurement{p.tai_s, in.offset(), !r.outlier, r.outlier};
    set_frequency(r.freq_ppb, out);

    if (r.state == servo::ServoState::unlocked) {
      lock_.apply(labeler_.aligned() ? LockInput::aligned_pulse : LockInput::unaligned_pulse);
      return;
    }
    if (r.state == servo::ServoState::jump) {
      on_step(r.step_ns, p, out);
      return;
    }
    if (!labeler_.aligned()) labeler_.set_aligned(true);  // within the step threshold already
    if (r.outlier) {
      ++status_.outliers_rejected;
      return;
    }
    on_used_pulse(r, p, now, out);
  }

  void on_step(std::int64_t step_ns, const LabeledPulse& p, Output& out) {
    out.step = StepClock{step_ns};
    ++status_.steps;
    labeler_.on_step(step_ns);
    labeler_.set_aligned(true);
    lock_.apply(LockInput::step);
    last_.used_edge_mono_ns = p.edge_mono_ns;
    temp_.interrupt();
  }

  void on_used_pulse(const servo::ServoOutput& r, const LabeledPulse& p, std::int64_t now,
                     Output& out) {
    ++status_.pulses_used;
    last_.used_edge_mono_ns = p.edge_mono_ns;
    hold_.holding = false;
    hold_.temp_integral_c_s = 0;
    if (auto t = temp_.temperature_c()) hold_.temp_ref_c = *t;
    servo::Prediction pr = estimate_.predict(servo_time(now));
    lock_.on_used_pulse(r.phase_ns, pr.sd_ns);
    if (lock_.state() == LockState::tracking && estimate_.gating().consecutive_rejections == 0) {
      log_variance_.update(estimate_.noise());
      temp_.add_frequency(now, oscillator_ppb());
      ChronySample cs = chrony_sample(now, pr);
      // Never a sample that may be more than the limit off (e.g. right after a restart).
      if (cs.error_bound_ns < config_.holdover_limit_ns) out.chrony = cs;
    }
  }

  // f: the servo's frequency; the temperature feed-forward is added here, to every command.
  void set_frequency(double f_servo, Output& out) {
    double f = f_servo;
    if (ff_.active()) {
      f = std::clamp(f_servo + ff_.ppb(), -config_.max_freq_ppb, config_.max_freq_ppb);
    }
    if (f != last_freq_ppb_ || !out.frequency) {
      out.frequency = SetFrequency{f};
      last_freq_ppb_ = f;
      status_.freq_ppb = f;
    }
  }

  ChronySample chrony_sample(std::int64_t now, const servo::Prediction& pr) const {
    ChronySample s;
    s.phc_minus_tai_ns = pr.phase_ns;
    std::int64_t tai_now = last_.tai_s + (now - last_.used_edge_mono_ns) / kNsPerS;
    s.tai_utc_s = leap_.tai_utc_at_tai(tai_now);
    s.leap = leap_.warning_at_utc(tai_now - s.tai_utc_s);
    s.error_bound_ns = bound_at(now);
    return s;
  }

  // Monotonic time → the servo's time base (TAI ns, from the last pulse processed).
  std::int64_t servo_time(std::int64_t mono_ns) const {
    return last_.servo_ns + (mono_ns - last_.mono_ns);
  }

  // ---- time passing -----------------------------------------------------------------------
  double temperature_delta_ppb() const {
    if (ff_.active()) return 0;  // the feed-forward cancels it in the command already
    auto t = temp_.temperature_c();
    if (!t || !hold_.temp_ref_c) return 0;
    return temp_.usable_coefficient() * (*t - *hold_.temp_ref_c);
  }

  // Error bound on |PHC − TAI| at monotonic time t: bound_sigmas × the servo's prediction
  // uncertainty, the receiver's own wander and the temperature model's uncertainty; at least
  // the size of the last rejected innovations when pulses keep being rejected.
  double bound_at(std::int64_t t) const {
    if (!servo_running()) return kInf;
    double sd = estimate_.predict(servo_time(t)).sd_ns;
    double temp_sd = temp_.usable_coefficient_sd() * hold_.temp_integral_c_s;
    const double rx_sd = receiver_.sd_ns_at(t);
    double bound = config_.bound_sigmas *
                   std::sqrt(sd * sd + config_.reference_sd_ns * config_.reference_sd_ns +
                             temp_sd * temp_sd + rx_sd * rx_sd) +
                   jump_.ns_at(t);
    const servo::GateStatus gate = estimate_.gating();
    if (gate.consecutive_rejections >= 2) {
      bound = std::max(bound, config_.bound_sigmas * std::fabs(gate.last_rejected_innovation_ns));
    }
    return bound;
  }

  // Pulses missing: keep the frequency (plus the temperature prediction), no more phase
  // correction from the last pulse.
  void hold(std::int64_t now, double since_pulse_s, Output& out) {
    if (auto t = temp_.temperature_c(); t && hold_.temp_ref_c) {
      double dt = hold_.holding ? static_cast<double>(now - hold_.last_mono_ns) * 1e-9 : 0.0;
      hold_.temp_integral_c_s += std::fabs(*t - *hold_.temp_ref_c) * dt;
    }
    hold_.holding = true;
    hold_.last_mono_ns = now;
    set_frequency(control_.hold(servo_time(now), temperature_delta_ppb()), out);
    if (since_pulse_s > config_.holdover_after_s) lock_.apply(LockInput::pulses_missing);
  }

  void periodic(std::int64_t now, bool tick, Output& out) {
    last_event_mono_ns_ = now;
    if (labeler_.reacquire_requested()) reacquire();
    const bool running = servo_running();
    const double since_pulse_s = static_cast<double>(now - last_.used_edge_mono_ns) * 1e-9;
    if (running && since_pulse_s > 1.5 * config_.nominal_pulse_period_s) {
      hold(now, since_pulse_s, out);
    }

    // The bound must hold until the next event: look one period ahead.
    double bound = bound_at(now + static_cast<std::int64_t>(config_.nominal_pulse_period_s * 1e9));
    status_.error_bound_ns = bound;
    if (running) status_.phase_ns = estimate_.predict(servo_time(now)).phase_ns;

    if (bound >= config_.holdover_limit_ns) lock_.apply(LockInput::bound_over_limit);
    // The PHC could be a good part of a second off: ToDs must label again.
    if (bound > kRelabelBound_ns && lock_.apply(LockInput::labels_doubtful)) reacquire();
    if (tick && lock_.state() == LockState::holdover && bound < config_.holdover_limit_ns &&
        estimate_.gating().consecutive_rejections == 0) {
      out.chrony = chrony_sample(now, estimate_.predict(servo_time(now)));
    }
    status_.state = lock_.state();
    ClockQuality q = make_quality();
    if (!(q == status_.quality)) {
      status_.quality = q;
      out.quality = q;
    }
  }

  void reacquire() {
    labeler_.reset();
    control_.reset();
    lock_.apply(LockInput::reacquire);
    hold_.holding = false;
    hold_.temp_integral_c_s = 0;
  }

  ClockQuality make_quality() const {
    return clock_quality(lock_.state(), status_.error_bound_ns, log_variance_.value(),
                         config_.degraded_clock_class, leap_, last_.tai_s);
  }

  EngineConfig config_;
  std::unique_ptr<servo::Servo> servo_;
  servo::Control& control_ = *servo_;          // commands: sample, hold, reset, …
  const servo::Estimator& estimate_ = *servo_;  // the model: bound, gating, quality
  LockStateMachine lock_;
  LeapState leap_;
  PulseLabeler labeler_;
  EdgeCorrections corrections_;
  TemperatureModel temp_;
  TemperatureFeedForward ff_;
  ReceiverWander receiver_;
  std::int64_t last_event_mono_ns_ = 0;
  LastPulse last_;
  Hold hold_;
  FollowedJump jump_;
  Carrier carrier_;
  EngineStatus status_;
  double last_freq_ppb_;            // the last command: only changes are sent
  LogVariance log_variance_;
};

}  // namespace

std::unique_ptr<Engine> make_engine(const EngineConfig& config) {
  if (config.servo != "pi" && config.servo != "kalman") {
    throw std::invalid_argument("unknown servo '" + config.servo + "' (expected pi or kalman)");
  }
  return std::make_unique<EngineImpl>(config);
}

}  // namespace nanotime::discipline
