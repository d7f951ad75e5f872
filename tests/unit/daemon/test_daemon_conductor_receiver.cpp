// The conductor and the receiver watch: each new time mode reaches the engine once, stamped
// with the conductor's mono time; other changes (survey progress, antenna) only update what
// status reads; a quality change the engine answers with goes to ptp4l.
#include <catch2/catch.hpp>

#include "conductor/conductor.hpp"
#include "fakes.hpp"

using namespace nanotime;
using namespace nanotime::ppsd;
using namespace nanotime::ppsd::test;

namespace {
constexpr std::int64_t kS = 1'000'000'000;

conductor::ReceiverStatus rx(d::ReceiverTimeMode mode, double survey_s) {
  conductor::ReceiverStatus s;
  s.connected = true;
  s.mode = mode;
  s.survey_active = mode == d::ReceiverTimeMode::survey_in;
  s.survey_duration_s = survey_s;
  return s;
}
}  // namespace

TEST_CASE("receiver states: the engine hears each mode change once, status sees every state",
          "[unit]") {
  FakeEngine engine;
  FakePtpClock phc;
  FakeClocks clocks;
  FakeChrony chrony;
  FakePublisher ptp4l;
  Conductor c{engine, phc, clocks, &chrony, &ptp4l, ConductorOptions{}};
  CHECK_FALSE(c.receiver());

  c.on_receiver(rx(d::ReceiverTimeMode::survey_in, 10));
  clocks.advance(kS);
  c.on_receiver(rx(d::ReceiverTimeMode::survey_in, 11));  // progress only
  clocks.advance(kS);
  auto bad = rx(d::ReceiverTimeMode::survey_in, 12);
  bad.antenna = conductor::AntennaState::open;
  c.on_receiver(bad);
  REQUIRE(c.receiver());
  CHECK(c.receiver()->survey_duration_s == 12);
  CHECK(c.receiver()->antenna == conductor::AntennaState::open);

  // The engine answers the mode change with a new quality (a wider bound): ptp4l is told.
  engine.script = [](const d::Event& e) {
    d::Output o;
    if (std::holds_alternative<d::ReceiverModeChange>(e)) {
      d::ClockQuality q;
      q.clock_class = 6;
      q.clock_accuracy = 0x21;
      o.quality = q;
    }
    return o;
  };
  const std::int64_t fixed_at = clocks.mono;
  c.on_receiver(rx(d::ReceiverTimeMode::fixed, 1000));
  const auto changes = engine.of<d::ReceiverModeChange>();
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].mode == d::ReceiverTimeMode::survey_in);
  CHECK(changes[0].mono_ns == fixed_at - 2 * kS);
  CHECK(changes[1].mode == d::ReceiverTimeMode::fixed);
  CHECK(changes[1].mono_ns == fixed_at);
  REQUIRE(c.quality());
  CHECK(c.quality()->clock_accuracy == 0x21);
  REQUIRE(ptp4l.wants.size() == 1);
  CHECK(ptp4l.wants.back().clock_accuracy == 0x21);
  CHECK(c.receiver()->mode == d::ReceiverTimeMode::fixed);
}
