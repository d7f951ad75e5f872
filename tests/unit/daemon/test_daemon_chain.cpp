// The whole conductor chain in fake time: the simulated world on fake host clocks (as the
// daemon's realtime backend runs it) → conductor → the real discipline engine → PHC commands,
// chronyd samples and clock quality, driven by sim::drive() the way daemon.cpp's loop drives it
// (a handler per ready source, a 1 s tick), but without sleeping: the fake clocks jump to the
// next simulated instant, 1 ms late (the loop's latency).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "conductor/conductor.hpp"
#include "discipline/engine.hpp"
#include "fakes.hpp"
#include "sim/profile.hpp"
#include "sim/simulation.hpp"
#include "sim/world.hpp"

using namespace nanotime;
using namespace nanotime::ppsd;
using namespace nanotime::ppsd::test;

namespace {

constexpr std::int64_t kS = 1'000'000'000;

const char* kProfile = R"([sim]
seed = 3
system_offset_s = -0.000456
[phc]
initial_offset_s = 1.5
freq_offset_ppb = 13400
white_fm_ppb = 2.8
flicker_fm_ppb = 1.3
random_walk_fm_ppb_per_sqrt_s = 0.8
resolution_ns = 8
step_error_ns = 2000
[gnss]
jitter_ns = 0.2
sawtooth_pp_ns = 7.86
[extts]
delivery_delay_s = [0.0, 0.25]
[tod]
delay_s = 0.2
jitter_s = 0.02
[[faults.pps_outage]]
start_s = 60
duration_s = 20
)";

// Every clockClass the conductor passed on, in order (changes only).
struct ClassLog final : conductor::ConductorObserver {
  std::vector<std::uint8_t> classes;
  void applied(const d::Output& out, std::int64_t) override {
    if (out.quality && (classes.empty() || classes.back() != out.quality->clock_class)) {
      classes.push_back(out.quality->clock_class);
    }
  }
};

}  // namespace

TEST_CASE("simulated hardware + real engine: tracking, samples = system offset, holdover",
          "[unit]") {
  FakeClocks clocks;
  const sim::Profile profile = sim::parse_profile(kProfile, "chain.toml");
  sim::WorldOptions wo;
  wo.max_freq_ppb = 500000;
  wo.last_pulse = 100;
  sim::World sim(profile, profile.sim.seed, clocks, wo);
  auto engine = discipline::make_engine(sim::engine_config(profile, "kalman"));
  FakeChrony chrony;
  FakePublisher ptp4l;
  Conductor c(*engine, sim, clocks, &chrony, &ptp4l, ConductorOptions{});
  ClassLog log;
  c.set_observer(&log);
  c.start();

  std::size_t samples_at_outage = 0;
  sim::DriveOptions o;
  o.duration_s = 100;
  o.wait_until = [&](std::int64_t mono_ns) {
    clocks.advance(std::max<std::int64_t>(mono_ns - clocks.mono, 0) + 1'000'000);
  };
  o.on_second = [&](std::int64_t k) {
    if (k != 60) return;
    samples_at_outage = chrony.samples.size();
    REQUIRE(engine->status().state == discipline::LockState::tracking);
    CHECK(std::abs(sim.true_phc_error_ns()) < 100);
  };
  sim::drive(sim, c, o);
  const std::vector<std::uint8_t>& classes = log.classes;
  INFO("clock classes: " << [&] {
    std::string s;
    for (auto k : classes) s += std::to_string(k) + " ";
    return s;
  }());
  // Tracking before the outage, holdover (7) during it, tracking again after.
  REQUIRE(std::find(classes.begin(), classes.end(), 6) != classes.end());
  CHECK(std::find(classes.begin(), classes.end(), 7) != classes.end());
  CHECK(classes.back() == 6);
  CHECK(c.counters().steps == 1);
  REQUIRE(samples_at_outage > 20);
  // Every sample says what chronyd must see: true − system = the profile's −456 µs.
  double worst = 0;
  for (std::size_t i = samples_at_outage / 2; i < chrony.samples.size(); ++i) {
    worst = std::max(worst, std::abs(chrony.samples[i].offset_ns - (-456'000.0)));
  }
  CHECK(worst < 1000);
  // One PHC read per sample at most (plus reads after edges whose sample came later).
  CHECK(c.counters().phc_reads <= c.counters().extts_events + 25);
  CHECK(ptp4l.wants.size() >= 3);
}
