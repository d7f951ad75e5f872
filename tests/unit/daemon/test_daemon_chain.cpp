// The whole conductor chain in fake time: the realtime simulation backend (on fake host clocks)
// → conductor → the real discipline engine → PHC commands, chronyd samples and clock quality,
// driven the way daemon.cpp's loop drives it (readiness of the backend's fds, a 1 s tick), but
// without sleeping: the fake clocks jump to the next simulated event.
#include <catch2/catch.hpp>

#include <poll.h>

#include <algorithm>
#include <cmath>

#include "daemon/conductor.hpp"
#include "daemon/sim_backend.hpp"
#include "discipline/engine.hpp"
#include "fakes.hpp"
#include "sim/profile.hpp"
#include "sim/simulation.hpp"

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

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return fd >= 0 && poll(&p, 1, 0) == 1;
}

}  // namespace

TEST_CASE("simulated hardware + real engine: tracking, samples = system offset, holdover",
          "[unit]") {
  FakeClocks clocks;
  const sim::Profile profile = sim::parse_profile(kProfile, "chain.toml");
  RealtimeSim sim(profile, profile.sim.seed, clocks, 500000);
  auto engine = discipline::make_engine(sim::engine_config(profile, "kalman"));
  FakeChrony chrony;
  FakePublisher ptp4l;
  Conductor c(*engine, sim, clocks, &chrony, &ptp4l, ConductorOptions{});
  c.start();

  std::int64_t next_tick = clocks.mono + kS;
  std::vector<std::uint8_t> classes;
  const std::int64_t end = sim.mono_t0_ns() + 100 * kS;
  std::size_t samples_at_outage = 0;
  while (clocks.mono < end) {
    const std::int64_t next = std::min(next_tick, sim.next_event_mono_ns());
    clocks.advance(std::max<std::int64_t>(next - clocks.mono, 0) + 1'000'000);  // loop latency
    sim.sync();
    if (readable(sim.poll_fd())) c.on_extts_readable();
    if (readable(sim.tod().fd())) c.on_tod_events(sim.tod().read_events(clocks.mono));
    if (readable(sim.link().fd())) {
      if (auto up = sim.link().read_change()) c.on_carrier(*up);
    }
    if (clocks.mono >= next_tick) {
      c.on_tick(std::nullopt);
      next_tick += kS;
    }
    if (c.quality() && (classes.empty() || classes.back() != c.quality()->clock_class)) {
      classes.push_back(c.quality()->clock_class);
    }
    if (samples_at_outage == 0 && clocks.mono >= sim.mono_t0_ns() + 60 * kS) {
      samples_at_outage = chrony.samples.size();
      REQUIRE(engine->status().state == discipline::LockState::tracking);
      CHECK(std::abs(sim.true_phc_error_ns()) < 100);
    }
  }
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
