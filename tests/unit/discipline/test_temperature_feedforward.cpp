// Temperature feed-forward (engine.cpp, temperature_filter.cpp): once the engine has learned
// how the PHC's frequency depends on the board temperature, it cancels the temperature-driven
// change in the command itself, so a sudden temperature step (a fan stopping) is followed at
// once instead of after several gated-out pulses.
//
// A small world in simulated time: the oscillator's frequency in second k is
// base + coeff·(T(k) − 48 °C), as the simulator models it; the thermometer reads T(k + 0.5)
// with Gaussian noise at k + 0.5 s; pulses are exact, EXTTS delivered 0.05–0.24 s late.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <random>
#include <vector>

#include "discipline/engine.hpp"
#include "discipline/temperature_filter.hpp"

using namespace nanotime::discipline;

namespace {
constexpr std::int64_t kS = 1000000000;
constexpr std::int64_t kMono0 = 555 * kS;
constexpr double kCoeff = -60;       // ppb/°C, as the cm4-m8t-faults profile
constexpr double kMeanC = 48;

struct ThermalWorld {
  EngineConfig config;
  std::unique_ptr<Engine> engine;
  std::function<double(double)> temperature_c;  // true board temperature at t (s)
  double reading_sd_c = 0.1;
  double base_ppb = 13400;
  double adj_ppb = 0;
  double phase_ns = 0;       // PHC − TAI
  std::int64_t t_ns = 0;
  std::mt19937_64 rng{7};
  std::vector<double> true_error;   // at each edge
  std::vector<double> ff_ppb;       // status after each second
  const std::int64_t start_utc_s = 1798675200;
  const double extts_delays[4] = {0.05, 0.2, 0.12, 0.24};

  double osc_ppb(std::int64_t k) const {
    return base_ppb + kCoeff * (temperature_c(static_cast<double>(k)) - kMeanC);
  }
  void advance(std::int64_t to_ns) {
    // Piecewise constant per second, like the simulator.
    while (t_ns < to_ns) {
      std::int64_t k = t_ns / kS;
      std::int64_t until = std::min(to_ns, (k + 1) * kS);
      phase_ns += (osc_ppb(k) + adj_ppb) * static_cast<double>(until - t_ns) * 1e-9;
      t_ns = until;
    }
  }
  void feed(std::int64_t at_ns, const Event& ev) {
    advance(at_ns);
    Output o = engine->handle(ev);
    if (o.step) phase_ns += static_cast<double>(o.step->delta_ns);
    if (o.frequency) adj_ppb = o.frequency->freq_ppb;
  }
  void second(std::int64_t k) {
    const std::int64_t edge = k * kS;
    const std::int64_t tai_s = start_utc_s + 37 + k;
    advance(edge);
    true_error.push_back(phase_ns);
    const auto phc = tai_s * kS + static_cast<std::int64_t>(std::floor(phase_ns));
    const auto d = static_cast<std::int64_t>(extts_delays[k % 4] * 1e9);
    feed(edge + d, ExttsEvent{phc, kMono0 + edge + d});
    TimeReport tr;
    tr.utc_s = tai_s - 37;
    tr.tai_utc_s = 37;
    tr.arrival_mono_ns = kMono0 + edge + 350000000;
    feed(edge + 350000000, tr);
    const std::int64_t tick = edge + kS / 2;
    feed(tick, Tick{kMono0 + tick});
    double reading = temperature_c(static_cast<double>(k) + 0.5) +
                     std::normal_distribution<double>(0, reading_sd_c)(rng);
    feed(tick, TemperatureReading{kMono0 + tick, reading});
    ff_ppb.push_back(engine->status().temperature_feedforward_ppb);
  }
  void run(std::int64_t from_k, std::int64_t to_k) {
    for (std::int64_t k = from_k; k < to_k; ++k) second(k);
  }
};

// ±3 °C with a 1 h period (fast enough to identify the coefficient in a few hours), then an
// 8 °C step at t = step_s (the PHC's frequency jumps −480 ppb at once).
double sinus_then_step(double t, double step_s) {
  double c = kMeanC + 3 * std::sin(2 * std::numbers::pi * t / 3600.0);
  return t >= step_s ? c + 8 : c;
}

double max_abs(const std::vector<double>& v, std::size_t from, std::size_t to) {
  double m = 0;
  for (std::size_t i = from; i < to && i < v.size(); ++i) m = std::max(m, std::fabs(v[i]));
  return m;
}

double rms(const std::vector<double>& v, std::size_t from, std::size_t to) {
  double s = 0;
  for (std::size_t i = from; i < to; ++i) s += v[i] * v[i];
  return std::sqrt(s / static_cast<double>(to - from));
}

struct StepResult {
  double max_before_ns, max_after_ns;
  double coeff;
  bool active;
};

StepResult run_step(bool feedforward) {
  ThermalWorld w;
  w.config.temperature_feedforward = feedforward;
  w.temperature_c = [](double t) { return sinus_then_step(t, 12000); };
  w.engine = make_engine(w.config);
  w.run(0, 12060);
  auto st = w.engine->status();
  return {max_abs(w.true_error, 11000, 12000), max_abs(w.true_error, 12000, 12060),
          st.temp_coeff_ppb_per_c, st.temperature_feedforward_active};
}
}  // namespace

TEST_CASE("feed-forward: an 8 °C step is followed with the error of half a second, not µs",
          "[unit][engine][temperature]") {
  StepResult on = run_step(true);
  StepResult off = run_step(false);
  INFO("ff on: before " << on.max_before_ns << " after " << on.max_after_ns << " coeff " << on.coeff);
  INFO("ff off: before " << off.max_before_ns << " after " << off.max_after_ns);
  CHECK(on.active);
  CHECK_FALSE(off.active);
  // Both learned the coefficient (learning from the whole oscillator, ff or not).
  CHECK(on.coeff == Approx(kCoeff).epsilon(0.1));
  CHECK(off.coeff == Approx(kCoeff).epsilon(0.1));
  // Before the step both track within tens of ns.
  CHECK(on.max_before_ns < 60);
  CHECK(off.max_before_ns < 60);
  // The reading comes 0.5 s after the step: −480 ppb × 0.5 s = 240 ns is the most the
  // feed-forward can leave (plus what the coefficient's error leaves: 8 °C × a few ppb/°C).
  CHECK(on.max_after_ns < 300);
  // Without it the servo gates out the pulses after the step and runs µs away first.
  CHECK(off.max_after_ns > 1000);
}

TEST_CASE("feed-forward: noisy readings of a constant temperature add no noise",
          "[unit][engine][temperature]") {
  auto run = [](bool feedforward) {
    ThermalWorld w;
    w.config.temperature_feedforward = feedforward;
    // Identify the coefficient over 3 h of ±3 °C, then hold 51 °C (the sinusoid's top: no kink).
    w.temperature_c = [](double t) {
      return t < 3.25 * 3600 ? kMeanC + 3 * std::sin(2 * std::numbers::pi * t / 3600.0) : 51.0;
    };
    w.engine = make_engine(w.config);
    w.run(0, 3 * 3600 + 3000);
    return w;
  };
  ThermalWorld on = run(true);
  ThermalWorld off = run(false);
  REQUIRE(on.engine->status().temperature_feedforward_active);
  const std::size_t from = 3 * 3600 + 1200, to = 3 * 3600 + 3000;
  // The feed-forward itself barely moves: raw readings (0.1 °C) would move it by 6 ppb sd.
  double mean = 0;
  for (std::size_t i = from; i < to; ++i) mean += on.ff_ppb[i];
  mean /= static_cast<double>(to - from);
  double var = 0;
  for (std::size_t i = from; i < to; ++i) var += (on.ff_ppb[i] - mean) * (on.ff_ppb[i] - mean);
  double ff_sd = std::sqrt(var / static_cast<double>(to - from));
  INFO("ff sd " << ff_sd << " ppb");
  CHECK(ff_sd < 1.5);
  // And the clock is no worse than without it.
  double rms_on = rms(on.true_error, from, to), rms_off = rms(off.true_error, from, to);
  INFO("rms on " << rms_on << " off " << rms_off);
  CHECK(rms_on < 1.2 * rms_off + 1);
  // Nothing at all without a thermometer: the commands are those of the servo alone.
  CHECK_FALSE(off.engine->status().temperature_feedforward_active);
  CHECK(off.engine->status().temperature_feedforward_ppb == 0);
}

TEST_CASE("temperature filter: averages noise, follows a step at once, ignores one glitch",
          "[unit][temperature]") {
  TemperatureFilter f;   // 30 s smoothing, steps beyond 5σ
  std::mt19937_64 rng{3};
  std::normal_distribution<double> noise(0, 0.1);
  std::int64_t t = 0;
  auto add = [&](double c) {
    t += kS;
    f.add(t, c);
  };
  for (int i = 0; i < 300; ++i) add(40 + noise(rng));
  CHECK(f.noise_sd_c() == Approx(0.1).epsilon(0.25));
  // 30 s average of 0.1 °C readings: sd ≈ 0.1·√(1/59) ≈ 0.013 °C.
  CHECK(*f.value() == Approx(40).margin(0.06));
  // A real step: the first reading after it is taken whole …
  add(48 + noise(rng));
  CHECK(*f.value() == Approx(48).margin(0.5));
  CHECK(f.steps() == 1);
  for (int i = 0; i < 60; ++i) add(48 + noise(rng));
  CHECK(*f.value() == Approx(48).margin(0.06));
  // … one wild reading followed by the old level is a glitch: the average comes back.
  double before = *f.value();
  add(45);
  add(48);
  CHECK(*f.value() == Approx(before).margin(0.02));
  CHECK(f.steps() == 1);
}
