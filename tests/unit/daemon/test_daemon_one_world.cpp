// The one-world proof: the same profile and seed, run (a) in virtual time (as --simulate and
// servo-bench run it) and (b) in realtime on the host's clocks (as the daemon's --realtime
// backend runs it), through the same World, Conductor and engine, make the same decisions:
// the same steps, frequency commands, clock-quality changes, pulses used with the same labels,
// and the same chronyd samples, each as close to true UTC.
//
// Realtime takes ~25 s of wall time: this test is labelled `realtime`, not `unit`.
#include <catch2/catch.hpp>

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "conductor/conductor.hpp"
#include "daemon/io.hpp"
#include "discipline/engine.hpp"
#include "sim/profile.hpp"
#include "sim/simulation.hpp"
#include "sim/world.hpp"

using namespace nanotime;

namespace {

namespace d = nanotime::discipline;
constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kDurationS = 25;

// Noisy enough that every decision depends on the draws; a PPS outage for holdover (clockClass
// 7) and a return; a system clock 456 µs off true time.
const char* kProfile = R"([sim]
seed = 7
system_offset_s = -0.000456
[phc]
initial_offset_s = 0.3
freq_offset_ppb = 2500
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
start_s = 14
duration_s = 5
)";

struct PulseDecision {
  std::int64_t k = 0;  // the engine's label − the start's TAI second
  bool used = false;
  bool outlier = false;
  double offset_ns = 0;
};

// Everything the conductor did, with the mono time (from t = 0) at which it did it.
struct Decisions final : conductor::ConductorObserver {
  const sim::World* world = nullptr;
  std::vector<std::int64_t> steps_ns;
  std::vector<double> freq_ppb;
  std::vector<std::int64_t> freq_at_ns;
  std::vector<std::uint8_t> classes;
  std::vector<PulseDecision> pulses;
  std::vector<double> chrony_error_ns;  // |claimed − true UTC|
  std::vector<std::int64_t> chrony_bracket_ns;  // of the PHC reading behind each sample

  void applied(const d::Output& out, std::int64_t now_mono_ns) override {
    if (out.step) steps_ns.push_back(out.step->delta_ns);
    if (out.frequency) {
      freq_ppb.push_back(out.frequency->freq_ppb);
      freq_at_ns.push_back(now_mono_ns - world->mono_t0_ns());
    }
    if (out.quality && (classes.empty() || classes.back() != out.quality->clock_class)) {
      classes.push_back(out.quality->clock_class);
    }
    if (out.pulse) {
      const std::int64_t k = out.pulse->tai_s - world->timescale().start_tai_s();
      pulses.push_back({k, out.pulse->used, out.pulse->outlier, out.pulse->offset_ns});
    }
  }
  void chrony_sample(const d::ChronySample&, const conductor::SampleTransfer& reading,
                     double offset_ns, std::int64_t) override {
    chrony_error_ns.push_back(world->utc_error_ns(reading.system_ns, offset_ns));
    chrony_bracket_ns.push_back(reading.transfer.bracket_ns);
  }
};

struct NullChrony final : conductor::ChronySink {
  bool send_time(std::int64_t, double, refclock::Leap) override { return true; }
};

// One run of the profile on `clocks`, driven by sim::drive() through the real conductor.
Decisions run(const sim::Profile& profile, conductor::Clocks& clocks, bool profile_epoch,
              const std::function<void(std::int64_t)>& wait_until) {
  sim::WorldOptions wo;
  wo.profile_epoch = profile_epoch;
  wo.last_pulse = kDurationS;
  sim::World world(profile, profile.sim.seed, clocks, wo);
  auto engine = d::make_engine(sim::engine_config(profile, "kalman"));
  Decisions log;
  log.world = &world;
  NullChrony chrony;
  conductor::ConductorOptions co;
  co.log_events = false;
  conductor::Conductor c(*engine, world, clocks, &chrony, nullptr, co);
  c.set_observer(&log);
  c.start();
  sim::DriveOptions o;
  o.duration_s = kDurationS;
  o.wait_until = wait_until;
  sim::drive(world, c, o);
  return log;
}

void sleep_until_mono(std::int64_t mono_ns) {
  const timespec ts{static_cast<time_t>(mono_ns / kS), static_cast<long>(mono_ns % kS)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

}  // namespace

TEST_CASE("one world: virtual time and realtime make the same decisions", "[realtime]") {
  const sim::Profile profile = sim::parse_profile(kProfile, "one-world.toml");

  sim::VirtualClocks virtual_clocks(
      sim::kMonoOffsetNs,
      profile.sim.start_utc_s * kS - std::llround(profile.sim.system_offset_s * 1e9));
  const Decisions v = run(profile, virtual_clocks, true,
                          [&](std::int64_t m) { virtual_clocks.set_mono_ns(m); });
  ppsd::SystemClocks host;
  const Decisions r = run(profile, host, false, sleep_until_mono);

  // The decisions themselves: none missing, none added, none different.
  REQUIRE(v.steps_ns.size() == 1);
  REQUIRE(r.steps_ns.size() == v.steps_ns.size());
  CHECK(r.classes == v.classes);
  CHECK(std::find(v.classes.begin(), v.classes.end(), 7) != v.classes.end());  // holdover seen
  REQUIRE(r.pulses.size() == v.pulses.size());
  REQUIRE(v.pulses.size() >= 15);
  for (std::size_t i = 0; i < v.pulses.size(); ++i) {
    INFO("pulse " << i);
    REQUIRE(r.pulses[i].k == v.pulses[i].k);
    REQUIRE(r.pulses[i].used == v.pulses[i].used);
    REQUIRE(r.pulses[i].outlier == v.pulses[i].outlier);
  }
  REQUIRE(r.freq_ppb.size() == v.freq_ppb.size());
  REQUIRE(r.chrony_error_ns.size() == v.chrony_error_ns.size());
  REQUIRE(v.chrony_error_ns.size() >= 5);

  // The values. Edges are captured at their exact simulated instant in both runs, so they can
  // differ only where the realtime run acted late: a frequency command applied δ late leaves a
  // phase difference of (its change) × δ on every later reading. Bound it from the latencies
  // this run really had (+ one PHC tick, 8 ns, of quantisation either way).
  double phase_tol_ns = 16;
  double previous_ppb = 0;
  for (std::size_t i = 0; i < v.freq_ppb.size(); ++i) {
    const double late_s = static_cast<double>(r.freq_at_ns[i] - v.freq_at_ns[i]) * 1e-9;
    phase_tol_ns += std::abs(v.freq_ppb[i] - previous_ppb) * std::abs(late_s);
    previous_ppb = v.freq_ppb[i];
  }
  INFO("phase tolerance " << phase_tol_ns << " ns");
  // A step is the measured offset (plus its own error draw, the same in both runs).
  CHECK(std::abs(static_cast<double>(r.steps_ns[0] - v.steps_ns[0])) <= phase_tol_ns);
  for (std::size_t i = 0; i < v.pulses.size(); ++i) {
    INFO("pulse " << i);
    CHECK(std::abs(r.pulses[i].offset_ns - v.pulses[i].offset_ns) <= phase_tol_ns);
  }
  // No servo corrects more than the whole phase error within one second: a phase difference of
  // e ns moves a frequency command by at most e ppb.
  for (std::size_t i = 0; i < v.freq_ppb.size(); ++i) {
    INFO("frequency command " << i);
    CHECK(std::abs(r.freq_ppb[i] - v.freq_ppb[i]) <= phase_tol_ns + 0.1);
  }
  // Samples: both runs within chronyd's 1 µs, and as far from the truth as each other up to the
  // phase difference and the host's clock reading: the system time of a reading is the middle
  // of its bracket (off by up to half of it), and the world's realtime anchor was read the same
  // way (allow 100 ns for that bracket).
  for (std::size_t i = 0; i < v.chrony_error_ns.size(); ++i) {
    INFO("chrony sample " << i);
    CHECK(v.chrony_bracket_ns[i] == 0);  // virtual clocks: exact
    CHECK(v.chrony_error_ns[i] < 1000);
    CHECK(r.chrony_error_ns[i] < 1000);
    const double host_ns = static_cast<double>(r.chrony_bracket_ns[i]) / 2 + 100;
    CHECK(std::abs(r.chrony_error_ns[i] - v.chrony_error_ns[i]) <= phase_tol_ns + host_ns);
  }
  // What the realtime run differed by, for the record.
  double worst_offset = 0, worst_freq = 0;
  for (std::size_t i = 0; i < v.pulses.size(); ++i) {
    worst_offset = std::max(worst_offset, std::abs(r.pulses[i].offset_ns - v.pulses[i].offset_ns));
  }
  for (std::size_t i = 0; i < v.freq_ppb.size(); ++i) {
    worst_freq = std::max(worst_freq, std::abs(r.freq_ppb[i] - v.freq_ppb[i]));
  }
  WARN("realtime vs virtual: " << v.pulses.size() << " pulses, worst offset difference "
       << worst_offset << " ns; " << v.freq_ppb.size() << " frequency commands, worst "
       << worst_freq << " ppb; step " << v.steps_ns[0] << " vs " << r.steps_ns[0]
       << " ns; " << v.chrony_error_ns.size() << " samples; phase tolerance " << phase_tol_ns
       << " ns");
}
