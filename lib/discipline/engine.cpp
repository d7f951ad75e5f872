#include "discipline/engine.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "discipline/leap_state.hpp"
#include "discipline/pulse_labeler.hpp"
#include "discipline/quality.hpp"
#include "discipline/temperature_filter.hpp"
#include "discipline/temperature_model.hpp"
#include "servo/servo.hpp"

namespace nanotime::discipline {

namespace {

constexpr std::int64_t kNs = 1000000000;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kConvergedNs = 100;      // |phase| and 1σ below this …
constexpr int kConvergedPulses = 5;       // … for this many used pulses: TRACKING
constexpr int kResumePulses = 2;          // the same, back from holdover
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

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(const EngineConfig& config)
      : config_(config),
        servo_(servo::make_servo(config.servo, servo_config(config))),
        leap_(config.tai_utc_s, config.leap_table),
        labeler_(LabelerConfig{config.tod_guard_s, config.nominal_pulse_period_s,
                               config.both_edges, config.pulse_width_s, config.relabel_after_s},
                 [this](const TimeReport& tr) { return leap_.tai_of_report(tr); }),
        ff_filter_(TemperatureFilter::Config{config.feedforward_smoothing_s}),
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
    s.pulses_stale = c.stale + carrier_stale_;
    s.pulses_unlabelled = c.unlabelled;
    s.label_disagreements = c.disagreements;
    s.late_label_disagreements = c.disagreed_after_use;
    s.pulses_ambiguous = c.unlabelled + c.conflicting + c.disagreements + c.inconsistent;
    s.falling_edges = c.falling;
    servo::NoiseModel n = servo_->noise();
    s.meas_noise_ns = std::sqrt(n.meas_var_ns2);
    s.wfm_ppb = std::sqrt(n.wfm_ns2_per_s);
    s.rwfm_ppb_per_sqrt_s = std::sqrt(n.rwfm_ns2_per_s3);
    s.oscillator_ppb = oscillator_ppb();
    s.temperature_identified = temp_.identified();
    s.temp_coeff_ppb_per_c = temp_.coefficient();
    s.temp_coeff_sd_ppb_per_c = temp_.coefficient_sd();
    s.temperature_feedforward_active = ff_active_;
    s.temperature_feedforward_ppb = ff_ppb_;
    return s;
  }

 private:
  // ---- events -----------------------------------------------------------------------------
  void on(const ExttsEvent& e, Output& out) {
    if (!carrier_up_) {  // the driver repeats a stale capture while the link is down
      ++carrier_stale_;
      periodic(e.arrival_mono_ns, false, out);
      return;
    }
    learn_granularity(e.phc_ns);
    process(labeler_.on_extts(e), e.arrival_mono_ns, out);
    periodic(e.arrival_mono_ns, false, out);
  }
  void on(const TimeReport& e, Output& out) {
    leap_.on_report(e);
    process(labeler_.on_time_report(e), e.arrival_mono_ns, out);
    periodic(e.arrival_mono_ns, false, out);
  }
  void on(const PulseReport& e, Output&) {
    if (!e.qerr_ns) return;
    qerrs_.push_back(e);
    while (qerrs_.size() > 8) qerrs_.pop_front();
  }
  void on(const TemperatureReading& e, Output& out) {
    temp_.add_temperature(e.mono_ns, e.celsius);
    update_feedforward(e.mono_ns, e.celsius, out);
    periodic(e.mono_ns, false, out);
  }

  // ---- temperature feed-forward -----------------------------------------------------------
  // The whole oscillator error (what the temperature model learns from): the servo only sees
  // what ff leaves of it.
  double oscillator_ppb() const { return servo_->oscillator_ppb() - ff_ppb_; }

  // ff follows the filtered temperature in increments −c·ΔT_f, counted only while c is
  // identified: an unidentified coefficient adds nothing more (as holdover without ff), and
  // what ff already holds stays (dropping it would itself be a frequency step). A refined c
  // changes only the increments that follow, never ff at once.
  void update_feedforward(std::int64_t now, double celsius, Output& out) {
    if (!config_.temperature_feedforward) return;
    const double interval_s =
        ff_last_mono_ ? std::clamp(static_cast<double>(now - *ff_last_mono_) * 1e-9, 0.0, 10.0)
                      : 1.0;
    ff_last_mono_ = now;
    ff_filter_.add(now, celsius);
    const double t_f = *ff_filter_.value();
    const double dtemp = ff_last_c_ ? t_f - *ff_last_c_ : 0.0;
    ff_last_c_ = t_f;
    if (temp_.identified()) ff_active_ = true;
    if (!ff_active_) return;
    // Once identified, the coefficient keeps being used, shrunk by c²/(c² + sd²) (the
    // least-squares weight of an estimate known to sd): an identification that comes and goes
    // with the daily cycle neither switches ff off nor lets a poor coefficient through whole.
    // In holdover no pulse corrects what ff gets wrong: only an identified coefficient there.
    if (holding_ && !temp_.identified()) return;
    const double c = temp_.coefficient();
    const double sd = temp_.coefficient_sd();
    const double weight = c * c + sd * sd > 0 ? c * c / (c * c + sd * sd) : 0.0;
    const double change = -weight * c * dtemp;
    if (change == 0) return;
    ff_ppb_ += change;
    // The real change came up to one reading interval before this reading (uniform: second
    // moment interval²/3): the phase moved by that much which nobody measured. And what the
    // coefficient leaves of the change (variance weight·sd² per °C²) is left for the servo.
    const double left_ppb = std::sqrt(weight) * sd * dtemp;
    servo_->disturbance(change * change * interval_s * interval_s / 3, left_ppb * left_ppb);
    set_frequency(servo_->last_freq_ppb(), out);
  }

  void on(const CarrierChange& e, Output& out) {
    carrier_up_ = e.up;
    periodic(e.mono_ns, false, out);
  }
  void on(const Tick& e, Output& out) {
    process(labeler_.on_tick(e.mono_ns), e.mono_ns, out);
    periodic(e.mono_ns, true, out);
  }

  // EXTTS timestamps are the counter value at the edge: truncated to the counter's tick (8 ns
  // on CM4), so on average the edge came half a tick after the reported time. The tick is
  // learned as the greatest common divisor of recent timestamps (1 ns if they are arbitrary).
  void learn_granularity(std::int64_t phc_ns) {
    gcd_acc_ = std::gcd(gcd_acc_, phc_ns < 0 ? -phc_ns : phc_ns);
    if (++gcd_count_ >= 32) {
      granularity_ns_ = gcd_acc_ >= 1 && gcd_acc_ <= 1000 ? gcd_acc_ : 1;
      gcd_acc_ = 0;
      gcd_count_ = 0;
    }
  }

  // ---- pulses -----------------------------------------------------------------------------
  std::optional<double> qerr_for(std::int64_t utc_s, std::int64_t edge_mono_ns) const {
    for (auto it = qerrs_.rbegin(); it != qerrs_.rend(); ++it) {
      if (it->utc_s == utc_s && std::llabs(it->edge_mono_ns - edge_mono_ns) < kNs / 2) {
        return it->qerr_ns;
      }
    }
    return std::nullopt;
  }

  void process(const std::vector<LabeledPulse>& pulses, std::int64_t now, Output& out) {
    for (const auto& p : pulses) process_one(p, now, out);
  }

  void process_one(const LabeledPulse& p, std::int64_t now, Output& out) {
    const int tai_utc = leap_.tai_utc_at_tai(p.tai_s);
    const std::int64_t utc_s = p.tai_s - tai_utc;
    leap_.on_utc(utc_s);
    last_tai_s_ = p.tai_s;
    // PHC − TAI at the edge. The pulse left the receiver qerr late and reached the pin
    // cable_delay late: both make the PHC look behind, so both are subtracted.
    // The truncated timestamp is half a tick early: the PHC looks that much behind.
    double corr = -qerr_for(utc_s, p.edge_mono_ns).value_or(0.0) - config_.cable_delay_ns +
                  0.5 * static_cast<double>(granularity_ns_);
    std::int64_t corr_int = std::llround(corr);
    servo::ServoInput in;
    in.offset_ns = p.phc_ns - p.tai_s * kNs + corr_int;
    in.offset_frac_ns = corr - static_cast<double>(corr_int);
    // The servo's time base is TAI at the edges (exact: pulses are whole TAI seconds), so a
    // monotonic-time estimate of the edge (ms uncertain) never multiplies the ~13 ppm
    // frequency. Only the delay until the new frequency applies comes from monotonic time.
    in.edge_ns = p.tai_s * kNs;
    in.apply_ns = in.edge_ns + std::max<std::int64_t>(0, now - p.likely_edge_mono_ns);
    in.apply_uncertainty_ns = labeler_.edge_uncertainty_s() * 1e9;
    ref_servo_ns_ = in.edge_ns;
    ref_mono_ns_ = p.likely_edge_mono_ns;

    // Back after an outage far off: start over with one step rather than a long slew.
    bool far = std::fabs(in.offset()) > config_.step_threshold_ns;
    if (far && (state_ == LockState::holdover || state_ == LockState::freerun) &&
        servo_->state() != servo::ServoState::unlocked) {
      servo_->reset();
      state_ = LockState::converging;
    }

    servo::ServoOutput r = servo_->sample(in);
    note_followed_jumps(now);
    status_.last_offset_ns = in.offset();
    PulseMeasurement m;
    m.tai_s = p.tai_s;
    m.offset_ns = in.offset();
    m.outlier = r.outlier;
    m.used = !r.outlier;
    out.pulse = m;
    set_frequency(r.freq_ppb, out);

    if (r.state == servo::ServoState::unlocked) {
      if (state_ != LockState::holdover && state_ != LockState::freerun) {
        state_ = labeler_.aligned() ? LockState::converging : LockState::acquiring;
      }
      return;
    }
    if (r.state == servo::ServoState::jump) {
      out.step = StepClock{r.step_ns};
      ++status_.steps;
      labeler_.on_step(r.step_ns);
      labeler_.set_aligned(true);
      state_ = LockState::converging;
      good_pulses_ = 0;
      last_used_edge_mono_ = p.edge_mono_ns;
      temp_.interrupt();
      return;
    }
    if (!labeler_.aligned()) labeler_.set_aligned(true);  // within the step threshold already
    if (r.outlier) {
      ++status_.outliers_rejected;
      return;
    }
    ++status_.pulses_used;
    last_used_edge_mono_ = p.edge_mono_ns;
    holding_ = false;
    hold_temp_integral_ = 0;
    if (auto t = temp_.temperature_c()) temp_ref_c_ = *t;
    servo::Prediction pr = servo_->predict(servo_time(now));
    bool good = std::fabs(r.phase_ns) < kConvergedNs && pr.sd_ns < kConvergedNs;
    good_pulses_ = good ? good_pulses_ + 1 : 0;
    if (state_ == LockState::converging && good_pulses_ >= kConvergedPulses) {
      state_ = LockState::tracking;
    } else if ((state_ == LockState::holdover || state_ == LockState::freerun) &&
               good_pulses_ >= kResumePulses) {
      state_ = LockState::tracking;
    } else if (state_ == LockState::acquiring) {
      state_ = LockState::converging;
    }
    if (state_ == LockState::tracking && servo_->consecutive_rejections() == 0) {
      update_log_variance();
      temp_.add_frequency(now, oscillator_ppb());
      ChronySample cs = chrony_sample(now, pr);
      // Never a sample that may be more than the limit off (e.g. right after a restart).
      if (cs.error_bound_ns < config_.holdover_limit_ns) out.chrony = cs;
    }
  }

  // f: the servo's frequency; the temperature feed-forward is added here, to every command.
  void set_frequency(double f_servo, Output& out) {
    double f = f_servo;
    if (ff_active_) f = std::clamp(f_servo + ff_ppb_, -config_.max_freq_ppb, config_.max_freq_ppb);
    if (f != last_freq_ppb_ || !out.frequency) {
      out.frequency = SetFrequency{f};
      last_freq_ppb_ = f;
      status_.freq_ppb = f;
    }
  }

  ChronySample chrony_sample(std::int64_t now, const servo::Prediction& pr) const {
    ChronySample s;
    s.phc_minus_tai_ns = pr.phase_ns;
    std::int64_t tai_now = last_tai_s_ + (now - last_used_edge_mono_) / kNs;
    s.tai_utc_s = leap_.tai_utc_at_tai(tai_now);
    s.leap = leap_.warning_at_utc(tai_now - s.tai_utc_s);
    s.error_bound_ns = bound_at(now);
    return s;
  }

  // Monotonic time → the servo's time base (TAI ns, from the last pulse processed).
  std::int64_t servo_time(std::int64_t mono_ns) const { return ref_servo_ns_ + (mono_ns - ref_mono_ns_); }

  // ---- time passing -----------------------------------------------------------------------
  double temperature_delta_ppb() const {
    if (ff_active_) return 0;  // the feed-forward cancels it in the command already
    auto t = temp_.temperature_c();
    if (!t || !temp_ref_c_) return 0;
    return temp_.usable_coefficient() * (*t - *temp_ref_c_);
  }

  // Error bound on |PHC − TAI| at monotonic time t: bound_sigmas × the servo's prediction
  // uncertainty, the receiver's own wander and the temperature model's uncertainty; at least
  // the size of the last rejected innovations when pulses keep being rejected.
  double bound_at(std::int64_t t) const {
    if (servo_->state() == servo::ServoState::unlocked) return kInf;
    double sd = servo_->predict(servo_time(t)).sd_ns;
    double temp_sd = temp_.usable_coefficient_sd() * hold_temp_integral_;
    double bound = config_.bound_sigmas *
                   std::sqrt(sd * sd + config_.reference_sd_ns * config_.reference_sd_ns +
                             temp_sd * temp_sd) +
                   reference_jump_ns(t);
    if (servo_->consecutive_rejections() >= 2) {
      bound = std::max(bound, config_.bound_sigmas * std::fabs(servo_->last_rejected_innovation_ns()));
    }
    return bound;
  }

  // The reference jumped and we followed: before or after, it was that far off; nobody can
  // tell which. Kept in the bound, fading over a day (a receiver settles).
  double reference_jump_ns(std::int64_t t) const {
    if (!jump_seen_mono_) return 0;
    double age_s = static_cast<double>(t - *jump_seen_mono_) * 1e-9;
    return std::fabs(jump_ns_) * std::exp(-std::max(age_s, 0.0) / 86400.0);
  }

  void note_followed_jumps(std::int64_t now) {
    if (servo_->followed_jumps() == jumps_noted_) return;
    jumps_noted_ = servo_->followed_jumps();
    double kept = reference_jump_ns(now);
    jump_ns_ = std::max(kept, std::fabs(servo_->last_followed_jump_ns()));
    jump_seen_mono_ = now;
  }

  void periodic(std::int64_t now, bool tick, Output& out) {
    if (labeler_.reacquire_requested()) reacquire();
    const bool running = servo_->state() != servo::ServoState::unlocked;
    const double since_pulse_s = static_cast<double>(now - last_used_edge_mono_) * 1e-9;

    if (running && since_pulse_s > 1.5 * config_.nominal_pulse_period_s) {
      // Pulses missing: keep the frequency (plus the temperature prediction), no more
      // phase correction from the last pulse.
      if (auto t = temp_.temperature_c(); t && temp_ref_c_) {
        double dt = holding_ ? static_cast<double>(now - last_hold_mono_) * 1e-9 : 0.0;
        hold_temp_integral_ += std::fabs(*t - *temp_ref_c_) * dt;
      }
      holding_ = true;
      last_hold_mono_ = now;
      set_frequency(servo_->hold(servo_time(now), temperature_delta_ppb()), out);
      if (state_ == LockState::tracking && since_pulse_s > config_.holdover_after_s) {
        state_ = LockState::holdover;
      }
    }

    // The bound must hold until the next event: look one period ahead.
    double bound = bound_at(now + static_cast<std::int64_t>(config_.nominal_pulse_period_s * 1e9));
    status_.error_bound_ns = bound;
    if (running) status_.phase_ns = servo_->predict(servo_time(now)).phase_ns;

    if (state_ == LockState::holdover && bound >= config_.holdover_limit_ns) {
      state_ = LockState::freerun;
    }
    if ((state_ == LockState::holdover || state_ == LockState::freerun) &&
        bound > kRelabelBound_ns) {
      reacquire();  // the PHC could be a good part of a second off: ToDs must label again
    }
    if (tick && state_ == LockState::holdover && bound < config_.holdover_limit_ns &&
        servo_->consecutive_rejections() == 0) {
      out.chrony = chrony_sample(now, servo_->predict(servo_time(now)));
    }
    status_.state = state_;
    ClockQuality q = make_quality();
    if (!(q == status_.quality)) {
      status_.quality = q;
      out.quality = q;
    }
  }

  void reacquire() {
    labeler_.reset();
    servo_->reset();
    state_ = LockState::acquiring;
    good_pulses_ = 0;
    holding_ = false;
    hold_temp_integral_ = 0;
  }

  ClockQuality make_quality() const {
    ClockQuality q;
    q.state = state_;
    const bool within = state_ == LockState::tracking || state_ == LockState::holdover;
    switch (state_) {
      case LockState::tracking: q.clock_class = 6; break;
      case LockState::holdover: q.clock_class = 7; break;
      case LockState::freerun: q.clock_class = config_.degraded_clock_class; break;
      default: q.clock_class = 248; break;
    }
    if (state_ == LockState::acquiring || state_ == LockState::converging) {
      q.clock_accuracy = 0xfe;
      q.error_bound_ns = kInf;
    } else {
      q.clock_accuracy = clock_accuracy_for_bound(status_.error_bound_ns);
      // Rounded up to the accuracy class, so that the quality changes rarely.
      q.error_bound_ns = accuracy_limit_ns(q.clock_accuracy);
    }
    q.offset_scaled_log_variance = within ? log_variance_ : std::uint16_t{0xffff};
    std::int64_t utc = last_tai_s_ - leap_.tai_utc_at_tai(last_tai_s_);
    q.tai_utc_s = leap_.tai_utc_at_tai(last_tai_s_);
    q.utc_offset_valid = leap_.offset_known();
    LeapWarning w = last_tai_s_ != 0 ? leap_.warning_at_utc(utc) : LeapWarning::none;
    q.leap61 = w == LeapWarning::insert;
    q.leap59 = w == LeapWarning::del;
    q.time_traceable = within;
    q.frequency_traceable = within;
    return q;
  }

 private:
  // PTP variance (IEEE 1588-2008 7.6.3.3: PTPVAR(τ) = τ²·σ_y²(τ)/3 at τ = 1 s) of the PHC as
  // the servo sees it: σ_y²(1 s) = (6R + 2q1 + (2/3)q2)/2 from the learned noise model. Kept
  // with hysteresis (only moves when the scaled value changes by more than one log2 unit).
  void update_log_variance() {
    servo::NoiseModel n = servo_->noise();
    double avar = (6 * n.meas_var_ns2 + 2 * n.wfm_ns2_per_s + (2.0 / 3.0) * n.rwfm_ns2_per_s3) / 2;
    std::uint16_t v = scaled_log_variance(avar / 3 * 1e-18);
    if (log_variance_ == 0xffff || std::abs(int{v} - int{log_variance_}) > 256) log_variance_ = v;
  }

  EngineConfig config_;
  std::unique_ptr<servo::Servo> servo_;
  LeapState leap_;
  PulseLabeler labeler_;
  TemperatureModel temp_;
  TemperatureFilter ff_filter_;
  bool ff_active_ = false;         // the coefficient was identified once: ff is in every command
  double ff_ppb_ = 0;              // current feed-forward, added to every command
  std::optional<std::int64_t> ff_last_mono_;
  std::optional<double> ff_last_c_;   // filtered temperature at the last ff update
  EngineStatus status_;
  LockState state_ = LockState::acquiring;
  double last_freq_ppb_;
  bool carrier_up_ = true;
  std::uint64_t carrier_stale_ = 0;
  std::deque<PulseReport> qerrs_;
  std::int64_t last_used_edge_mono_ = 0;
  std::int64_t ref_servo_ns_ = 0;
  std::int64_t ref_mono_ns_ = 0;
  std::int64_t last_tai_s_ = 0;
  int good_pulses_ = 0;
  bool holding_ = false;
  std::int64_t last_hold_mono_ = 0;
  double hold_temp_integral_ = 0;   // ∫|T − T_ref| dt since the last pulse (°C·s)
  std::optional<double> temp_ref_c_;
  std::uint16_t log_variance_ = 0xffff;
  std::uint64_t jumps_noted_ = 0;
  double jump_ns_ = 0;
  std::optional<std::int64_t> jump_seen_mono_;
  std::int64_t gcd_acc_ = 0;
  int gcd_count_ = 0;
  std::int64_t granularity_ns_ = 1;
};

}  // namespace

std::unique_ptr<Engine> make_engine(const EngineConfig& config) {
  if (config.servo != "pi" && config.servo != "kalman") {
    throw std::invalid_argument("unknown servo '" + config.servo + "' (expected pi or kalman)");
  }
  return std::make_unique<EngineImpl>(config);
}

}  // namespace nanotime::discipline
