// The simulator's models on their own, against closed forms and textbook statistics
// (so the simulator cannot silently share a bug with the engine it judges).
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>
#include <vector>

#include "sim/links.hpp"
#include "sim/phc.hpp"
#include "sim/receiver.hpp"
#include "sim/temperature.hpp"
#include "sim/timescale.hpp"

using namespace nanotime::sim;

namespace {
constexpr std::int64_t kNs = 1000000000;

// Overlapping Allan deviation of per-second fractional frequencies y (ppb) at τ = m seconds.
double adev(const std::vector<double>& y, std::size_t m) {
  std::vector<double> x(y.size() + 1, 0.0);  // phase (ns)
  for (std::size_t i = 0; i < y.size(); ++i) x[i + 1] = x[i] + y[i];
  double sum = 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i + 2 * m < x.size(); ++i) {
    const double d2 = x[i + 2 * m] - 2 * x[i + m] + x[i];
    sum += d2 * d2;
    ++n;
  }
  const double tau = static_cast<double>(m);
  return std::sqrt(sum / (2.0 * tau * tau * static_cast<double>(n)));
}

// Per-second average frequency (ppb) of a PHC, from its phase: what a counter would measure.
std::vector<double> measured_frequency(SimulatedPhc& phc, std::size_t seconds) {
  std::vector<double> y;
  double last = phc.error_ns();
  for (std::size_t k = 1; k <= seconds; ++k) {
    phc.advance_to(static_cast<std::int64_t>(k) * kNs);
    const double now = phc.error_ns();
    y.push_back(now - last);
    last = now;
  }
  return y;
}

double variance(const std::vector<double>& v) {
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double s = 0;
  for (double x : v) s += (x - mean) * (x - mean);
  return s / static_cast<double>(v.size());
}
}  // namespace

TEST_CASE("a free-running PHC with a frequency offset: edges at initial + k(1+f)·1e9, floored",
          "[unit]") {
  PhcSection c;
  c.initial_offset_s = 0.25;
  c.freq_offset_ppb = 13400;
  c.resolution_ns = 8;
  SimulatedPhc phc(c, 1);
  const std::int64_t tai0 = (1767225600LL + 37) * kNs;
  for (std::int64_t k = 1; k <= 1000; k += 37) {
    phc.advance_to(k * kNs);
    // Hand computation: PHC = TAI + 0.25 s + 13400 ns per second; floored to 8 ns.
    const std::int64_t exact = tai0 + k * kNs + 250000000 + 13400 * k;
    CHECK(phc.read_ns(tai0 + k * kNs) == exact / 8 * 8);
    CHECK(phc.error_ns() == 250000000.0 + 13400.0 * static_cast<double>(k));
  }
}

TEST_CASE("readings floor to the resolution grid, also for negative offsets and sub-ns instants",
          "[unit]") {
  PhcSection c;
  c.resolution_ns = 8;
  c.initial_offset_s = 13e-9;
  SimulatedPhc plus(c, 1);
  CHECK(plus.read_ns(1000000000000) == 1000000000008);   // 1e12 + 13 → 1e12 + 8
  CHECK(plus.read_ns(1000000000000, 0.5) == 1000000000008);
  c.initial_offset_s = -13e-9;
  SimulatedPhc minus(c, 1);
  CHECK(minus.read_ns(1000000000000) == 1000000000000 - 16);  // 1e12 − 13 → 1e12 − 16
  c.initial_offset_s = 0;
  c.resolution_ns = 1;
  SimulatedPhc fine(c, 1);
  CHECK(fine.read_ns(5000, 0.999) == 5000);
  fine.step(-1);
  CHECK(fine.read_ns(5000, 0.5) == 4999);
}

TEST_CASE("frequency commands are absolute, clamped and applied from that instant", "[unit]") {
  PhcSection c;
  c.freq_offset_ppb = 500;
  c.max_adj_ppb = 100000;
  SimulatedPhc phc(c, 1);
  phc.advance_to(2 * kNs + kNs / 2);                 // 2.5 s at +500 ppb
  CHECK(phc.error_ns() == Approx(1250.0).margin(1e-9));
  CHECK(phc.set_frequency(1000) == Approx(1000).margin(1e-9));  // 65536 scaled ppm exactly
  phc.advance_to(4 * kNs + kNs / 2);                 // 2 s at +1500 ppb
  CHECK(phc.error_ns() == Approx(1250.0 + 3000.0).margin(1e-6));
  CHECK(phc.set_frequency(-5e6) == Approx(-100000));
  CHECK(phc.set_frequency(0.005) == 0.0);            // below 1/131 ppb rounds to 0
}

TEST_CASE("steps move the PHC by delta plus a bounded uniform error", "[unit]") {
  PhcSection c;
  c.initial_offset_s = 1.5e9;
  SimulatedPhc exact(c, 1);
  exact.step(-1500000000000000000);
  CHECK(exact.error_ns() == 0.0);
  c.initial_offset_s = 0;
  c.step_error_ns = 2000;
  SimulatedPhc loose(c, 3);
  double sum = 0, worst = 0, last = 0;
  for (int i = 0; i < 4000; ++i) {
    loose.step(0);
    const double e = loose.error_ns() - last;
    last = loose.error_ns();
    sum += e;
    worst = std::max(worst, std::abs(e));
  }
  CHECK(worst <= 2000);
  CHECK(worst > 1900);
  CHECK(std::abs(sum / 4000) < 60);  // uniform ±2000: sd of the mean 18 ns
}

TEST_CASE("aging integrates exactly: phase = a/86400·t²/2", "[unit]") {
  PhcSection c;
  c.aging_ppb_per_day = 86.4;  // 1e-3 ppb/s
  SimulatedPhc phc(c, 1);
  phc.advance_to(1000 * kNs + 123);
  const double t = 1000.000000123;
  CHECK(phc.error_ns() == Approx(1e-3 * t * t / 2).epsilon(1e-9));
}

TEST_CASE("temperature changes the frequency by coeff × (T − mean)", "[unit]") {
  TemperatureSection t;
  t.present = true;
  t.mean_c = 45;
  t.steps = {{100, 8}};
  TemperatureModel temp(t, {}, 1);
  PhcSection c;
  c.temp_coeff_ppb_per_c = -60;
  SimulatedPhc phc(c, 1, 45, [&](double s) { return temp.true_c(s); });
  phc.advance_to(100 * kNs);
  CHECK(phc.error_ns() == 0.0);
  phc.advance_to(110 * kNs);
  CHECK(phc.error_ns() == Approx(-480.0 * 10));
  CHECK(temp.true_c(99.9) == 45);
  CHECK(temp.true_c(100) == 53);
}

TEST_CASE("white FM: sd of the 1 s frequency is σ and the Allan deviation falls as σ/√τ",
          "[unit]") {
  PhcSection c;
  c.white_fm_ppb = 2.8;
  SimulatedPhc phc(c, 11);
  const auto y = measured_frequency(phc, 200000);
  CHECK(std::sqrt(variance(y)) == Approx(2.8).epsilon(0.02));
  for (std::size_t tau : {1u, 10u, 100u}) {
    CHECK(adev(y, tau) == Approx(2.8 / std::sqrt(static_cast<double>(tau))).epsilon(0.08));
  }
}

TEST_CASE("flicker FM: the Allan deviation is flat at flicker_fm_ppb", "[unit]") {
  PhcSection c;
  c.flicker_fm_ppb = 1.3;
  for (std::uint64_t seed : {5u, 6u}) {
    SimulatedPhc phc(c, seed);
    const auto y = measured_frequency(phc, 300000);
    for (std::size_t tau : {4u, 16u, 64u, 256u, 1024u}) {
      INFO("seed " << seed << " tau " << tau);
      CHECK(adev(y, tau) == Approx(1.3).epsilon(0.25));
    }
  }
}

TEST_CASE("random-walk FM: the frequency variance grows as n·σ²", "[unit]") {
  PhcSection c;
  c.random_walk_fm_ppb_per_sqrt_s = 0.8;
  std::vector<double> at100, at400;
  for (std::uint64_t seed = 1; seed <= 1500; ++seed) {
    SimulatedPhc phc(c, seed);
    CHECK(phc.random_walk_fm_ppb() == 0.0);
    phc.advance_to(100 * kNs);
    at100.push_back(phc.random_walk_fm_ppb());
    phc.advance_to(400 * kNs);
    at400.push_back(phc.random_walk_fm_ppb());
  }
  CHECK(variance(at100) == Approx(100 * 0.64).epsilon(0.12));
  CHECK(variance(at400) == Approx(400 * 0.64).epsilon(0.12));
}

TEST_CASE("sawtooth stays within ±pp/2, is uniform, and qErr reports it", "[unit]") {
  GnssSection g;
  g.sawtooth_pp_ns = 21;
  g.qerr = true;
  SimulatedReceiver exact(g, 2);
  std::vector<double> s;
  for (std::int64_t k = 1; k <= 50000; ++k) {
    const PulseError p = exact.next(k);
    REQUIRE(std::abs(p.sawtooth_ns) <= 10.5);
    REQUIRE(p.qerr_ns.has_value());
    REQUIRE(*p.qerr_ns == p.sawtooth_ns);           // no residual: qErr is the sawtooth
    REQUIRE(p.edge_error_ns == p.sawtooth_ns);      // and the only edge error
    s.push_back(p.sawtooth_ns);
  }
  CHECK(variance(s) == Approx(21.0 * 21.0 / 12).epsilon(0.03));
  g.qerr_residual_ns = 0.5;
  SimulatedReceiver residual(g, 2);
  std::vector<double> r;
  for (std::int64_t k = 1; k <= 50000; ++k) {
    const PulseError p = residual.next(k);
    r.push_back(p.edge_error_ns - *p.qerr_ns);       // what remains after the correction
  }
  CHECK(std::sqrt(variance(r)) == Approx(0.5).epsilon(0.03));
  g.qerr = false;
  SimulatedReceiver none(g, 2);
  CHECK_FALSE(none.next(1).qerr_ns.has_value());
}

TEST_CASE("AR(1) phase wander: variance σ² and lag-1 correlation exp(−1/τ)", "[unit]") {
  GnssSection g;
  g.ar1 = {{10, 3}};
  SimulatedReceiver rx(g, 4);
  std::vector<double> e;
  for (std::int64_t k = 1; k <= 300000; ++k) e.push_back(rx.next(k).edge_error_ns);
  const double var = variance(e);
  CHECK(var == Approx(9).epsilon(0.05));
  double c1 = 0;
  for (std::size_t i = 1; i < e.size(); ++i) c1 += e[i] * e[i - 1];
  c1 /= static_cast<double>(e.size() - 1);
  CHECK(c1 / var == Approx(std::exp(-0.1)).margin(0.01));
}

TEST_CASE("sinusoids and white jitter add to the edge error", "[unit]") {
  GnssSection g;
  g.sinusoid = {{400, 7.5}};
  SimulatedReceiver rx(g, 1);
  CHECK(rx.next(100).edge_error_ns == Approx(7.5));    // a quarter period
  CHECK(rx.next(200).edge_error_ns == Approx(0).margin(1e-9));
  g.sinusoid.clear();
  g.jitter_ns = 0.24;
  SimulatedReceiver j(g, 1);
  std::vector<double> e;
  for (std::int64_t k = 1; k <= 50000; ++k) e.push_back(j.next(k).edge_error_ns);
  CHECK(std::sqrt(variance(e)) == Approx(0.24).epsilon(0.03));
}

TEST_CASE("EXTTS delivery delays stay in range; losses happen with probability p", "[unit]") {
  ExttsSection x;
  x.delivery_delay_min_s = 0.0005;
  x.delivery_delay_max_s = 0.002;
  x.loss_probability = 0.14;
  ExttsChannel ch(x, 9);
  int lost = 0;
  double lo = 1, hi = 0;
  for (int i = 0; i < 40000; ++i) {
    const Delivery d = ch.next();
    lo = std::min(lo, d.delay_s);
    hi = std::max(hi, d.delay_s);
    lost += d.lost ? 1 : 0;
  }
  CHECK(lo >= 0.0005);
  CHECK(lo < 0.00051);
  CHECK(hi <= 0.002);
  CHECK(hi > 0.00199);
  CHECK(lost / 40000.0 == Approx(0.14).margin(0.006));  // 3.5 sd
}

TEST_CASE("ToD delays: mean delay_s, sd jitter_s, never before the edge", "[unit]") {
  TodSection t;
  t.delay_s = 0.35;
  t.jitter_s = 0.05;
  t.loss_probability = 0.01;
  TodChannel ch(t, 3);
  std::vector<double> d;
  int lost = 0;
  for (int i = 0; i < 40000; ++i) {
    const Delivery x = ch.next();
    d.push_back(x.delay_s);
    lost += x.lost ? 1 : 0;
  }
  CHECK(std::accumulate(d.begin(), d.end(), 0.0) / 40000 == Approx(0.35).margin(0.002));
  CHECK(std::sqrt(variance(d)) == Approx(0.05).epsilon(0.03));
  CHECK(lost / 40000.0 == Approx(0.01).margin(0.002));
  t.jitter_s = 1;
  TodChannel wild(t, 3);
  for (int i = 0; i < 1000; ++i) REQUIRE(wild.next().delay_s >= TodChannel::kMinDelayS);
}

TEST_CASE("timescale: TAI = utc_s + tai_utc_s across a leap second, announced 12 h ahead",
          "[unit]") {
  // 2026-12-31T12:00:00Z = 1798718400; the leap second ends 2026-12-31 (POSIX P = 1798761600).
  const std::int64_t start = 1798718400, p = 1798761600;
  Timescale ts(start, 37, p - 86400);
  REQUIRE(ts.leap_tai_s() == p + 37);
  std::int64_t prev_utc = 0;
  for (std::int64_t k = 0; k < 86400; ++k) {
    const std::int64_t tai = ts.tai_s_of_pulse(k);
    REQUIRE(tai == start + 37 + k);
    const UtcLabel l = ts.label(tai);
    REQUIRE(l.utc_s + l.tai_utc_s == tai);
    if (k > 0) REQUIRE(l.utc_s - prev_utc == (tai == p + 37 ? 0 : 1));
    REQUIRE(l.leap_pending == (tai < p + 37 && tai >= p + 37 - 43200));
    prev_utc = l.utc_s;
  }
  // The inserted second is named 23:59:59 again, with TAI − UTC = 38 already (kernel style).
  CHECK(ts.label(p + 37).utc_s == p - 1);
  CHECK(ts.label(p + 37).tai_utc_s == 38);
  CHECK(ts.label(p + 36).utc_s == p - 1);
  CHECK(ts.label(p + 36).tai_utc_s == 37);
  CHECK(ts.label(p + 38).utc_s == p);
  CHECK(ts.in_leap_second((p + 37) * 1000000000 + 5));
  CHECK_FALSE(ts.in_leap_second((p + 38) * 1000000000));
  CHECK(ts.tai_utc_at((p + 37) * 1000000000 - 1) == 37);
}

TEST_CASE("random streams are independent of each other and reproducible", "[unit]") {
  Rng a(1, Stream::gnss_jitter), b(1, Stream::gnss_jitter), c(1, Stream::gnss_sawtooth),
      d(2, Stream::gnss_jitter);
  const double x = a.gaussian();
  CHECK(x == b.gaussian());
  CHECK(x != c.gaussian());
  CHECK(x != d.gaussian());
}
