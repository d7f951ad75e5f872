// The bench's accuracy limit (Riccati solution) against closed forms, and the SVG writer.
#include <catch2/catch.hpp>

#include <cmath>

#include "kalman_limit.hpp"
#include "oracle_limit.hpp"
#include "sim/receiver.hpp"
#include "svg_plot.hpp"

using namespace nanotime::bench;

TEST_CASE("Riccati: with a known frequency the phase filter is the scalar random-walk one",
          "[unit]") {
  // Scalar steady state: P = q + P·R/(P + R)  =>  P = (q + √(q² + 4qR))/2.
  for (const auto& [q, r] : {std::pair{7.84, 42.0}, std::pair{1.0, 1.0}, std::pair{0.1, 100.0}}) {
    const double expected = (q + std::sqrt(q * q + 4 * q * r)) / 2;
    CHECK(riccati_prediction_variance(q, 0, r) == Approx(expected).epsilon(0.01));
  }
}

TEST_CASE("Riccati: more process noise or more measurement noise never helps", "[unit]") {
  const double base = riccati_prediction_variance(7.84, 0.64, 42);
  CHECK(riccati_prediction_variance(7.84, 1.0, 42) > base);
  CHECK(riccati_prediction_variance(9.0, 0.64, 42) > base);
  CHECK(riccati_prediction_variance(7.84, 0.64, 60) > base);
  CHECK(base > 7.84);  // at least one step of white FM
}

TEST_CASE("the limit of a profile adds the receiver's wander in quadrature", "[unit]") {
  nanotime::sim::Profile p;
  p.phc.white_fm_ppb = 1;
  p.phc.resolution_ns = 1;
  p.gnss.sawtooth_pp_ns = 12;   // R = 144/12 + 1/12
  p.gnss.ar1 = {{100, 3}};
  p.gnss.sinusoid = {{86400, 4}};  // amp²/2 = 8
  const Limit l = kalman_limit(p);
  CHECK(l.measurement_sd_ns == Approx(std::sqrt(12 + 1.0 / 12)));
  CHECK(l.wander_sd_ns == Approx(std::sqrt(9 + 8.0)));
  CHECK(l.limit_ns == Approx(std::sqrt(l.prediction_sd_ns * l.prediction_sd_ns + 17)));
  p.gnss.qerr = true;
  p.gnss.qerr_residual_ns = 0.5;  // the sawtooth is corrected: R = 0.25 + 1/12
  CHECK(kalman_limit(p).measurement_sd_ns == Approx(std::sqrt(0.25 + 1.0 / 12)));
}

TEST_CASE("the SVG has one polyline per series and a legend", "[unit]") {
  std::vector<double> a(7200, 5.0), b(7200, -2.0);
  const std::string svg = true_error_svg("t", {{"pi", a}, {"kalman", b}});
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  std::size_t lines = 0;
  for (std::size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) ++lines;
  CHECK(lines == 2);
  CHECK(svg.find("pi: rms 5.00 ns") != std::string::npos);
  CHECK(svg.find("kalman: rms 2.00 ns") != std::string::npos);
}

// ---- the oracle (oracle_limit.hpp) ---------------------------------------------------------

namespace {
nanotime::sim::Profile white_fm_profile() {
  nanotime::sim::Profile p;
  p.phc.freq_offset_ppb = 13400;  // removed by the oracle (it knows it)
  p.phc.white_fm_ppb = 2.8;
  p.phc.resolution_ns = 8;
  p.gnss.sawtooth_pp_ns = 21;
  p.gnss.jitter_ns = 0.24;
  return p;
}
double scalar_riccati_sd(double q, double r) { return std::sqrt((q + std::sqrt(q * q + 4 * q * r)) / 2); }
}  // namespace

TEST_CASE("oracle: white FM and white phase noise give the scalar Riccati prediction error",
          "[unit]") {
  // Closed form, independent of any filter code: with a known frequency the best one-step
  // prediction of a random walk (step variance q) seen through white noise r has
  // P = (q + √(q² + 4qR))/2. Sawtooth and quantisation are uniform, not Gaussian: a linear
  // filter's error depends on their variances only.
  const auto p = white_fm_profile();
  const double r = 21.0 * 21 / 12 + 64.0 / 12 + 0.24 * 0.24;
  const OracleResult o = oracle_run(p, 3, 30000);
  CHECK(o.n == 30000 - 600 + 1);
  CHECK(o.true_rms_ns == Approx(scalar_riccati_sd(2.8 * 2.8, r)).epsilon(0.03));
  CHECK(o.wander_rms_ns == 0);
}

TEST_CASE("oracle: a reported qErr leaves only its residual", "[unit]") {
  auto p = white_fm_profile();
  p.gnss.qerr = true;
  p.gnss.qerr_residual_ns = 0.5;
  const double r = 0.25 + 64.0 / 12 + 0.24 * 0.24;
  CHECK(oracle_run(p, 4, 30000).true_rms_ns == Approx(scalar_riccati_sd(2.8 * 2.8, r)).epsilon(0.03));
}

TEST_CASE("oracle: the receiver's wander is averaged out by a perfect oscillator, followed by a poor one",
          "[unit]") {
  nanotime::sim::Profile p;
  p.phc.resolution_ns = 1;
  p.gnss.jitter_ns = 1;
  p.gnss.ar1 = {{100, 5}};
  p.gnss.sinusoid = {{3000, 4}};
  // Perfect oscillator: the PHC never moves, so the best estimate averages the wander away
  // (error ~ σ·√(2τ/t) after t seconds).
  const OracleResult still = oracle_run(p, 5, 20000);
  CHECK(still.wander_rms_ns == Approx(std::sqrt(25 + 8.0)).epsilon(0.2));
  CHECK(still.true_rms_ns < 0.3 * still.wander_rms_ns);
  // A random-walk FM oscillator: the wander cannot be told from the PHC's own and passes.
  p.phc.white_fm_ppb = 2.8;
  p.phc.random_walk_fm_ppb_per_sqrt_s = 0.8;
  const OracleResult poor = oracle_run(p, 5, 20000);
  CHECK(poor.wander_rms_ns == still.wander_rms_ns);  // the same draws: same seed, same streams
  CHECK(poor.true_rms_ns > 0.9 * poor.wander_rms_ns);
}

TEST_CASE("oracle: the wander it reports is the seed's own (the simulator's draws)", "[unit]") {
  nanotime::sim::Profile p;
  p.phc.white_fm_ppb = 1;
  p.gnss.ar1 = {{500, 3}};
  p.gnss.sawtooth_pp_ns = 10;
  nanotime::sim::GnssSection wander_only = p.gnss;
  wander_only.sawtooth_pp_ns = 0;
  nanotime::sim::SimulatedReceiver rx(wander_only, 9);
  double sum = 0;
  for (std::int64_t k = 0; k <= 5000; ++k) {
    const double e = rx.next(k).edge_error_ns;
    if (k >= 600) sum += e * e;
  }
  const OracleResult o = oracle_run(p, 9, 5000);
  CHECK(o.wander_rms_ns == Approx(std::sqrt(sum / 4401)).epsilon(1e-12));
  CHECK(oracle_run(p, 9, 5000).true_rms_ns == o.true_rms_ns);   // deterministic
  CHECK(oracle_run(p, 10, 5000).true_rms_ns != o.true_rms_ns);  // another seed, other noise
}
