// The PI baseline against a sequence computed by hand from linuxptp 3.1.1 servo/pi.c:
//   sample 1: stored; sample 2: drift += (1e9 − drift)·Δoffset/Δlocal, step if |offset| > 20 µs;
//   then ppb = kp·offset + drift + ki·offset, drift += ki·offset unless clamped;
//   the clock gets −ppb.
#include <catch2/catch.hpp>

#include "servo/pi.hpp"

using namespace nanotime::servo;

namespace {
constexpr std::int64_t kS = 1000000000;
ServoInput at(std::int64_t offset_ns, std::int64_t t_s) {
  ServoInput in;
  in.offset_ns = offset_ns;
  in.edge_ns = t_s * kS;
  in.apply_ns = in.edge_ns;
  return in;
}
}  // namespace

TEST_CASE("PI follows linuxptp's sequence", "[unit][servo]") {
  ServoConfig c;
  PiServo pi(c);
  ServoOutput o = pi.sample(at(1000, 0));
  CHECK(o.state == ServoState::unlocked);
  CHECK(o.freq_ppb == 0);
  o = pi.sample(at(1500, 1));  // drift = 0 + (1e9 − 0)·500/1e9 = 500
  CHECK(o.state == ServoState::locked);
  CHECK(o.freq_ppb == Approx(-500));
  CHECK(o.step_ns == 0);
  o = pi.sample(at(100, 2));   // ppb = 0.7·100 + 500 + 0.3·100 = 600; drift 530
  CHECK(o.freq_ppb == Approx(-600));
  o = pi.sample(at(-50, 3));   // ppb = −35 + 530 − 15 = 480; drift 515
  CHECK(o.freq_ppb == Approx(-480));
  o = pi.sample(at(20, 4));    // ppb = 14 + 515 + 6 = 535; drift 521
  CHECK(o.freq_ppb == Approx(-535));
  CHECK(pi.oscillator_ppb() == Approx(521));
}

TEST_CASE("PI steps once at start beyond first_step_threshold", "[unit][servo]") {
  ServoConfig c;
  c.initial_freq_ppb = 100;   // linuxptp starts from drift = −(current adjustment)
  PiServo pi(c);
  pi.sample(at(100000, 10));
  // drift = −100 + (1e9 + 100)·(−13400 − … ) : offsets 100000 → 113400 in 1 s:
  //   drift = −100 + (1e9 + 100)·13400/1e9 = 13300.00134
  ServoOutput o = pi.sample(at(113400, 11));
  CHECK(o.state == ServoState::jump);
  CHECK(o.step_ns == -113400);
  CHECK(o.freq_ppb == Approx(-13300.00134).epsilon(1e-12));
  // After the step it is a plain PI; a later large offset does not step (step_threshold 0).
  o = pi.sample(at(30000, 12));
  CHECK(o.state == ServoState::locked);
  CHECK(o.step_ns == 0);
}

TEST_CASE("PI keeps ns precision on a cold start ~1e18 ns off", "[unit][servo]") {
  ServoConfig c;
  PiServo pi(c);
  const std::int64_t base = 1500000000000000000;
  pi.sample(at(base, 0));
  ServoOutput o = pi.sample(at(base + 13400, 1));
  CHECK(o.freq_ppb == Approx(-13400).margin(1e-6));
  CHECK(o.step_ns == -(base + 13400));
}

TEST_CASE("PI clamps and freezes the integral while clamped", "[unit][servo]") {
  ServoConfig c;
  c.max_freq_ppb = 1000;
  PiServo pi(c);
  pi.sample(at(0, 0));
  pi.sample(at(0, 1));                         // drift 0
  ServoOutput o = pi.sample(at(10000, 2));     // 7000 + 0 + 3000 > 1000: clamped
  CHECK(o.freq_ppb == Approx(-1000));
  CHECK(pi.oscillator_ppb() == Approx(0));     // integral frozen
  o = pi.sample(at(100, 3));                   // 70 + 0 + 30 = 100
  CHECK(o.freq_ppb == Approx(-100));
  CHECK(pi.oscillator_ppb() == Approx(30));
}

TEST_CASE("PI: a disturbance changes nothing; it gates nothing", "[unit][servo]") {
  ServoConfig c;
  PiServo pi(c);
  pi.sample(at(1000, 0));
  pi.sample(at(1500, 1));
  ServoOutput o = pi.sample(at(100, 2));
  Control& control = pi;
  const Estimator& estimate = pi;
  const Prediction before = estimate.predict(10 * kS);
  // linuxptp's PI has no covariance: the frequency of the last sample stays, as does the model.
  CHECK(control.disturbance(1e6, 100) == o.freq_ppb);
  CHECK(estimate.predict(10 * kS).sd_ns == before.sd_ns);
  CHECK(estimate.predict(10 * kS).phase_ns == before.phase_ns);
  o = pi.sample(at(100000, 3));  // far off: used all the same
  CHECK_FALSE(o.outlier);
  CHECK(estimate.gating().consecutive_rejections == 0);
  CHECK(estimate.gating().followed_jumps == 0);
}
