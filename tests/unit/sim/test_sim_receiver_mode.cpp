// [receiver]: the survey's navigation wander in the simulated world, and what the real engine
// makes of it through the real Conductor (the world reports the time mode in virtual time).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "discipline/engine.hpp"
#include "sim/profile.hpp"
#include "sim/receiver_mode.hpp"
#include "sim/simulation.hpp"

using namespace nanotime::sim;
namespace d = nanotime::discipline;

namespace {
// A quiet CM4-like rig (no receiver noise of its own), so the wander is what the bound must cover.
const char* kRig = R"([sim]
duration_s = 10800
[phc]
initial_offset_s = 0.2
freq_offset_ppb = 13400
white_fm_ppb = 2.8
random_walk_fm_ppb_per_sqrt_s = 0.8
resolution_ns = 8
[gnss]
jitter_ns = 0.24
[extts]
delivery_delay_s = [0.0, 0.25]
[tod]
delay_s = 0.35
)";

double rms(const std::vector<double>& v, std::size_t from, std::size_t to) {
  double s = 0;
  for (std::size_t i = from; i < to; ++i) s += v[i] * v[i];
  return std::sqrt(s / static_cast<double>(to - from));
}

// engine_wander_ns: the engine's receiver_navigation_wander_ns (default: its own default).
SimResult run(const std::string& receiver_table, std::optional<double> engine_wander_ns = {}) {
  const Profile p = parse_profile(std::string(kRig) + receiver_table, "/t/survey.toml");
  d::EngineConfig c = engine_config(p, "kalman");
  if (engine_wander_ns) c.receiver_navigation_wander_ns = *engine_wander_ns;
  auto engine = d::make_engine(c);
  return run_simulation(p, *engine, "kalman");
}

// Seconds from `from` on where |true error| ≤ the published bound, and how many were judged.
std::pair<std::size_t, std::size_t> coverage(const SimResult& r, std::size_t from) {
  std::size_t covered = 0, judged = 0;
  for (std::size_t k = from; k < r.true_error_ns.size(); ++k) {
    if (!std::isfinite(r.error_bound_ns[k])) continue;
    ++judged;
    covered += std::fabs(r.true_error_ns[k]) <= r.error_bound_ns[k] ? 1 : 0;
  }
  return {covered, judged};
}

// A typical single-band receiver navigating: 12 ns ≈ 3.6 m (1σ), correlated over 5 min; the
// engine's default term (15 ns) is a little more conservative than that.
const char* kSurvey =
    "[receiver]\nsurvey_duration_s = 5400\nnavigation_wander_ns = 12\n"
    "navigation_wander_tau_s = 300\n";
}  // namespace

TEST_CASE("[receiver] keys parse; absent means fixed mode from the start, no watch", "[unit]") {
  const Profile p = parse_profile(
      "[receiver]\nsurvey_duration_s = 3600\nnavigation_wander_ns = 20\n"
      "navigation_wander_tau_s = 120\n", "/t/r.toml");
  CHECK(p.receiver.present);
  CHECK(p.receiver.survey_duration_s == 3600);
  CHECK(p.receiver.navigation_wander_ns == 20);
  CHECK(p.receiver.navigation_wander_tau_s == 120);
  const Profile none = parse_profile("", "/t/none.toml");
  CHECK_FALSE(none.receiver.present);
  CHECK_THROWS_AS(parse_profile("[receiver]\nsurvey_s = 1\n", "/t/bad.toml"),
                  nanotime::config::ConfigError);
  CHECK_THROWS_AS(parse_profile("[receiver]\nnavigation_wander_ns = -1\n", "/t/bad.toml"),
                  nanotime::config::ConfigError);
}

TEST_CASE("navigation wander: AR(1) of the configured σ during the survey, 0 after", "[unit]") {
  ReceiverSection c;
  c.present = true;
  c.survey_duration_s = 40000;
  c.navigation_wander_ns = 20;
  c.navigation_wander_tau_s = 100;
  NavigationWander w(c, 7);
  std::vector<double> x;
  for (std::int64_t k = 0; k < 40000; ++k) x.push_back(w.next(k));
  CHECK(rms(x, 0, x.size()) == Approx(20).epsilon(0.15));
  // Lag-100 autocorrelation of an AR(1) with τ = 100 s: e^−1 = 0.37.
  double num = 0, den = 0;
  for (std::size_t i = 0; i + 100 < x.size(); ++i) num += x[i] * x[i + 100];
  for (double v : x) den += v * v;
  CHECK(num / den == Approx(std::exp(-1.0)).margin(0.1));
  for (std::int64_t k = 40000; k < 40100; ++k) CHECK(w.next(k) == 0);
}

TEST_CASE("receiver state: survey-in with shrinking accuracy, then fixed", "[unit]") {
  ReceiverSection c;
  c.present = true;
  c.survey_duration_s = 1000;
  c.navigation_wander_ns = 33.36;  // 10 m
  c.navigation_wander_tau_s = 100;
  const auto a = simulated_receiver_state(c, 50.5);
  CHECK(a.mode == d::ReceiverTimeMode::survey_in);
  CHECK(a.survey_active);
  CHECK(a.survey_duration_s == 50);
  CHECK(*a.survey_accuracy_m == Approx(10));  // before one τ: no averaging yet
  const auto b = simulated_receiver_state(c, 400);
  CHECK(*b.survey_accuracy_m == Approx(5));   // 10 m / √(400/100)
  const auto f = simulated_receiver_state(c, 1000);
  CHECK(f.mode == d::ReceiverTimeMode::fixed);
  CHECK_FALSE(f.survey_active);
  CHECK(f.survey_duration_s == 1000);
}

TEST_CASE("a survey: the bound covers the true error throughout, the wander is gone after",
          "[unit][slow]") {
  const SimResult fixed = run("");
  const SimResult survey = run(kSurvey);
  const std::size_t settled = 600, end = 5400, n = survey.true_error_ns.size();
  const auto [covered, judged] = coverage(survey, settled);
  CHECK(judged == n - settled);
  CHECK(covered == judged);  // every figure shown has a bound covering the truth
  // Teeth: an engine that ignores the time mode publishes bounds the truth breaks.
  const auto [blind_covered, blind_judged] = coverage(run(kSurvey, 0.0), settled);
  CHECK(blind_covered < blind_judged);
  // The wander is there during the survey (the servo follows the receiver's pulse) …
  const double during = rms(survey.true_error_ns, settled, end);
  const double fixed_during = rms(fixed.true_error_ns, settled, end);
  CHECK(during > 3 * fixed_during);
  // … and gone once fixed (after the servo settled): the same as the fixed-mode run.
  const double after = rms(survey.true_error_ns, end + 1800, n);
  const double fixed_after = rms(fixed.true_error_ns, end + 1800, n);
  CHECK(after < 1.5 * fixed_after + 1);
  CHECK(after < during / 3);
  // The bound is wider while surveying and back after; clockClass stays 6 throughout.
  CHECK(survey.error_bound_ns[end - 10] > fixed.error_bound_ns[end - 10] + 10);
  CHECK(survey.error_bound_ns[n - 1] == Approx(fixed.error_bound_ns[n - 1]).epsilon(0.1));
  for (std::size_t k = settled; k < n; ++k) REQUIRE(survey.clock_class[k] == 6);
}
