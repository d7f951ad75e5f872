// The simulated world (sim/world.hpp) on fake host clocks, as the daemon's realtime backend runs
// it: the simulated PHC, receiver, gpsd and link behave like the devices, on the host's axes,
// with true time = system clock + offset; readiness fds appear only when asked for.
#include <catch2/catch.hpp>

#include <poll.h>

#include "conductor/conductor.hpp"
#include "fakes.hpp"
#include "sim/backend.hpp"
#include "sim/profile.hpp"
#include "sim/world.hpp"

using namespace nanotime;
using namespace nanotime::ppsd;
using namespace nanotime::ppsd::test;

namespace {

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kUtc = 1'767'225'600;

// Noiseless: every figure below is exact.
const char* kProfile = R"([sim]
system_offset_s = 0.000123
[phc]
initial_offset_s = 0.25
[extts]
delivery_delay_s = [0.1, 0.1]
[tod]
delay_s = 0.3
[[faults.carrier_loss]]
start_s = 5
duration_s = 3
[[faults.pps_outage]]
start_s = 10
duration_s = 2
)";

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

struct SimRig {
  FakeClocks clocks;  // real = kUtc + 0.25 s
  sim::Profile profile = sim::parse_profile(kProfile, "test.toml");
  sim::World sim{profile, 1, clocks, options()};
  static sim::WorldOptions options() {
    sim::WorldOptions o;
    o.max_freq_ppb = 500000;
    return o;
  }
  void at_t(double t_s) {
    const std::int64_t target = sim.mono_t0_ns() + std::llround(t_s * 1e9);
    clocks.advance(target - clocks.mono);
    sim.sync();
  }
};

}  // namespace

TEST_CASE("t = 0 is a whole true second; true time = system clock + offset", "[unit]") {
  SimRig r;
  // True UTC at start = kUtc + 0.25 s + 123 µs: t = 0 at the whole second two ahead.
  CHECK(r.sim.start_utc_s() == kUtc + 2);
  CHECK(r.sim.mono_t0_ns() == r.clocks.mono + 1'750'000'000 - 123'000);
}

TEST_CASE("EXTTS edges: captured at the whole TAI second, delivered after the delay", "[unit]") {
  SimRig r;
  r.sim.set_pin_function(0, phc::PinFunction::extts, 0);
  r.sim.enable_extts(0);
  r.at_t(1.05);
  CHECK_FALSE(readable(r.sim.poll_fd()));  // the edge at t = 1 s is delivered at 1.1 s
  r.at_t(1.1);
  CHECK(readable(r.sim.poll_fd()));
  std::vector<phc::ExttsRecord> recs;
  REQUIRE(r.sim.read_extts(recs) == 1);
  // TAI of the edge = UTC (kUtc + 3) + 37 s; the PHC is 250 ms ahead of TAI.
  CHECK(recs[0].phc_ns == (kUtc + 3 + 37) * kS + 250'000'000);
  CHECK_FALSE(readable(r.sim.poll_fd()));
}

TEST_CASE("EXTTS needs the pin routed first, as on the CM4 PHY", "[unit]") {
  SimRig r;
  CHECK_THROWS_AS(r.sim.enable_extts(0), phc::PhcError);
}

namespace {
std::int64_t offset_ns(const phc::PhcReadings& r) {
  return r.reads.at(0).phc_ns - r.reads.at(0).before_ns;
}
}  // namespace

TEST_CASE("PHC − system = TAI − UTC + system offset + PHC error", "[unit]") {
  SimRig r;
  r.at_t(2.5);
  const phc::PhcReadings readings = r.sim.read_system(3);
  CHECK(readings.method == phc::OffsetMethod::extended);
  REQUIRE(readings.reads.size() == 3);
  const phc::PhcRead& s = readings.reads[1];
  CHECK(s.before_ns == r.clocks.real);
  CHECK(s.after_ns == r.clocks.real);  // virtual clocks: a bracket of width 0
  CHECK(s.phc_ns - s.before_ns == 37 * kS + 123'000 + 250'000'000);
}

TEST_CASE("frequency and step commands steer the simulated PHC", "[unit]") {
  SimRig r;
  r.at_t(1);
  CHECK(r.sim.set_frequency_ppb(1e9) == Approx(500000).margin(0.02));  // clamped
  r.sim.set_frequency_ppb(1000);
  const std::int64_t before = offset_ns(r.sim.read_system(1));
  r.at_t(3);
  CHECK(offset_ns(r.sim.read_system(1)) - before == 2000);  // 1000 ppb for 2 s
  const std::int64_t before_step = offset_ns(r.sim.read_system(1));
  r.sim.step_ns(-250'000'000);
  CHECK(offset_ns(r.sim.read_system(1)) == before_step - 250'000'000);  // step_error_ns = 0
}

TEST_CASE("gpsd messages: PPS and TOFF name the UTC second, stamped by the system clock",
          "[unit]") {
  SimRig r;
  r.at_t(1.35);
  REQUIRE(readable(r.sim.tod().fd()));
  const auto ev = r.sim.tod().read_events(r.clocks.mono);
  std::vector<gpsd::TimeReport> tr;
  std::vector<gpsd::PulseReport> pr;
  bool fix = false;
  int tai_utc = 0;
  for (const auto& e : ev) {
    if (const auto* t = std::get_if<gpsd::TimeReport>(&e)) tr.push_back(*t);
    if (const auto* p = std::get_if<gpsd::PulseReport>(&e)) pr.push_back(*p);
    if (const auto* f = std::get_if<gpsd::FixState>(&e)) fix = f->mode >= 2;
    if (const auto* l = std::get_if<gpsd::LeapInfo>(&e)) tai_utc = l->tai_minus_utc_s();
  }
  CHECK(fix);
  CHECK(tai_utc == 37);
  REQUIRE(tr.size() == 1);
  CHECK(tr[0].real_ns == (kUtc + 3) * kS);
  // Arrived 0.3 s after the edge; the system clock is 123 µs behind true time.
  CHECK(tr[0].clock_ns == (kUtc + 3) * kS + 300'000'000 - 123'000);
  REQUIRE(pr.size() == 1);
  CHECK(pr[0].real_ns == (kUtc + 3) * kS);
  CHECK(pr[0].clock_ns == (kUtc + 3) * kS - 123'000);
}

TEST_CASE("carrier loss and PPS outage faults", "[unit]") {
  SimRig r;
  r.sim.set_pin_function(0, phc::PinFunction::extts, 0);
  r.sim.enable_extts(0);
  std::vector<phc::ExttsRecord> recs;
  r.at_t(4.5);
  r.sim.read_extts(recs);
  CHECK(recs.size() == 4);  // edges 1..4
  r.at_t(5.01);
  REQUIRE(readable(r.sim.link().fd()));
  CHECK(r.sim.link().read_change() == std::optional<bool>(false));
  r.at_t(7.9);
  recs.clear();
  CHECK(r.sim.read_extts(recs) == 0);  // no edges while the link is down
  r.at_t(8.01);
  CHECK(r.sim.link().read_change() == std::optional<bool>(true));
  r.at_t(12.05);
  recs.clear();
  r.sim.read_extts(recs);
  CHECK(recs.size() == 2);  // edges 8 and 9; 10 and 11 cut by the PPS outage
  r.at_t(13.5);
  recs.clear();
  r.sim.read_extts(recs);
  CHECK(recs.size() == 2);  // and back: 12 and 13
}

TEST_CASE("the conductor on the simulation: chronyd is sent the profile's offset", "[unit]") {
  SimRig r;
  FakeEngine engine;
  FakeChrony chrony;
  // An engine that knows the PHC is 250 ms ahead of TAI and is tracking.
  engine.script = [](const d::Event& e) {
    d::Output o;
    if (std::holds_alternative<d::ExttsEvent>(e)) {
      d::ClockQuality q;
      q.state = d::LockState::tracking;
      q.clock_class = 6;
      o.quality = q;
      o.chrony = d::ChronySample{250'000'000, 37, d::LeapWarning::none, 20};
    }
    return o;
  };
  Conductor c(engine, r.sim, r.clocks, &chrony, nullptr, ConductorOptions{});
  c.start();
  r.at_t(1.2);
  REQUIRE(readable(r.sim.poll_fd()));
  c.on_extts_readable();
  REQUIRE(chrony.samples.size() == 1);
  CHECK(chrony.samples[0].offset_ns == Approx(123'000));  // true − system = system_offset_s
  CHECK(chrony.samples[0].system_ns == r.clocks.real);
}

TEST_CASE("readiness costs no syscall until an fd is asked for; then the fd mirrors it",
          "[unit]") {
  SimRig r;
  r.sim.set_pin_function(0, phc::PinFunction::extts, 0);
  r.sim.enable_extts(0);
  r.at_t(1.1);
  CHECK(r.sim.extts_pending());  // no eventfd exists yet: a flag only
  const int fd = r.sim.poll_fd();  // made now, already readable
  REQUIRE(fd >= 0);
  CHECK(readable(fd));
  std::vector<phc::ExttsRecord> recs;
  r.sim.read_extts(recs);
  CHECK_FALSE(r.sim.extts_pending());
  CHECK_FALSE(readable(fd));
  r.at_t(2.1);
  CHECK(readable(fd));
}

TEST_CASE("the simulated backend: the world's ports, fixed devices, the profile's antenna",
          "[unit]") {
  FakeClocks clocks;
  sim::Profile profile = sim::parse_profile(
      std::string(kProfile) + "[gnss]\ncable_delay_ns = 42\n", "test.toml");
  profile.phc.max_adj_ppb = 300000;
  auto backend = sim::make_simulated(profile, 1, clocks, 500000);
  CHECK(backend->fixed_devices());
  REQUIRE(backend->tod() != nullptr);
  REQUIRE(backend->link() != nullptr);
  CHECK(backend->temperature() == nullptr);  // the profile has no sensor
  discipline::EngineConfig ec;
  ec.cable_delay_ns = 7;
  backend->dictate(ec);
  CHECK(ec.cable_delay_ns == 42);
  CHECK(ec.max_freq_ppb == 300000);
  // The loop is woken for the world's next event (gpsd at t = 0) and processes it then.
  const auto wake = backend->next_wake_mono_ns();
  REQUIRE(wake);
  clocks.advance(*wake - clocks.mono);
  backend->process_due();
  CHECK(readable(backend->tod()->fd()));
  CHECK(backend->clock().set_frequency_ppb(1e9) == Approx(300000).margin(0.02));
}

namespace {
struct TransferRig {
  FakeClocks clocks;
  sim::Profile profile;
  sim::World sim;
  explicit TransferRig(const std::string& extra)
      : profile(sim::parse_profile(std::string(kProfile) + extra, "test.toml")),
        sim(profile, 1, clocks, SimRig::options()) {}
  void at_t(double t_s) {
    const std::int64_t target = sim.mono_t0_ns() + std::llround(t_s * 1e9);
    clocks.advance(target - clocks.mono);
    sim.sync();
  }
};
}  // namespace

TEST_CASE("[phc_read]: each read's bracket is drawn around the latch at the host's present",
          "[unit]") {
  TransferRig r("[phc_read]\nbracket_ns = 50000\nlatch_fraction = 0.9\n");
  r.at_t(2.5);
  const phc::PhcReadings readings = r.sim.read_system(3);
  CHECK(readings.method == phc::OffsetMethod::extended);
  REQUIRE(readings.reads.size() == 3);
  for (const phc::PhcRead& read : readings.reads) {
    // Noiseless: 50 µs wide, the latch (the system clock now) 45 µs after `before`.
    CHECK(read.width_ns() == 50'000);
    CHECK(read.before_ns == r.clocks.real - 45'000);
    CHECK(read.phc_ns - r.clocks.real == 37 * kS + 123'000 + 250'000'000);
  }
  CHECK(r.sim.true_latch_system_ns(readings.reads[0].phc_ns) == r.clocks.real);
}

TEST_CASE("[phc_read] error_probability: the request fails with a PhcReadError", "[unit]") {
  TransferRig r("[phc_read]\nbracket_ns = 50000\nerror_probability = 1\n");
  r.at_t(2.5);
  CHECK_THROWS_AS(r.sim.read_system(3), phc::PhcReadError);
  CHECK(r.sim.counters().read_errors == 1);
}

TEST_CASE("[pps_gpio]: each true edge timestamped late by the latency, numbered, visible from "
          "then on",
          "[unit]") {
  TransferRig r("[pps_gpio]\nlatency_ns = 2500\nlatency_min_ns = 1000\n");
  conductor::GpioPpsSource* gpio = r.sim.gpio_pps();
  REQUIRE(gpio != nullptr);
  r.at_t(1.0000024);
  CHECK_FALSE(gpio->latest_assert().has_value());  // the edge at t = 1 s is 2.5 µs late
  r.at_t(1.2);
  auto e = gpio->latest_assert();
  REQUIRE(e);
  CHECK(e->sequence == 1);
  // True UTC of the edge is kUtc + 3; the system clock is 123 µs behind true time.
  CHECK(e->system_ns == (kUtc + 3) * kS - 123'000 + 2'500);
  // The GPIO is not the PHY: a carrier loss (5 … 8 s) leaves it alone; a pps outage does not.
  r.at_t(6.5);
  CHECK(gpio->latest_assert()->sequence == 6);
  r.at_t(11.5);
  CHECK(gpio->latest_assert()->sequence == 9);  // pulses 10 and 11 were never sent
  r.at_t(12.5);
  CHECK(gpio->latest_assert()->sequence == 10);
}

TEST_CASE("[pps_gpio] losses skip a sequence number; no section, no wire", "[unit]") {
  TransferRig lossy("[pps_gpio]\nlatency_ns = 2500\nloss_probability = 1\n");
  lossy.at_t(3.5);
  CHECK_FALSE(lossy.sim.gpio_pps()->latest_assert().has_value());
  CHECK(lossy.sim.counters().gpio_lost == 4);  // pulse 4 is drawn at 3.5 s, before its edge
  TransferRig none("");
  CHECK(none.sim.gpio_pps() == nullptr);
}

TEST_CASE("the simulated backend names its PHC so that auto picks the right latch model",
          "[unit]") {
  const auto pick = [](const std::string& extra) {
    const sim::Profile p = sim::parse_profile(std::string(kProfile) + extra, "test.toml");
    return std::string(
        transfer::model_for_driver(sim::simulated_clock_name(p), p.phc.precise_offset).name);
  };
  CHECK(pick("[phc_read]\nbracket_ns = 50000\n") == "bcm-phy-ptp");
  CHECK(pick("") == "midpoint");
  FakeClocks clocks;
  const sim::Profile p = sim::parse_profile(std::string(kProfile) + "[phc_read]\nbracket_ns = 50000\n[pps_gpio]\nlatency_ns = 2500\n", "test.toml");
  auto backend = sim::make_simulated(p, 1, clocks, 500000);
  CHECK(backend->gpio_pps() != nullptr);
  CHECK(std::string(transfer::model_for_driver(backend->clock_name(), false).name) ==
        "bcm-phy-ptp");
}
