// The bench's accuracy limit (Riccati solution) against closed forms, and the SVG writer.
#include <catch2/catch.hpp>

#include <cmath>

#include "kalman_limit.hpp"
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
