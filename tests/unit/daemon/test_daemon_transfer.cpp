// The conductor's PHC-to-system transfer with fake devices: which read of a request becomes the
// chronyd sample, where the latch model puts its system time, what a slow or failed read does,
// how GPIO PPS pulses pair with EXTTS edges, the alarm, and what TransferStatus shows.
#include <catch2/catch.hpp>

#include <cmath>
#include <optional>

#include "conductor/conductor.hpp"
#include "fakes.hpp"

using namespace nanotime;
using namespace nanotime::ppsd::test;

namespace {

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kUtc = 1'767'225'600;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kReadAfterEdgeNs = 120'000'000;
constexpr double kPhcBoundNs = 20;

class FakeGpio final : public GpioPpsSource {
 public:
  std::optional<pps::PpsTimestamp> latest;
  std::optional<pps::PpsTimestamp> latest_assert() override { return latest; }
  std::string describe() const override { return "/dev/pps7"; }
};

ConductorOptions options_with(std::string_view model) {
  ConductorOptions o;
  o.log_events = false;
  o.latch_model = *transfer::find_latch_model(model);
  o.gpio_check.min_pulses = 4;
  o.gpio_check.window = 16;
  return o;
}

// The PHC is TAI, the system clock is UTC: every sample's error is the transfer's own.
// Pulse k's edge is UTC kUtc + k; the PHC is read 120 ms later, its latch at `latch_fraction`
// of a bracket `width_ns` wide.
struct Rig {
  FakeEngine engine;
  FakePtpClock phc;
  FakeClocks clocks;
  FakeChrony chrony;
  FakeGpio gpio;
  Conductor conductor;
  explicit Rig(std::string_view model = "bcm-phy-ptp")
      : conductor(engine, phc, clocks, &chrony, nullptr, options_with(model)) {
    engine.script = [](const d::Event& e) {
      d::Output out;
      if (std::holds_alternative<d::ExttsEvent>(e)) {
        out.chrony = d::ChronySample{0, 37, d::LeapWarning::none, kPhcBoundNs};
      }
      return out;
    };
  }
  static std::int64_t edge_utc_ns(std::int64_t k) { return (kUtc + k) * kS; }
  // A read of the PHC whose true latch (system time) is `latch_system_ns`.
  static phc::PhcRead read_at(std::int64_t latch_system_ns, std::int64_t width_ns,
                              double latch_fraction) {
    const auto into = std::llround(latch_fraction * static_cast<double>(width_ns));
    return {latch_system_ns - into, latch_system_ns + 37 * kS, latch_system_ns - into + width_ns};
  }
  // Pulse k: one EXTTS edge, one request of three reads of `widths_ns`.
  void pulse(std::int64_t k, std::initializer_list<std::int64_t> widths_ns,
             double latch_fraction = 0.985) {
    clocks.advance(kS);
    phc.queued.push_back({0, edge_utc_ns(k) + 37 * kS});
    const std::int64_t latch = edge_utc_ns(k) + kReadAfterEdgeNs;
    std::vector<std::int64_t> widths(widths_ns);
    phc.scripted_reads.push_back([=] {
      phc::PhcReadings r;
      r.method = phc::OffsetMethod::extended;
      for (std::size_t i = 0; i < widths.size(); ++i) {
        r.reads.push_back(read_at(latch + static_cast<std::int64_t>(i) * 60'000, widths[i],
                                  latch_fraction));
      }
      return r;
    });
    conductor.on_extts_readable();
  }
  // The GPIO's kernel timestamped edge k `latency_ns` late, as assert number `sequence`.
  void gpio_edge(std::uint32_t sequence, std::int64_t k, std::int64_t latency_ns) {
    gpio.latest = pps::PpsTimestamp{sequence, edge_utc_ns(k) + latency_ns};
  }
  // Claimed − real (true − system) offset of the last sample: its error.
  double last_error_ns() const { return chrony.samples.back().offset_ns; }
};

}  // namespace

TEST_CASE("the narrowest read is used and the latch model places its system time",
          "[unit][transfer]") {
  Rig r;
  r.pulse(1, {52'000, 50'000, 51'000});
  REQUIRE(r.chrony.samples.size() == 1);
  // bcm-phy-ptp: 0.985 of the 50 µs bracket; the latch really is there, so the error is ~0.
  CHECK(r.last_error_ns() == Approx(0).margin(1));
  CHECK(r.chrony.samples[0].system_ns == Rig::edge_utc_ns(1) + kReadAfterEdgeNs + 60'000);
  const TransferStatus& ts = r.conductor.transfer_status();
  CHECK(ts.latch_model == "bcm-phy-ptp");
  CHECK(ts.method == "latch-model");
  CHECK(ts.read_requests == 1);
  CHECK(ts.reads == 3);
  CHECK(ts.bracket_ns == 50'000);
  REQUIRE(ts.system_bound_ns);
  // The bound rule: the whole bracket seen from the estimate, plus the PHC's own bound.
  CHECK(*ts.system_bound_ns == Approx(0.985 * 50'000 + kPhcBoundNs));
}

TEST_CASE("midpoint on a late-latching driver: off by a quarter bracket, still within bound",
          "[unit][transfer]") {
  Rig r("midpoint");
  r.pulse(1, {50'000, 50'000, 50'000});
  REQUIRE(r.chrony.samples.size() == 1);
  CHECK(r.last_error_ns() == Approx(0.485 * 50'000).margin(1));
  CHECK(std::abs(r.last_error_ns()) <= *r.conductor.transfer_status().system_bound_ns);
}

TEST_CASE("a slow request gives no sample this pulse; the next one does", "[unit][transfer]") {
  Rig r;
  for (std::int64_t k = 1; k <= 10; ++k) r.pulse(k, {50'000, 50'100, 50'200});
  REQUIRE(r.chrony.samples.size() == 10);
  r.pulse(11, {80'000, 90'000, 85'000});  // every read delayed by ~30 µs
  CHECK(r.chrony.samples.size() == 10);
  CHECK(r.conductor.transfer_status().slow_rejected == 1);
  CHECK(r.conductor.counters().chrony_skipped == 1);
  r.pulse(12, {50'000, 50'100, 50'200});
  CHECK(r.chrony.samples.size() == 11);
  CHECK(r.conductor.transfer_status().usual_bracket_ns == Approx(50'000));
}

TEST_CASE("a failed read is counted and skipped; a dead PHC still ends the daemon",
          "[unit][transfer]") {
  Rig r;
  r.pulse(1, {50'000});
  r.clocks.advance(kS);
  r.phc.queued.push_back({0, Rig::edge_utc_ns(2) + 37 * kS});
  r.phc.scripted_reads.push_back(
      []() -> phc::PhcReadings { throw phc::PhcReadError(ETIMEDOUT, "timed out"); });
  CHECK_NOTHROW(r.conductor.on_extts_readable());
  CHECK(r.chrony.samples.size() == 1);
  CHECK(r.conductor.transfer_status().read_errors == 1);
  r.pulse(3, {50'000});
  CHECK(r.chrony.samples.size() == 2);

  r.clocks.advance(kS);
  r.phc.queued.push_back({0, Rig::edge_utc_ns(4) + 37 * kS});
  r.phc.scripted_reads.push_back(
      []() -> phc::PhcReadings { throw phc::PhcError(ENODEV, "gone"); });
  CHECK_THROWS_AS(r.conductor.on_extts_readable(), phc::PhcError);
}

TEST_CASE("GPIO pulses pair with EXTTS edges; falling edges, losses and tails move nothing",
          "[unit][transfer]") {
  Rig r;
  r.conductor.set_gpio_pps(&r.gpio);
  CHECK(r.conductor.transfer_status().gpio_configured);
  CHECK(r.conductor.transfer_status().gpio_device == "/dev/pps7");
  std::uint32_t seq = 0;
  for (std::int64_t k = 1; k <= 6; ++k) {
    r.gpio_edge(++seq, k, 3'000 + 100 * k);  // 3.1 … 3.6 µs late
    r.pulse(k, {50'000});
  }
  const TransferStatus& ts = r.conductor.transfer_status();
  CHECK(ts.gpio_pulses == 6);
  REQUIRE(ts.gpio_min_difference_ns);
  CHECK(*ts.gpio_min_difference_ns == Approx(3'100).margin(1));  // latency + error (0)
  // A both-edges driver: the latest assert is the falling edge, 0.1 s after the rising one.
  r.gpio.latest = pps::PpsTimestamp{++seq, Rig::edge_utc_ns(7) + 100'000'000 + 3'000};
  r.pulse(7, {50'000});
  CHECK(ts.gpio_unmatched == 1);
  CHECK(ts.gpio_pulses == 6);
  // Two pulses lost on the wire: the tracker counts them, nothing is paired.
  seq += 2;
  r.gpio_edge(++seq, 8, 3'200);
  r.pulse(8, {50'000});
  CHECK(ts.gpio_missed == 2);
  CHECK(ts.gpio_pulses == 7);
  // A 400 µs tail is paired, but the window's minimum does not move.
  r.gpio_edge(++seq, 9, 400'000);
  r.pulse(9, {50'000});
  CHECK(ts.gpio_pulses == 8);
  CHECK(*ts.gpio_difference_ns == Approx(400'000).margin(1));
  CHECK(*ts.gpio_min_difference_ns == Approx(3'100).margin(1));
  CHECK(*ts.gpio_difference_p50_ns == Approx(3'300).margin(1));
  // No new GPIO edge at all (the same sequence again): nothing counted.
  r.pulse(10, {50'000});
  CHECK(ts.gpio_pulses == 8);
  CHECK(ts.gpio_unmatched == 1);
  // The combined bound: the GPIO's interval [min − floor − spread, min + spread] within the
  // bracket's, far below the bracket's 49 µs.
  CHECK(ts.method == "gpio-calibrated");
  REQUIRE(ts.system_bound_ns);
  CHECK(*ts.system_bound_ns < 10'000);
  CHECK(std::abs(r.last_error_ns()) <= *ts.system_bound_ns);
}

TEST_CASE("GPIO calibrates a wrong latch model: the estimate moves, the bound covers the truth",
          "[unit][transfer]") {
  Rig r("midpoint");  // the driver really latches at 0.985
  r.conductor.set_gpio_pps(&r.gpio);
  for (std::int64_t k = 1; k <= 8; ++k) {
    r.gpio_edge(static_cast<std::uint32_t>(k), k, 2'000);
    r.pulse(k, {50'000});
  }
  const TransferStatus& ts = r.conductor.transfer_status();
  CHECK(ts.method == "gpio-calibrated");
  REQUIRE(ts.shift_ns);
  CHECK(*ts.shift_ns > 10'000);  // towards the real latch, 24 µs later than the middle
  CHECK(std::abs(r.last_error_ns()) <= *ts.system_bound_ns);
  CHECK(std::abs(r.last_error_ns()) < std::abs(0.485 * 50'000));
  CHECK_FALSE(ts.alarm);
}

TEST_CASE("GPIO and PHC disagreeing beyond their bounds raise the alarm, which clears",
          "[unit][transfer]") {
  Rig r;
  r.conductor.set_gpio_pps(&r.gpio);
  std::uint32_t seq = 0;
  // The GPIO says the system time of the edge is 200 µs earlier than the PHC path does: no
  // latency can be negative, and the bracket is only 50 µs.
  for (std::int64_t k = 1; k <= 6; ++k) {
    r.gpio_edge(++seq, k, -200'000);
    r.pulse(k, {50'000});
  }
  const TransferStatus& ts = r.conductor.transfer_status();
  CHECK(ts.alarm);
  CHECK(ts.disagreement_ns < -100'000);
  CHECK(ts.alarms >= 1);
  CHECK(ts.method == "latch-model");  // the bracket alone stands
  CHECK(*ts.system_bound_ns == Approx(0.985 * 50'000 + kPhcBoundNs));
  const std::uint64_t raised = ts.alarms;
  // The wire is fixed: once the bad pulses have left the 16-pulse window, the alarm clears.
  for (std::int64_t k = 7; k <= 30; ++k) {
    r.gpio_edge(++seq, k, 3'000);
    r.pulse(k, {50'000});
  }
  CHECK_FALSE(ts.alarm);
  CHECK(ts.disagreement_ns == 0);
  CHECK(ts.alarms > raised);
  CHECK(ts.method == "gpio-calibrated");
}

TEST_CASE("TransferStatus shows the recent bracket distribution", "[unit][transfer]") {
  Rig r;
  for (std::int64_t k = 1; k <= 100; ++k) r.pulse(k, {k == 90 ? 52'000 : 50'000 + k});
  const TransferStatus& ts = r.conductor.transfer_status();
  CHECK(ts.read_requests == 100);
  CHECK(ts.reads == 100);
  REQUIRE(ts.bracket_p50_ns);
  // The last 64 widths: 50 037 … 50 100 and one 52 000 (under the slow threshold: a slow one would not be chosen).
  CHECK(*ts.bracket_p50_ns == Approx(50'068).margin(1));
  CHECK(*ts.bracket_max_ns == 52'000);
  CHECK(*ts.bracket_p99_ns == 52'000);
  CHECK_FALSE(ts.gpio_configured);
  CHECK(ts.gpio_pulses == 0);
}

TEST_CASE("GPIO differences use the system clock's rate against the PHC, learnt from the reads",
          "[unit][transfer]") {
  // The system clock runs 50 ppm fast against the PHC (= TAI): over the 120 ms from the edge to
  // the read that is 6 µs, which the difference must not mistake for latency.
  constexpr double kRate = 50e-6;
  Rig r;
  r.conductor.set_gpio_pps(&r.gpio);
  const auto system_at = [](double true_s) {
    return static_cast<std::int64_t>(kUtc) * kS +
           std::llround(true_s * 1e9 * (1 + kRate));  // true_s: seconds since kUtc
  };
  for (std::int64_t k = 1; k <= 40; ++k) {
    r.clocks.advance(kS);
    r.phc.queued.push_back({0, (kUtc + k + 37) * kS});
    const double read_s = static_cast<double>(k) + 0.12;
    const std::int64_t latch_system = system_at(read_s);
    const std::int64_t latch_phc = (kUtc + k + 37) * kS + 120'000'000;
    r.phc.scripted_reads.push_back([=] {
      phc::PhcReadings rd;
      rd.method = phc::OffsetMethod::extended;
      rd.reads.push_back({latch_system - 49'250, latch_phc, latch_system + 750});
      return rd;
    });
    r.gpio.latest = pps::PpsTimestamp{static_cast<std::uint32_t>(k),
                                      system_at(static_cast<double>(k)) + 3'000};
    r.conductor.on_extts_readable();
  }
  const TransferStatus& ts = r.conductor.transfer_status();
  REQUIRE(ts.gpio_difference_ns);
  CHECK(*ts.gpio_difference_ns == Approx(3'000).margin(20));
}
