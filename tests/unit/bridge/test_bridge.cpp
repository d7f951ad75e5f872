// The bridge's policy in simulated time: which samples reach chronyd, with which offsets.
#include <catch2/catch.hpp>

#include <vector>

#include "bridge.hpp"
#include "leap_window.hpp"

using namespace nanotime;
using namespace nanotime::bridge;

namespace {
constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kT0 = 1'700'000'000;  // GNSS seconds

struct FakeOutputs : Outputs {
  std::vector<Sample> time, pps;
  void time_sample(const Sample& s) override { time.push_back(s); }
  void pps_sample(const Sample& s) override { pps.push_back(s); }
};

BridgeConfig base_config() {
  BridgeConfig c;
  c.pps_socket = "/run/chrony.pps.sock";
  c.offset_s = 0.125;
  return c;
}

// One second of gpsd output: TPV, PPS edge (system clock `sys_off` ahead of... behind true),
// then the serial TOFF `delay` later.
struct Feed {
  Bridge& b;
  std::int64_t sys_minus_true_ns = 0;
  std::int64_t delay_ns = 125'000'000;
  void second(std::int64_t sec, int mode = 3, std::optional<double> qerr = std::nullopt,
              bool pps = true) {
    const std::int64_t mono = (sec - kT0) * kS;
    b.handle(gpsd::FixState{mode}, mono);
    if (pps) {
      b.handle(gpsd::PulseReport{sec * kS, sec * kS + sys_minus_true_ns, qerr}, mono);
    }
    b.handle(gpsd::TimeReport{sec * kS, sec * kS + sys_minus_true_ns + delay_ns}, mono);
    b.tick(mono);
  }
};
}  // namespace

TEST_CASE("bridge: time samples are (real + offset) − clock at arrival, after confirmation", "[unit]") {
  FakeOutputs out;
  Bridge b(base_config(), out);
  b.handle(gpsd::Connected{}, 0);
  Feed f{b, 2'000'000 /* system 2 ms ahead */};
  for (int i = 0; i < 3; ++i) f.second(kT0 + i);
  // The first two reports are held (startup confirmation), the third passes.
  REQUIRE(out.time.size() == 1);
  const Sample& s = out.time[0];
  CHECK(s.system_ns == (kT0 + 2) * kS + 2'000'000 + 125'000'000);  // arrival
  CHECK(s.true_minus_system_ns == Approx(-2'000'000).margin(1e-3));   // 2 ms ahead → −2 ms
  CHECK(s.leap == refclock::Leap::normal);
  for (int i = 3; i < 10; ++i) f.second(kT0 + i);
  CHECK(out.time.size() == 8);
}

TEST_CASE("bridge: PPS sample offset is (real − clock) − qErr_ns", "[unit]") {
  FakeOutputs out;
  Bridge b(base_config(), out);
  Feed f{b, -500 /* system 500 ns behind */};
  for (int i = 0; i < 3; ++i) f.second(kT0 + i, 3, 0.0);
  REQUIRE(out.pps.size() == 1);
  CHECK(out.pps[0].true_minus_system_ns == Approx(500).margin(1e-6));
  f.second(kT0 + 3, 3, 7.5);
  REQUIRE(out.pps.size() == 2);
  CHECK(out.pps[1].system_ns == (kT0 + 3) * kS - 500);  // the edge's system time
  // Shifted by exactly −qErr: the pulse came 7.5 ns early, true time at the edge is real − 7.5.
  CHECK(out.pps[1].true_minus_system_ns == Approx(500 - 7.5).margin(1e-6));
  f.second(kT0 + 4, 3, -3.25);
  CHECK(out.pps[2].true_minus_system_ns == Approx(500 + 3.25).margin(1e-6));
  f.second(kT0 + 5, 3, std::nullopt);
  CHECK(out.pps[3].true_minus_system_ns == Approx(500).margin(1e-6));
}

TEST_CASE("bridge: no samples without a fix, min_fix_mode 3 needs 3D", "[unit]") {
  FakeOutputs out;
  BridgeConfig c = base_config();
  c.min_fix_mode = 3;
  Bridge b(c, out);
  Feed f{b};
  for (int i = 0; i < 10; ++i) f.second(kT0 + i, 2);
  CHECK(out.time.empty());
  CHECK(out.pps.empty());
  CHECK(b.counters().time_no_fix == 10);
  for (int i = 10; i < 13; ++i) f.second(kT0 + i, 3);
  CHECK(out.time.size() == 1);
  f.second(kT0 + 13, 1);  // fix lost
  CHECK(out.time.size() == 1);
}

TEST_CASE("bridge: a 1 s jump in one TOFF report never reaches chronyd", "[unit]") {
  FakeOutputs out;
  Bridge b(base_config(), out);
  Feed f{b};
  for (int i = 0; i < 10; ++i) f.second(kT0 + i);
  const auto sent = out.time.size();
  const auto held = b.counters().time_held;  // 2: the start-up confirmation
  // The receiver labels one message with the wrong second.
  b.handle(gpsd::TimeReport{(kT0 + 11) * kS, (kT0 + 10) * kS + 125'000'000}, 10 * kS);
  CHECK(out.time.size() == sent);
  CHECK(b.counters().time_held == held + 1);
  for (int i = 11; i < 13; ++i) f.second(kT0 + i);
  CHECK(out.time.size() == sent + 2);
  for (const Sample& s : out.time) CHECK(std::abs(s.true_minus_system_ns) < 1e3);
}

TEST_CASE("bridge: a real step of the system clock is followed after confirm_reports", "[unit]") {
  FakeOutputs out;
  Bridge b(base_config(), out);
  Feed f{b};
  for (int i = 0; i < 10; ++i) f.second(kT0 + i);
  const auto sent = out.time.size();
  f.sys_minus_true_ns = -1 * kS;  // someone stepped the system clock back by 1 s
  f.second(kT0 + 10);
  f.second(kT0 + 11);
  CHECK(out.time.size() == sent);
  f.second(kT0 + 12);
  REQUIRE(out.time.size() == sent + 1);
  CHECK(out.time.back().true_minus_system_ns == Approx(1e9).margin(1e-3));
}

TEST_CASE("bridge: offset_s = auto waits for the estimate, then applies it", "[unit]") {
  FakeOutputs out;
  BridgeConfig c = base_config();
  c.offset_s.reset();  // auto
  Bridge b(c, out);
  Feed f{b, 0, 183'000'000};
  f.second(kT0, 3, std::nullopt, false);  // no PPS: nothing to estimate from
  CHECK(b.counters().time_no_delay == 1);
  for (int i = 1; i < 5; ++i) f.second(kT0 + i);
  CHECK(out.time.empty());  // 4 pairs: no estimate yet
  for (int i = 5; i < 8; ++i) f.second(kT0 + i);
  REQUIRE_FALSE(out.time.empty());
  REQUIRE(b.serial_delay_estimate_ns().has_value());
  CHECK(*b.serial_delay_estimate_ns() == 183'000'000);
  for (const Sample& s : out.time) CHECK(s.true_minus_system_ns == Approx(0).margin(1e-3));
}

TEST_CASE("bridge: an auto estimate beyond max_auto_offset_s is not used", "[unit]") {
  FakeOutputs out;
  BridgeConfig c = base_config();
  c.offset_s.reset();
  c.max_auto_offset_s = 0.1;
  Bridge b(c, out);
  Feed f{b, 0, 183'000'000};
  for (int i = 0; i < 20; ++i) f.second(kT0 + i);
  CHECK(out.time.empty());
  CHECK(b.serial_delay_estimate_ns().has_value());
}

TEST_CASE("bridge: PPS presence follows reports; losing gpsd re-arms the gates", "[unit]") {
  FakeOutputs out;
  Bridge b(base_config(), out);
  Feed f{b};
  b.handle(gpsd::Connected{}, 0);
  for (int i = 0; i < 5; ++i) f.second(kT0 + i);
  CHECK(b.pps_present());
  b.tick(4 * kS + Bridge::kPpsTimeoutNs + 1);
  CHECK_FALSE(b.pps_present());
  const auto sent = out.time.size();
  b.handle(gpsd::Disconnected{"test"}, 10 * kS);
  CHECK_FALSE(b.has_fix());
  b.handle(gpsd::Connected{}, 11 * kS);
  f.second(kT0 + 11);
  f.second(kT0 + 12);
  CHECK(out.time.size() == sent);  // held: confirmation again after a reconnect
  f.second(kT0 + 13);
  CHECK(out.time.size() == sent + 1);
}

TEST_CASE("leap flag only during the UTC day that ends with the scheduled leap", "[unit]") {
  const std::int64_t midnight = 1483228800;  // 2017-01-01T00:00:00Z
  const ScheduledLeap l{midnight, refclock::Leap::insert};
  CHECK(leap_for_sample(midnight - 86401, l) == refclock::Leap::normal);
  CHECK(leap_for_sample(midnight - 86400, l) == refclock::Leap::insert);
  CHECK(leap_for_sample(midnight - 1, l) == refclock::Leap::insert);
  CHECK(leap_for_sample(midnight, l) == refclock::Leap::normal);
  CHECK(leap_for_sample(midnight - 5, std::nullopt) == refclock::Leap::normal);
  CHECK(leap_for_sample(midnight - 5, ScheduledLeap{midnight + 7, refclock::Leap::del}) ==
        refclock::Leap::normal);  // not a midnight: ignored

  FakeOutputs out;
  Bridge b(base_config(), out);
  b.set_scheduled_leap(ScheduledLeap{(kT0 / 86400 + 1) * 86400, refclock::Leap::del});
  Feed f{b};
  for (int i = 0; i < 3; ++i) f.second(kT0 + i);
  REQUIRE(out.time.size() == 1);
  CHECK(out.time[0].leap == refclock::Leap::del);
}

TEST_CASE("bridge: what the status endpoint reads (last samples, fix, satellites, rejected)",
          "[unit]") {
  FakeOutputs out;
  BridgeConfig c = base_config();
  c.offset_s = 0.1;  // configured 100 ms, real delay 125 ms: TOFF offset = −25 ms
  Bridge b(c, out);
  CHECK_FALSE(b.last_samples().time_offset_ns);
  CHECK_FALSE(b.last_samples().pps_offset_ns);
  CHECK_FALSE(b.last_samples().pps_qerr_ns);
  CHECK_FALSE(b.satellites_used());
  b.handle(gpsd::Connected{}, 0);
  b.handle(gpsd::SkyReport{9, 14}, 0);
  CHECK(b.satellites_used() == 9);

  Feed f{b, 1'000 /* system 1 µs ahead */};
  f.second(kT0, 1, 4.0);  // no fix: both reports rejected, nothing recorded but the qErr
  CHECK(b.fix_mode() == 1);
  CHECK(b.counters().time_rejected() == 1);
  CHECK(b.counters().pps_rejected() == 1);
  CHECK_FALSE(b.last_samples().time_offset_ns);
  CHECK(b.last_samples().pps_qerr_ns == Approx(4.0));

  for (int i = 1; i <= 3; ++i) f.second(kT0 + i, 3, 2.0);
  CHECK(b.fix_mode() == 3);
  // Startup confirmation: two held per stream, then one sent (3 reports with confirm_reports 3).
  CHECK(b.counters().time_sent == 1);
  CHECK(b.counters().time_rejected() == 1 + 2);
  CHECK(b.counters().pps_sent == 1);
  CHECK(b.counters().pps_rejected() == 1 + 2);
  // TOFF: real − clock + offset = −(1 µs + 125 ms) + 100 ms.
  REQUIRE(b.last_samples().time_offset_ns);
  CHECK(*b.last_samples().time_offset_ns == Approx(-25'001'000.0).margin(1e-3));
  // PPS: real − clock − qErr = −1 µs − 2 ns.
  REQUIRE(b.last_samples().pps_offset_ns);
  CHECK(*b.last_samples().pps_offset_ns == Approx(-1'002.0).margin(1e-6));
  CHECK(b.last_samples().pps_qerr_ns == Approx(2.0));

  // Without qErr the last known one stays (libgps cannot tell absent from 0: see events.hpp).
  f.second(kT0 + 4, 3, std::nullopt);
  CHECK(b.last_samples().pps_qerr_ns == Approx(2.0));
  CHECK(*b.last_samples().pps_offset_ns == Approx(-1'000.0).margin(1e-6));

  b.handle(gpsd::Disconnected{"test"}, 5 * kS);
  CHECK(b.fix_mode() == 0);
  CHECK_FALSE(b.satellites_used());
  CHECK(b.counters().time_sent == 2);  // counters survive a reconnect
}
