// The conductor with fake devices and fake clocks: which engine events each device event
// becomes, when the PHC is read, what chronyd and ptp4l are told.
#include <catch2/catch.hpp>

#include <cmath>

#include "conductor/conductor.hpp"
#include "fakes.hpp"

using namespace nanotime;
using namespace nanotime::ppsd;
using namespace nanotime::ppsd::test;

namespace {

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kUtc = 1'767'225'600;  // 2026-01-01T00:00:00Z

d::ClockQuality quality(d::LockState s, std::uint8_t cls) {
  d::ClockQuality q;
  q.state = s;
  q.clock_class = cls;
  q.time_traceable = cls == 6 || cls == 7;
  q.frequency_traceable = q.time_traceable;
  return q;
}

struct Rig {
  FakeEngine engine;
  FakePtpClock phc;
  FakeClocks clocks;
  FakeChrony chrony;
  FakePublisher ptp4l;
  Conductor conductor{engine, phc, clocks, &chrony, &ptp4l, ConductorOptions{}};

  // An engine that is tracking and allows a sample for every EXTTS event.
  void engine_tracking_with_samples(double phc_minus_tai_ns) {
    engine.script = [phc_minus_tai_ns](const d::Event& e) {
      d::Output out;
      if (std::holds_alternative<d::ExttsEvent>(e)) {
        out.chrony = d::ChronySample{phc_minus_tai_ns, 37, d::LeapWarning::none, 20};
      }
      return out;
    };
  }
  void set_tracking() {
    engine.script = [](const d::Event&) {
      d::Output o;
      o.quality = quality(d::LockState::tracking, 6);
      return o;
    };
    conductor.on_tick(std::nullopt);
  }
};

}  // namespace

TEST_CASE("start routes the pin, enables EXTTS and zeroes the frequency", "[unit]") {
  Rig r;
  r.conductor.start();
  CHECK(r.phc.pin_calls == 1);
  CHECK(r.phc.pin_extts);
  CHECK(r.phc.enabled);
  REQUIRE(r.phc.frequencies.size() == 1);
  CHECK(r.phc.frequencies[0] == 0.0);
}

TEST_CASE("start refuses a channel the PHC does not have", "[unit]") {
  Rig r;
  r.phc.c.n_ext_ts = 0;
  CHECK_THROWS_AS(r.conductor.start(), phc::PhcError);
}

TEST_CASE("an EXTTS event: exactly one PHC read and one SOCK sample, sign by hand", "[unit]") {
  Rig r;
  r.set_tracking();
  r.engine_tracking_with_samples(300);
  // The edge of UTC 00:00:00 (TAI ...37) timestamped by the PHC, delivered 120 ms later.
  r.phc.queued.push_back({0, (kUtc + 37) * kS + 290});
  // Right after it: PHC reads TAI ...37.120000500, the system clock UTC 00:00:00.120001000.
  r.phc.next_offset.phc_ns = (kUtc + 37) * kS + 120'000'500;
  r.phc.next_offset.system_ns = kUtc * kS + 120'001'000;
  r.conductor.on_extts_readable();

  // By hand: true UTC = phc − 300 − 37 s = UTC 00:00:00.120000200; the system clock reads
  // .120001000, i.e. it is 800 ns FAST: offset (true − system) = −800 ns.
  CHECK(r.phc.read_calls == 1);
  REQUIRE(r.chrony.samples.size() == 1);
  CHECK(r.chrony.samples[0].offset_ns == Approx(-800).margin(1e-6));
  CHECK(r.chrony.samples[0].system_ns == kUtc * kS + 120'001'000);
  CHECK(r.chrony.samples[0].leap == refclock::Leap::normal);
  // The engine saw the edge with the conductor's arrival time.
  const auto ev = r.engine.of<d::ExttsEvent>();
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].phc_ns == (kUtc + 37) * kS + 290);
  CHECK(ev[0].arrival_mono_ns == r.clocks.mono);
  CHECK(r.conductor.counters().chrony_sent == 1);
}

TEST_CASE("no PHC read and no sample while the engine withholds samples", "[unit]") {
  Rig r;
  r.engine.script = [](const d::Event& e) {
    d::Output o;
    if (std::holds_alternative<d::Tick>(e)) o.quality = quality(d::LockState::converging, 248);
    return o;
  };
  r.conductor.on_tick(std::nullopt);
  for (int i = 0; i < 5; ++i) {
    r.phc.queued.push_back({0, (kUtc + 37 + i) * kS});
    r.conductor.on_extts_readable();
    r.clocks.advance(kS);
  }
  CHECK(r.phc.read_calls == 0);  // converging: no sample can follow, so no read
  CHECK(r.chrony.samples.empty());
  CHECK(r.engine.of<d::ExttsEvent>().size() == 5);
}

TEST_CASE("tracking but withheld: one read per edge, no sample", "[unit]") {
  Rig r;
  r.set_tracking();
  r.engine.script = nullptr;
  r.phc.queued.push_back({0, (kUtc + 37) * kS});
  r.conductor.on_extts_readable();
  CHECK(r.phc.read_calls == 1);
  CHECK(r.chrony.samples.empty());
}

TEST_CASE("a permission that comes with the time message uses the edge's reading", "[unit]") {
  Rig r;
  r.set_tracking();
  r.engine.script = [](const d::Event& e) {
    d::Output o;
    if (std::holds_alternative<d::TimeReport>(e)) {
      o.chrony = d::ChronySample{-50, 37, d::LeapWarning::insert, 20};
    }
    return o;
  };
  r.phc.queued.push_back({0, (kUtc + 37) * kS});
  r.phc.next_offset.phc_ns = (kUtc + 37) * kS + 100'000'000;
  r.phc.next_offset.system_ns = kUtc * kS + 100'000'000;
  r.conductor.on_extts_readable();
  CHECK(r.phc.read_calls == 1);
  CHECK(r.chrony.samples.empty());

  r.clocks.advance(400'000'000);  // the time message 0.4 s later: near no edge, but no read
  r.conductor.on_tod_events({gpsd::FixState{3},
                             gpsd::TimeReport{kUtc * kS, r.clocks.real - 1'000'000}});
  CHECK(r.phc.read_calls == 1);
  REQUIRE(r.chrony.samples.size() == 1);
  CHECK(r.chrony.samples[0].offset_ns == Approx(50));  // true = phc + 50 − 37 s = system + 50
  CHECK(r.chrony.samples[0].leap == refclock::Leap::insert);

  // A second permission for the same reading sends nothing (and reads nothing near an edge).
  r.conductor.on_tod_events({gpsd::TimeReport{kUtc * kS, r.clocks.real}});
  CHECK(r.chrony.samples.size() == 1);
  CHECK(r.phc.read_calls == 1);
  CHECK(r.conductor.counters().chrony_skipped == 1);
}

TEST_CASE("holdover: a sample allowed on a tick reads the PHC on that tick", "[unit]") {
  Rig r;
  r.set_tracking();
  r.phc.queued.push_back({0, (kUtc + 37) * kS});
  r.conductor.on_extts_readable();
  const int reads_after_edge = r.phc.read_calls;
  r.engine.script = [](const d::Event& e) {
    d::Output o;
    if (std::holds_alternative<d::Tick>(e)) {
      o.quality = quality(d::LockState::holdover, 7);
      o.chrony = d::ChronySample{0, 37, d::LeapWarning::none, 200};
    }
    return o;
  };
  r.clocks.advance(2 * kS);  // pulses stopped 2 s ago
  r.phc.next_offset.phc_ns = (kUtc + 39) * kS + 5;
  r.phc.next_offset.system_ns = (kUtc + 2) * kS;
  r.conductor.on_tick(std::nullopt);
  CHECK(r.phc.read_calls == reads_after_edge + 1);
  REQUIRE(r.chrony.samples.size() == 1);
  CHECK(r.chrony.samples[0].offset_ns == Approx(5));
  r.clocks.advance(kS);
  r.conductor.on_tick(std::nullopt);
  CHECK(r.chrony.samples.size() == 2);
  CHECK(r.phc.read_calls == reads_after_edge + 2);
}

TEST_CASE("several queued events: each fed, the PHC read once", "[unit]") {
  Rig r;
  r.set_tracking();
  r.engine_tracking_with_samples(0);
  r.phc.queued.push_back({0, (kUtc + 37) * kS});
  r.phc.queued.push_back({1, (kUtc + 37) * kS + 5});  // another channel: not ours
  r.phc.queued.push_back({0, (kUtc + 38) * kS});
  r.conductor.on_extts_readable();
  CHECK(r.engine.of<d::ExttsEvent>().size() == 2);
  CHECK(r.conductor.counters().extts_other_channel == 1);
  CHECK(r.phc.read_calls == 1);
  CHECK(r.chrony.samples.size() == 1);
}

TEST_CASE("step before frequency; a step invalidates the reading", "[unit]") {
  Rig r;
  r.engine.script = [](const d::Event& e) {
    d::Output o;
    if (std::holds_alternative<d::ExttsEvent>(e)) {
      o.frequency = d::SetFrequency{-13400};
      o.step = d::StepClock{-1'500'000'000};
    }
    return o;
  };
  r.phc.queued.push_back({0, 123});
  r.conductor.on_extts_readable();
  REQUIRE(r.phc.calls.size() == 2);
  CHECK(r.phc.calls[0] == "step");
  CHECK(r.phc.calls[1] == "frequency");
  CHECK(r.phc.steps[0] == -1'500'000'000);
  CHECK(r.phc.frequencies[0] == -13400);
}

TEST_CASE("carrier loss and return are forwarded once each; EXTTS re-armed", "[unit]") {
  Rig r;
  r.conductor.start();
  const int enables = r.phc.enable_calls;
  r.clocks.advance(kS);
  r.conductor.on_carrier(false);
  r.conductor.on_carrier(false);  // repeated netlink message: not a change
  r.clocks.advance(kS);
  r.conductor.on_carrier(true);
  const auto cc = r.engine.of<d::CarrierChange>();
  REQUIRE(cc.size() == 2);
  CHECK_FALSE(cc[0].up);
  CHECK(cc[0].mono_ns == r.clocks.mono - kS);
  CHECK(cc[1].up);
  CHECK(r.phc.enable_calls == enables + 1);
  CHECK(r.phc.enabled);
}

TEST_CASE("quality changes go to the ptp4l publisher", "[unit]") {
  Rig r;
  int n = 0;
  r.engine.script = [&n](const d::Event&) {
    d::Output o;
    const std::uint8_t classes[] = {248, 6, 7, 52, 6};
    if (n < 5) o.quality = quality(n == 2 ? d::LockState::holdover : d::LockState::tracking,
                                   classes[n]);
    ++n;
    return o;
  };
  for (int i = 0; i < 6; ++i) r.conductor.on_tick(std::nullopt);
  REQUIRE(r.ptp4l.wants.size() == 5);
  CHECK(r.ptp4l.wants[1].clock_class == 6);
  CHECK(r.ptp4l.wants[2].clock_class == 7);
  CHECK(r.ptp4l.wants[3].clock_class == 52);
  CHECK(r.ptp4l.wants[4].clock_class == 6);
  REQUIRE(r.conductor.quality());
  CHECK(r.conductor.quality()->clock_class == 6);
}

TEST_CASE("a new ptp4l publisher (SIGHUP) is told the current quality at once", "[unit]") {
  Rig r;
  r.set_tracking();
  FakePublisher other;
  r.conductor.set_ptp4l(&other, r.clocks.mono);
  REQUIRE(other.wants.size() == 1);
  CHECK(other.wants[0].clock_class == 6);
}

TEST_CASE("stop: ptp4l is told class 248, not traceable; EXTTS disabled", "[unit]") {
  Rig r;
  r.conductor.start();
  r.set_tracking();
  CHECK(r.conductor.stop(1000));
  REQUIRE(r.ptp4l.final_q);
  CHECK(r.ptp4l.final_q->clock_class == 248);
  CHECK_FALSE(r.ptp4l.final_q->time_traceable);
  CHECK_FALSE(r.ptp4l.final_q->frequency_traceable);
  CHECK(r.ptp4l.final_q->clock_accuracy == 0xfe);
  CHECK(r.ptp4l.final_timeout_ms == 1000);
  CHECK_FALSE(r.phc.enabled);
}

TEST_CASE("gpsd events become engine events on the monotonic axis", "[unit]") {
  Rig r;
  const std::int64_t mono = r.clocks.mono;
  const std::int64_t real = r.clocks.real;
  // No fix yet: time messages are dropped.
  r.conductor.on_tod_events({gpsd::TimeReport{kUtc * kS, real - 50'000'000}});
  CHECK(r.engine.of<d::TimeReport>().empty());
  CHECK(r.conductor.counters().tod_without_fix == 1);

  r.conductor.on_tod_events({gpsd::FixState{3}, gpsd::LeapInfo{18},
                             gpsd::TimeReport{kUtc * kS - 1, real - 50'000'000},
                             gpsd::PulseReport{kUtc * kS, real - 250'000'000, -2.5}});
  const auto tr = r.engine.of<d::TimeReport>();
  REQUIRE(tr.size() == 1);
  CHECK(tr[0].utc_s == kUtc);                         // rounded, not truncated
  CHECK(tr[0].arrival_mono_ns == mono - 50'000'000);  // gpsd's stamp, on the mono axis
  REQUIRE(tr[0].tai_utc_s);
  CHECK(*tr[0].tai_utc_s == 37);                      // GPS − UTC 18 + 19
  const auto pr = r.engine.of<d::PulseReport>();
  REQUIRE(pr.size() == 1);
  CHECK(pr[0].utc_s == kUtc);
  CHECK(pr[0].edge_mono_ns == mono - 250'000'000);
  REQUIRE(pr[0].qerr_ns);
  CHECK(*pr[0].qerr_ns == -2.5);

  // gpsd went away: a reconnection must report a fix again.
  CHECK_FALSE(r.conductor.gpsd_connected());  // nobody said anything about a connection yet
  r.conductor.on_tod_events({gpsd::Disconnected{"test"}});
  CHECK(r.conductor.gpsd_connected() == false);
  r.conductor.on_tod_events({gpsd::Connected{}, gpsd::TimeReport{(kUtc + 1) * kS, real}});
  CHECK(r.conductor.gpsd_connected() == true);
  CHECK(r.conductor.counters().gpsd_connects == 1);
  CHECK(r.engine.of<d::TimeReport>().size() == 1);
}

TEST_CASE("a live cable-delay change moves each edge's PHC time", "[unit]") {
  Rig r;
  r.conductor.set_cable_delay_shift_ns(25);  // the config now says 25 ns more than at start
  r.phc.queued.push_back({0, 1000});
  r.conductor.on_extts_readable();
  const auto ev = r.engine.of<d::ExttsEvent>();
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].phc_ns == 975);
}

TEST_CASE("chrony offset and leap helpers", "[unit]") {
  const std::int64_t phc_ns = (kUtc + 37) * kS + 10;
  const std::int64_t system_ns = kUtc * kS;
  CHECK(chrony_offset_ns(phc_ns, system_ns, d::ChronySample{10.5, 37, d::LeapWarning::none, 0}) ==
        Approx(-0.5));
  // TAI − UTC wrong by a second shows as a full second: the sample is only as good as it.
  CHECK(chrony_offset_ns(phc_ns, system_ns, d::ChronySample{0, 36, d::LeapWarning::none, 0}) ==
        Approx(1e9 + 10));
  CHECK(to_chrony_leap(d::LeapWarning::insert) == refclock::Leap::insert);
  CHECK(to_chrony_leap(d::LeapWarning::del) == refclock::Leap::del);
  CHECK(to_chrony_leap(d::LeapWarning::none) == refclock::Leap::normal);
  const d::ClockQuality f = final_quality(quality(d::LockState::tracking, 6));
  CHECK(f.clock_class == 248);
  CHECK(f.tai_utc_s == 37);
  CHECK(std::isinf(f.error_bound_ns));
}

TEST_CASE("a leap announced with gpsd's LeapInfo reaches the engine with each time report, "
          "until gpsd goes away",
          "[unit]") {
  Rig r;
  const std::int64_t real = r.clocks.real;
  r.conductor.on_tod_events({gpsd::FixState{3}, gpsd::LeapInfo{18, 1},
                             gpsd::TimeReport{kUtc * kS, real}});
  r.conductor.on_tod_events({gpsd::LeapInfo{18, -1}, gpsd::TimeReport{(kUtc + 1) * kS, real}});
  r.conductor.on_tod_events({gpsd::LeapInfo{18}, gpsd::TimeReport{(kUtc + 2) * kS, real}});
  r.conductor.on_tod_events({gpsd::LeapInfo{18, 1}, gpsd::Disconnected{"gone"}, gpsd::Connected{},
                             gpsd::FixState{3}, gpsd::TimeReport{(kUtc + 3) * kS, real}});
  const auto tr = r.engine.of<d::TimeReport>();
  REQUIRE(tr.size() == 4);
  CHECK(tr[0].leap == d::LeapWarning::insert);
  CHECK(tr[1].leap == d::LeapWarning::del);
  CHECK(tr[2].leap == d::LeapWarning::none);
  CHECK(tr[3].leap == d::LeapWarning::none);  // a reconnected gpsd must announce it again
  CHECK_FALSE(tr[3].tai_utc_s.has_value());
}

namespace {
struct RecordingObserver final : ConductorObserver {
  std::vector<std::pair<d::Output, std::int64_t>> outputs;
  std::vector<std::pair<SampleTransfer, double>> samples;
  std::vector<std::int64_t> step_seen_by_phc;  // steps the PHC had when each output arrived
  const FakePtpClock* phc = nullptr;
  void applied(const d::Output& out, std::int64_t now_mono_ns) override {
    outputs.emplace_back(out, now_mono_ns);
    step_seen_by_phc.push_back(static_cast<std::int64_t>(phc->steps.size()));
  }
  void chrony_sample(const d::ChronySample&, const SampleTransfer& reading, double offset_ns,
                     std::int64_t) override {
    samples.emplace_back(reading, offset_ns);
  }
};
}  // namespace

TEST_CASE("the observer sees each output after it was applied, and each sample with its "
          "reading",
          "[unit]") {
  Rig r;
  RecordingObserver obs;
  obs.phc = &r.phc;
  r.conductor.set_observer(&obs);
  r.engine.script = [](const d::Event& e) {
    d::Output out;
    if (std::holds_alternative<d::ExttsEvent>(e)) {
      out.step = d::StepClock{-500};
      out.chrony = d::ChronySample{300, 37, d::LeapWarning::none, 20};
    }
    return out;
  };
  r.phc.queued.push_back({0, (kUtc + 37) * kS + 290});
  r.phc.next_offset.phc_ns = (kUtc + 37) * kS + 120'000'500;
  r.phc.next_offset.system_ns = kUtc * kS + 120'001'000;
  r.conductor.on_extts_readable();
  REQUIRE(obs.outputs.size() == 1);
  CHECK(obs.outputs[0].first.step->delta_ns == -500);
  CHECK(obs.outputs[0].second == r.clocks.mono);
  CHECK(obs.step_seen_by_phc[0] == 1);  // applied before the observer heard of it
  REQUIRE(obs.samples.size() == 1);
  CHECK(obs.samples[0].first.system_ns == kUtc * kS + 120'001'000);
  CHECK(obs.samples[0].second == Approx(-800).margin(1e-6));
  r.conductor.set_observer(nullptr);
  r.conductor.on_tick(std::nullopt);
  CHECK(obs.outputs.size() == 1);
}
