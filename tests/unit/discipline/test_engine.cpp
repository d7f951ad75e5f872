// The engine end to end in a small deterministic world: a PHC with a frequency error (and
// optional noise), a receiver, EXTTS delivery, gpsd messages and a 1 s tick, all in simulated
// time. Commands are applied at the instant of the event that produced them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <set>
#include <vector>

#include "discipline/engine.hpp"

using namespace nanotime::discipline;

namespace {
constexpr std::int64_t kS = 1000000000;
constexpr std::int64_t kMono0 = 777 * kS;

struct World {
  EngineConfig config;
  std::unique_ptr<Engine> engine;
  // Truth.
  std::int64_t start_utc_s = 1798675200;   // 2027-01-01 (any)
  int tai_utc_s = 37;
  std::optional<std::int64_t> leap_boundary_utc;  // a leap is inserted before this UTC midnight
  std::int64_t phc_int_ns = 0;   // PHC − TAI, integer part (steps land here)
  double phc_frac_ns = 0;        // and the rest
  double osc_ppb = 0;            // oscillator's own frequency error
  double adj_ppb = 0;
  double white_fm_ppb = 0, rw_fm_ppb = 0, meas_sd_ns = 0;
  double step_error_ns = 0;
  double cable_ns = 0;
  std::optional<double> qerr_ns;  // constant qErr (pulse leaves late by it), reported
  double extts_delays[4] = {0.05, 0.2, 0.12, 0.24};
  double tod_delay_s = 0.35;
  std::mt19937_64 rng{1};
  std::int64_t t_ns = 0;          // true time since start
  // Scenario hooks, by pulse index k.
  std::function<bool(std::int64_t)> pulse_present = [](std::int64_t) { return true; };
  std::function<double(std::int64_t)> pulse_extra_ns = [](std::int64_t) { return 0.0; };
  std::function<std::int64_t(std::int64_t)> tod_wrong_s = [](std::int64_t) { return 0; };
  // Records.
  std::vector<double> true_error;          // at each edge
  std::vector<std::uint8_t> clock_class;   // at each edge
  std::vector<double> bound;               // at each edge
  std::vector<ClockQuality> qualities;
  std::vector<PulseMeasurement> pulses;
  std::vector<std::pair<double, ChronySample>> chrony;  // (|claimed − true| ns, sample)
  std::vector<double> chrony_err;
  std::int64_t steps = 0;

  double gauss(double sd) { return sd > 0 ? std::normal_distribution<double>(0, sd)(rng) : 0.0; }
  std::int64_t tai0() const { return start_utc_s + tai_utc_s; }
  double phc_err() const { return static_cast<double>(phc_int_ns) + phc_frac_ns; }
  int true_tai_utc(std::int64_t tai_s) const {
    return leap_boundary_utc && tai_s >= *leap_boundary_utc + tai_utc_s ? tai_utc_s + 1 : tai_utc_s;
  }

  void make() { engine = make_engine(config); }
  void advance(std::int64_t to_ns) {
    double dt = static_cast<double>(to_ns - t_ns) * 1e-9;
    phc_frac_ns += (osc_ppb + adj_ppb) * dt;
    t_ns = to_ns;
  }
  void apply(const Output& o) {
    if (o.step) {
      ++steps;
      phc_int_ns += o.step->delta_ns;
      phc_frac_ns += step_error_ns;
    }
    if (o.frequency) adj_ppb = o.frequency->freq_ppb;
    if (o.quality) qualities.push_back(*o.quality);
    if (o.pulse) pulses.push_back(*o.pulse);
    if (o.chrony) {
      // The daemon reads the PHC now and claims UTC = phc − phc_minus_tai − TAI−UTC.
      std::int64_t tai_s = tai0() + t_ns / kS;
      double err = phc_err() - o.chrony->phc_minus_tai_ns +
                   static_cast<double>(o.chrony->tai_utc_s - true_tai_utc(tai_s)) * 1e9;
      chrony.emplace_back(std::fabs(err), *o.chrony);
    }
  }
  void feed(std::int64_t at_ns, const Event& ev) {
    advance(at_ns);
    apply(engine->handle(ev));
  }

  // One second: pulse k at true time k s.
  void second(std::int64_t k) {
    struct Ev {
      std::int64_t at;
      Event ev;
    };
    std::vector<Ev> evs;
    const std::int64_t edge = k * kS;
    const std::int64_t tai_s = tai0() + k;
    const int off = true_tai_utc(tai_s);
    const std::int64_t utc_s = tai_s - off + tod_wrong_s(k);
    if (pulse_present(k)) {
      if (qerr_ns) evs.push_back({edge - 20000000, PulseReport{utc_s, kMono0 + edge, qerr_ns}});
      // The edge reaches the pin qerr + cable late; the PHC reading is truncated to 1 ns.
      double late = qerr_ns.value_or(0) + cable_ns + pulse_extra_ns(k);
      advance(edge);
      true_error.push_back(phc_err());
      clock_class.push_back(engine->status().quality.clock_class);
      bound.push_back(engine->status().error_bound_ns);
      double reading = phc_err() + late + gauss(meas_sd_ns);
      std::int64_t phc = tai_s * kS + phc_int_ns + static_cast<std::int64_t>(std::floor(phc_frac_ns + late + gauss(meas_sd_ns)));
      (void)reading;
      std::int64_t d = static_cast<std::int64_t>(extts_delays[k % 4] * 1e9);
      evs.push_back({edge + d, ExttsEvent{phc, kMono0 + edge + d}});
    } else {
      advance(edge);
      true_error.push_back(phc_err());
      clock_class.push_back(engine->status().quality.clock_class);
      bound.push_back(engine->status().error_bound_ns);
    }
    TimeReport tr;
    tr.utc_s = utc_s;
    tr.tai_utc_s = off;
    if (leap_boundary_utc && utc_s >= *leap_boundary_utc - 86400 && utc_s < *leap_boundary_utc - 1) {
      tr.leap = LeapWarning::insert;
    }
    std::int64_t tod_at = edge + static_cast<std::int64_t>(tod_delay_s * 1e9);
    tr.arrival_mono_ns = kMono0 + tod_at;
    evs.push_back({tod_at, tr});
    evs.push_back({edge + kS / 2, Tick{kMono0 + edge + kS / 2}});
    std::stable_sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) { return a.at < b.at; });
    for (auto& e : evs) feed(e.at, e.ev);
    osc_ppb += gauss(rw_fm_ppb);
    phc_frac_ns += gauss(white_fm_ppb);  // white FM: the phase of the coming second
  }
  void run(std::int64_t from_k, std::int64_t to_k) {
    for (std::int64_t k = from_k; k < to_k; ++k) second(k);
  }
};
}  // namespace

TEST_CASE("measurement: offset = PHC − label − qErr − cable, label from the report's TAI − UTC",
          "[unit][engine]") {
  World w;
  w.config.cable_delay_ns = 50;
  w.config.tai_utc_s = 30;       // fallback only: the receiver says 37
  w.qerr_ns = 4.0;               // this pulse left the receiver 4 ns late
  w.cable_ns = 50;
  w.phc_int_ns = 300;            // PHC 300 ns ahead of TAI: no step needed (< 20 µs)
  w.make();
  w.run(0, 3);
  REQUIRE(w.pulses.size() >= 2);
  // Pulses 0 and 1 are released together (a consistent pair); an Output describes the last.
  // Pulse 1 (TAI second start + 1 + 37): the PHC read TAI + 300 + 4 + 50 = …354 ns.
  // offset = 354 − 4 − 50 + 0.5 (truncation: the edge came on average half a tick later)
  CHECK(w.pulses[0].tai_s == w.start_utc_s + 1 + 37);
  CHECK(w.pulses[0].offset_ns == Approx(300.5).margin(1e-9));
  CHECK(w.steps == 0);
}

TEST_CASE("cold start: one step, locked (< 100 ns) within 15 s, chrony only when tracking",
          "[unit][engine]") {
  World w;
  w.phc_int_ns = 1500000000LL * kS;   // PHC counts from the wrong epoch
  w.osc_ppb = 13400;
  w.step_error_ns = 1700;             // CM4 steps land µs off
  w.meas_sd_ns = 6;
  w.white_fm_ppb = 2;
  w.rw_fm_ppb = 0.5;
  w.make();
  w.run(0, 200);
  CHECK(w.steps == 1);
  std::size_t lock = w.true_error.size();
  for (std::size_t i = 0; i + 60 < w.true_error.size(); ++i) {
    bool ok = true;
    for (std::size_t j = i; j < i + 60; ++j) ok = ok && std::fabs(w.true_error[j]) < 100;
    if (ok) {
      lock = i;
      break;
    }
  }
  CHECK(lock <= 15);
  CHECK(w.engine->status().state == LockState::tracking);
  CHECK(w.engine->status().quality.clock_class == 6);
  REQUIRE_FALSE(w.chrony.empty());
  for (auto& [err, s] : w.chrony) CHECK(err < 100);
  // Qualities are emitted only on change, starting from "unknown" (248).
  for (std::size_t i = 1; i < w.qualities.size(); ++i) CHECK_FALSE(w.qualities[i] == w.qualities[i - 1]);
  REQUIRE_FALSE(w.qualities.empty());
  CHECK(w.qualities.back().clock_class == 6);
  CHECK(w.qualities.back().time_traceable);
  CHECK(w.qualities.back().clock_accuracy <= 0x22);
  CHECK(w.qualities.back().offset_scaled_log_variance < 0x8000);
}

TEST_CASE("holdover: class 6 → 7 → 52 at the times a hand-set oscillator model gives",
          "[unit][engine]") {
  World w;
  w.config.oscillator_model = nanotime::servo::NoiseModel{25, 4, 0.01};
  w.meas_sd_ns = 3;
  w.osc_ppb = 200;
  const std::int64_t cut = 600;
  w.pulse_present = [&](std::int64_t k) { return k < cut || k >= cut + 400; };
  w.make();
  w.run(0, cut + 600);
  // With R = 25, q1 = 4, q2 = 0.01 the steady-state covariance is P00 = 8.97, P01 = 0.400,
  // P11 = 0.219 (hand-iterated Riccati); bound(t) = 3·√(P00 + 2·P01·t + P11·t² + q1·t +
  // q2·t³/3 + 10²) reaches 1 µs at t ≈ 300 s after the last pulse (published 1 s ahead).
  const std::size_t last = cut - 1;
  CHECK(w.clock_class[last] == 6);
  CHECK(w.clock_class[last + 2] == 6);       // a lost pulse or two is not holdover
  CHECK(w.clock_class[last + 10] == 7);
  CHECK(w.clock_class[last + 290] == 7);
  CHECK(w.clock_class[last + 305] == 52);
  CHECK(w.clock_class[last + 399] == 52);
  CHECK(w.bound[last + 100] == Approx(3 * std::sqrt(8.97 + 2 * 0.4 * 101 + 0.219 * 101 * 101 +
                                                     4 * 101 + 0.01 * 101 * 101 * 101 / 3 + 100))
                                   .epsilon(0.05));
  // Chrony got samples during holdover within bound (ticks), none after.
  std::size_t in_holdover = 0;
  for (auto& [err, s] : w.chrony) {
    CHECK(s.error_bound_ns < 1000);
    if (s.error_bound_ns > 100) ++in_holdover;
  }
  CHECK(in_holdover > 100);
  // Pulses back: tracking again, without a step.
  CHECK(w.clock_class.back() == 6);
  CHECK(w.steps == 0);
}

namespace {
// Fraction of outage seconds where |true error| ≤ published bound, over several runs.
double holdover_coverage(double bound_sigmas) {
  std::size_t in = 0, n = 0;
  for (int seed = 1; seed <= 12; ++seed) {
    World w;
    w.rng.seed(static_cast<std::uint64_t>(seed));
    w.config.bound_sigmas = bound_sigmas;
    w.meas_sd_ns = 5;
    w.white_fm_ppb = 2;
    w.rw_fm_ppb = 0.3;
    w.osc_ppb = -500;
    const std::int64_t cut = 1500;
    w.pulse_present = [&](std::int64_t k) { return k < cut; };
    w.make();
    w.run(0, cut + 600);
    for (std::size_t i = cut; i < w.true_error.size(); ++i) {
      ++n;
      in += std::fabs(w.true_error[i]) <= w.bound[i] ? 1 : 0;
    }
  }
  return static_cast<double>(in) / static_cast<double>(n);
}
}  // namespace

TEST_CASE("holdover bound is honest (≥ 95 % coverage), and a too tight one is caught",
          "[unit][engine]") {
  CHECK(holdover_coverage(3) >= 0.95);
  // The same check must fail for a bound a third as wide: the test has teeth.
  CHECK(holdover_coverage(0.3) < 0.95);
}

TEST_CASE("outliers and a wrong-second receiver never reach chrony", "[unit][engine]") {
  World w;
  w.meas_sd_ns = 5;
  w.osc_ppb = 1000;
  w.pulse_extra_ns = [](std::int64_t k) { return k == 300 ? -3000.0 : k == 400 ? 800.0 : 0.0; };
  w.tod_wrong_s = [](std::int64_t k) -> std::int64_t { return k >= 500 && k < 560 ? 1 : 0; };
  w.make();
  w.run(0, 700);
  std::size_t outliers = 0;
  for (const auto& p : w.pulses) {
    outliers += p.outlier ? 1 : 0;
    if (p.used) CHECK(std::fabs(p.offset_ns) < 1e6);   // never a second off
  }
  CHECK(outliers >= 2);
  for (auto& [err, s] : w.chrony) CHECK(err < 1000);
  auto st = w.engine->status();
  CHECK(st.label_disagreements >= 55);
  CHECK(st.outliers_rejected >= 2);
  for (std::size_t k = 620; k < 700; ++k) CHECK(std::fabs(w.true_error[k]) < 100);
}

TEST_CASE("leap second: flag only on the leap day, TAI − UTC switches, PHC undisturbed",
          "[unit][engine]") {
  World w;
  const std::int64_t boundary = 1798761600;   // 2027-01-01T00:00:00Z
  w.start_utc_s = boundary - 600;             // 23:50 on the leap day
  w.leap_boundary_utc = boundary;
  w.meas_sd_ns = 3;
  w.make();
  w.run(0, 1200);
  CHECK(w.steps == 0);
  std::size_t before = 0, after = 0, in_leap_second = 0;
  for (auto& [err, s] : w.chrony) {
    CHECK(err < 100);   // UTC claimed right across the leap (the TAI − UTC is checked too)
    if (s.tai_utc_s == 37) {
      ++before;
      CHECK(s.leap == LeapWarning::insert);
    } else {
      ++after;
      CHECK(s.tai_utc_s == 38);
      // Only during the inserted second itself (named 23:59:59 again) may the flag remain.
      if (s.leap != LeapWarning::none) ++in_leap_second;
    }
  }
  CHECK(before > 500);
  CHECK(after > 500);
  CHECK(in_leap_second <= 2);
  for (std::size_t k = 550; k < 650; ++k) CHECK(std::fabs(w.true_error[k]) < 100);
}
