// The Kalman servo in a tiny closed loop: a PHC with a frequency error (and optional noise
// from a fixed pseudo-random sequence), its measurement each second, and the returned
// frequency applied apply_delay after the edge, exactly as the engine and the daemon do.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>

#include "servo/kalman.hpp"
#include "servo/noise_estimator.hpp"

using namespace nanotime::servo;

namespace {
constexpr std::int64_t kS = 1000000000;

struct Loop {
  KalmanServo servo;
  double phase_ns;          // true PHC − reference at the current edge
  double osc_ppb;           // the oscillator's own frequency error
  double freq_ppb = 0;      // applied adjustment
  double apply_delay_s = 0.2;
  double meas_sd_ns = 0;
  double rw_ppb = 0;        // random-walk FM per √s
  std::mt19937_64 rng{12345};
  std::int64_t k = 0;
  std::uint64_t steps = 0;

  Loop(const ServoConfig& c, double phase0_ns, double osc) : servo(c), phase_ns(phase0_ns), osc_ppb(osc) {}

  double gauss(double sd) { return sd > 0 ? std::normal_distribution<double>(0, sd)(rng) : 0.0; }

  // One edge: measure (plus extra_ns that only the measurement sees), let the servo act, and
  // run the PHC to the next edge.
  ServoOutput step(double extra_ns = 0) {
    ServoInput in;
    double z = phase_ns + gauss(meas_sd_ns) + extra_ns;
    in.offset_ns = std::llround(std::floor(z));
    in.offset_frac_ns = z - std::floor(z);
    in.edge_ns = k * kS;
    in.apply_ns = in.edge_ns + static_cast<std::int64_t>(apply_delay_s * 1e9);
    ServoOutput o = servo.sample(in);
    if (o.state == ServoState::jump) {
      phase_ns += static_cast<double>(o.step_ns);  // an exact step in this model
      ++steps;
    }
    // Old frequency until apply, the new one after.
    phase_ns += (osc_ppb + freq_ppb) * apply_delay_s;
    freq_ppb = o.freq_ppb;
    phase_ns += (osc_ppb + freq_ppb) * (1 - apply_delay_s);
    osc_ppb += gauss(rw_ppb);
    ++k;
    return o;
  }
};

ServoConfig quiet_config() {
  ServoConfig c;
  c.step_error_ns = 0;
  return c;
}
}  // namespace

TEST_CASE("Kalman: constant frequency error, noise-free: converges without oscillating",
          "[unit][servo]") {
  Loop loop(quiet_config(), 5000.0, 13400.0);  // 5 µs off: no step (threshold 20 µs)
  double prev_abs = 1e9;
  int sign_changes = 0;
  double prev = 0;
  for (int i = 0; i < 120; ++i) {
    loop.step();
    if (i >= 3) {
      // Each second at most as far off as before (allowing sub-ns numerical noise): a servo
      // that rings or diverges fails here.
      CHECK(std::fabs(loop.phase_ns) <= prev_abs + 0.5);
      if (std::fabs(loop.phase_ns) > 1 && prev * loop.phase_ns < 0) ++sign_changes;
    }
    prev_abs = std::fabs(loop.phase_ns);
    prev = loop.phase_ns;
  }
  CHECK(loop.steps == 0);
  CHECK(sign_changes <= 2);
  CHECK(std::fabs(loop.phase_ns) < 1.0);
  CHECK(loop.freq_ppb == Approx(-13400).margin(0.5));
  CHECK(loop.servo.oscillator_ppb() == Approx(13400).margin(0.5));
}

TEST_CASE("Kalman: cold start steps once, then true error < 100 ns within 10 s", "[unit][servo]") {
  ServoConfig c;
  c.step_error_ns = 2000;
  Loop loop(c, 1.5e15, 13400.0);
  loop.meas_sd_ns = 6.5;
  for (int i = 0; i < 2; ++i) loop.step();
  CHECK(loop.steps == 1);
  loop.phase_ns += 1500;  // the step landed 1.5 µs off
  int first_ok = -1;
  for (int i = 2; i < 200; ++i) {
    loop.step();
    if (std::fabs(loop.phase_ns) < 100 && first_ok < 0) first_ok = i;
    if (first_ok >= 0 && i > first_ok) CHECK(std::fabs(loop.phase_ns) < 100);
  }
  CHECK(first_ok >= 0);
  CHECK(first_ok <= 10);
  CHECK(loop.steps == 1);
}

TEST_CASE("Kalman: with white measurement noise the true error is below the noise",
          "[unit][servo]") {
  Loop loop(quiet_config(), 0.0, 200.0);
  loop.meas_sd_ns = 10;
  loop.rw_ppb = 0.05;
  double sum2 = 0;
  int n = 0;
  for (int i = 0; i < 3000; ++i) {
    loop.step();
    if (i > 500) {
      sum2 += loop.phase_ns * loop.phase_ns;
      ++n;
    }
  }
  double rms = std::sqrt(sum2 / n);
  // A filter averaging several pulses must beat a single measurement (10 ns) clearly; a
  // servo that just follows each measurement gets ≈ 10 ns.
  CHECK(rms < 6.0);
  // The learned measurement noise is about right.
  CHECK(std::sqrt(loop.servo.noise().meas_var_ns2) == Approx(10).epsilon(0.25));
}

TEST_CASE("Kalman: a single outlier is rejected", "[unit][servo]") {
  Loop loop(quiet_config(), 0.0, 100.0);
  loop.meas_sd_ns = 5;
  for (int i = 0; i < 300; ++i) loop.step();
  ServoOutput o = loop.step(3000);  // −3 µs style glitch of one pulse
  CHECK(o.outlier);
  const Estimator& estimate = loop.servo;
  CHECK(estimate.gating().consecutive_rejections == 1);
  CHECK(estimate.gating().last_rejected_innovation_ns == Approx(3000).margin(30));
  CHECK(estimate.gating().followed_jumps == 0);
  double worst = 0;
  for (int i = 0; i < 20; ++i) {
    o = loop.step();
    CHECK_FALSE(o.outlier);
    worst = std::max(worst, std::fabs(loop.phase_ns));
  }
  CHECK(worst < 30);
  CHECK(estimate.gating().consecutive_rejections == 0);
}

TEST_CASE("Kalman: a real phase jump is followed within bounded time", "[unit][servo]") {
  Loop loop(quiet_config(), 0.0, 100.0);
  loop.meas_sd_ns = 5;
  for (int i = 0; i < 300; ++i) loop.step();
  // From now on the reference is 800 ns later: the PHC must move to it.
  int outliers = 0;
  for (int i = 0; i < 30; ++i) {
    ServoOutput o = loop.step(-800);
    outliers += o.outlier ? 1 : 0;
  }
  CHECK(outliers <= KalmanServo::kJumpCount);
  CHECK(outliers >= 1);
  // The estimator view tells the engine that the reference moved (it keeps that in its bound).
  const Estimator& estimate = loop.servo;
  CHECK(estimate.gating().followed_jumps == 1);
  CHECK(estimate.gating().last_followed_jump_ns == Approx(-800).margin(30));
  // PHC − new reference = phase − (−800)… the measurement is phase − 800: it must be ≈ 0.
  CHECK(std::fabs(loop.phase_ns - 800) < 30);
}

TEST_CASE("Kalman: a frequency step (temperature) is followed", "[unit][servo]") {
  Loop loop(quiet_config(), 0.0, 100.0);
  loop.meas_sd_ns = 5;
  for (int i = 0; i < 300; ++i) loop.step();
  loop.osc_ppb -= 480;
  for (int i = 0; i < 30; ++i) loop.step();
  CHECK(std::fabs(loop.phase_ns) < 30);
  CHECK(loop.servo.oscillator_ppb() == Approx(-380).margin(5));
}

TEST_CASE("Kalman: the prediction uncertainty grows like the oscillator model", "[unit][servo]") {
  ServoConfig c = quiet_config();
  c.fixed_noise = NoiseModel{25, 4, 0.01};
  Loop loop(c, 0.0, 0.0);
  loop.meas_sd_ns = 5;
  for (int i = 0; i < 2000; ++i) loop.step();
  std::int64_t last = (loop.k - 1) * kS;
  double sd0 = loop.servo.predict(last).sd_ns;
  double sd100 = loop.servo.predict(last + 100 * kS).sd_ns;
  double sd1000 = loop.servo.predict(last + 1000 * kS).sd_ns;
  CHECK(sd0 < 5);
  // Hand value without the estimate's own uncertainty: √(4·t + 0.01·t³/3).
  CHECK(sd100 >= std::sqrt(4 * 100 + 0.01 * 1e6 / 3));
  CHECK(sd100 < 1.5 * std::sqrt(4 * 100 + 0.01 * 1e6 / 3));
  CHECK(sd1000 >= std::sqrt(4 * 1000 + 0.01 * 1e9 / 3));
  CHECK(sd1000 < 1.5 * std::sqrt(4 * 1000 + 0.01 * 1e9 / 3));
}

TEST_CASE("Kalman: a disturbance widens the prediction and keeps the frequency", "[unit][servo]") {
  ServoConfig c = quiet_config();
  c.fixed_noise = NoiseModel{25, 4, 0.01};
  Loop loop(c, 0.0, 300.0);
  loop.meas_sd_ns = 5;
  for (int i = 0; i < 500; ++i) loop.step();
  Control& control = loop.servo;
  const Estimator& estimate = loop.servo;
  const std::int64_t last = (loop.k - 1) * kS;
  const Prediction before = estimate.predict(last);
  const double osc_ppb = estimate.oscillator_ppb();
  CHECK(control.disturbance(400.0 * 400.0, 0) == loop.freq_ppb);
  const Prediction after = estimate.predict(last);
  CHECK(after.sd_ns == Approx(std::hypot(before.sd_ns, 400.0)).epsilon(1e-9));
  CHECK(after.phase_ns == before.phase_ns);
  CHECK(estimate.oscillator_ppb() == osc_ppb);
  // A frequency disturbance: after 100 s the phase is that much less certain.
  control.disturbance(0, 10.0 * 10.0);
  CHECK(estimate.predict(last + 100 * kS).sd_ns > 1000);
  // So the next pulse is used, not gated out, even though the phase moved 300 ns meanwhile.
  loop.phase_ns += 300;
  CHECK_FALSE(loop.step().outlier);
}

TEST_CASE("NoiseEstimator recovers white phase and random-walk FM levels", "[unit][servo]") {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> n01(0, 1);
  NoiseEstimator est(1.0);
  double phase = 0, freq = 0;
  for (int i = 0; i < 20000; ++i) {
    est.add(i, phase + 5 * n01(rng));     // R = 25
    phase += freq + 2 * n01(rng);          // white FM 2 ppb: q1 = 4
    freq += 0.3 * n01(rng);                // RW FM: q2 = 0.09
  }
  NoiseModel m = est.model();
  CHECK(m.meas_var_ns2 == Approx(25).epsilon(0.3));
  CHECK(m.wfm_ns2_per_s == Approx(4).epsilon(0.5));
  CHECK(m.rwfm_ns2_per_s3 == Approx(0.09).epsilon(0.5));
}
