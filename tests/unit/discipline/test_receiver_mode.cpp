// The receiver's time mode in the engine's bound (engine.hpp, receiver_wander.hpp): a hand-set
// oscillator model makes the tracking bound a known number, so the navigation term can be
// checked against figures worked out by hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "discipline/engine.hpp"
#include "discipline/receiver_wander.hpp"

using namespace nanotime::discipline;

namespace {
constexpr std::int64_t kS = 1000000000;
constexpr std::int64_t kMono0 = 555 * kS;
constexpr std::int64_t kUtc0 = 1798675200;

// A perfect PHC and receiver (no noise: the bound comes from the hand-set model only), pulses
// every second, the time message 0.3 s later, a tick at k + 0.5 s. `mode_at(k)` is sent just
// before pulse k when it is set.
struct Run {
  EngineConfig config;
  std::vector<std::optional<ReceiverTimeMode>> mode_at;
  std::vector<double> bound;  // after the tick of second k
  std::vector<ClockQuality> quality;
  std::vector<bool> limited;

  void go(std::int64_t seconds) {
    config.oscillator_model = nanotime::servo::NoiseModel{25, 4, 0.01};
    auto e = make_engine(config);
    double phc_err_ns = 0;
    for (std::int64_t k = 0; k < seconds; ++k) {
      const std::int64_t edge = kMono0 + k * kS;
      if (static_cast<std::size_t>(k) < mode_at.size() && mode_at[k]) {
        e->handle(ReceiverModeChange{edge - kS / 10, *mode_at[k]});
      }
      const std::int64_t tai_s = kUtc0 + 37 + k;
      const Output o = e->handle(ExttsEvent{tai_s * kS + std::llround(phc_err_ns), edge + kS / 20});
      if (o.step) phc_err_ns += static_cast<double>(o.step->delta_ns);
      TimeReport tr;
      tr.utc_s = kUtc0 + k;
      tr.tai_utc_s = 37;
      tr.arrival_mono_ns = edge + 3 * kS / 10;
      const Output o2 = e->handle(tr);
      if (o2.step) phc_err_ns += static_cast<double>(o2.step->delta_ns);
      e->handle(Tick{edge + kS / 2});
      const EngineStatus s = e->status();
      bound.push_back(s.error_bound_ns);
      quality.push_back(s.quality);
      limited.push_back(s.position_limited);
    }
  }
};

// Steady-state tracking with R = 25, q1 = 4, q2 = 0.01 (test_engine.cpp's hand-iterated
// Riccati: P00 = 8.97, P01 = 0.400, P11 = 0.219), predicted 1 s ahead (the bound looks one
// period ahead): P00 + 2·P01 + P11 + q1 + q2/3 = 13.99 ns², plus reference_sd² = 100.
constexpr double kTrackVar = 13.99 + 100;
double bound_with(double wander_ns) { return 3 * std::sqrt(kTrackVar + wander_ns * wander_ns); }
}  // namespace

TEST_CASE("navigation mode widens the bound by the wander in quadrature, class stays 6",
          "[unit][engine][receiver]") {
  Run fixed;
  fixed.mode_at.assign(400, std::nullopt);
  fixed.mode_at[0] = ReceiverTimeMode::fixed;
  fixed.go(400);
  Run nav;
  nav.config.receiver_navigation_wander_ns = 40;
  nav.mode_at.assign(400, std::nullopt);
  nav.mode_at[0] = ReceiverTimeMode::survey_in;
  nav.go(400);
  // Hand figures: 3·√113.99 = 32.0 ns (class 0x21, ≤ 100 ns); 3·√(113.99 + 1600) = 124.2 ns
  // (class 0x22, ≤ 250 ns).
  CHECK(fixed.bound[399] == Approx(32.03).epsilon(0.03));
  CHECK(nav.bound[399] == Approx(124.2).epsilon(0.03));
  CHECK(nav.bound[399] == Approx(bound_with(40)).epsilon(0.03));
  CHECK(fixed.quality[399].clock_accuracy == 0x21);
  CHECK(nav.quality[399].clock_accuracy == 0x22);
  CHECK(nav.quality[399].clock_class == 6);
  CHECK(nav.quality[399].time_traceable);
  CHECK(nav.limited[399]);
  CHECK_FALSE(fixed.limited[399]);
}

TEST_CASE("unknown mode (no watcher) changes nothing; fixed mode neither",
          "[unit][engine][receiver]") {
  Run never;
  never.config.receiver_navigation_wander_ns = 40;
  never.go(300);
  Run fixed;
  fixed.config.receiver_navigation_wander_ns = 40;
  fixed.mode_at.assign(300, std::nullopt);
  fixed.mode_at[5] = ReceiverTimeMode::fixed;
  fixed.go(300);
  CHECK(never.bound[299] == Approx(32.03).epsilon(0.03));
  for (std::size_t k = 0; k < 300; ++k) CHECK(never.bound[k] == fixed.bound[k]);
}

TEST_CASE("survey ends: the term fades with receiver_settle_s; a lost watch keeps it",
          "[unit][engine][receiver]") {
  Run r;
  r.config.receiver_navigation_wander_ns = 40;
  r.config.receiver_settle_s = 100;
  r.mode_at.assign(1200, std::nullopt);
  r.mode_at[0] = ReceiverTimeMode::navigation;
  r.mode_at[300] = ReceiverTimeMode::unknown;  // watch lost: still counted as navigating
  r.mode_at[600] = ReceiverTimeMode::fixed;
  r.go(1200);
  CHECK(r.bound[450] == Approx(bound_with(40)).epsilon(0.03));
  CHECK(r.limited[450]);
  // Fixed 0.1 s before pulse 600; the bound at k + 0.5 s looks 1 s ahead: age = k − 600 + 1.4 s.
  CHECK(r.bound[700] == Approx(bound_with(40 * std::exp(-101.4 / 100))).epsilon(0.03));
  CHECK_FALSE(r.limited[700]);
  CHECK(r.bound[1199] == Approx(32.03).epsilon(0.03));
}

TEST_CASE("ReceiverWander: hand values", "[unit][engine][receiver]") {
  ReceiverWander w(10, 50);
  CHECK(w.sd_ns_at(0) == 0);
  CHECK(w.mode() == ReceiverTimeMode::unknown);
  w.on_mode(ReceiverTimeMode::unknown, 0);
  CHECK(w.sd_ns_at(kS) == 0);
  w.on_mode(ReceiverTimeMode::survey_in, kS);
  CHECK(w.sd_ns_at(99 * kS) == 10);
  w.on_mode(ReceiverTimeMode::fixed, 100 * kS);
  CHECK(w.sd_ns_at(100 * kS) == 10);
  CHECK(w.sd_ns_at(150 * kS) == Approx(10 * std::exp(-1.0)));
  CHECK(w.mode() == ReceiverTimeMode::fixed);
  w.on_mode(ReceiverTimeMode::navigation, 200 * kS);
  CHECK(w.sd_ns_at(1000 * kS) == 10);
}
