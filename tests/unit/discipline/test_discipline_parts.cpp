// Pieces of the engine with hand-computed expectations: clock quality figures, leap state,
// temperature learning.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "discipline/edge_corrections.hpp"
#include "discipline/leap_state.hpp"
#include "discipline/quality.hpp"
#include "discipline/temperature_model.hpp"

using namespace nanotime::discipline;

TEST_CASE("clockAccuracy from the error bound", "[unit][quality]") {
  CHECK(clock_accuracy_for_bound(3) == 0x20);
  CHECK(clock_accuracy_for_bound(25) == 0x20);
  CHECK(clock_accuracy_for_bound(25.1) == 0x21);
  CHECK(clock_accuracy_for_bound(100) == 0x21);
  CHECK(clock_accuracy_for_bound(250) == 0x22);
  CHECK(clock_accuracy_for_bound(999) == 0x23);
  CHECK(clock_accuracy_for_bound(2000) == 0x24);
  CHECK(clock_accuracy_for_bound(1e9) == 0x2f);
  CHECK(clock_accuracy_for_bound(5e9) == 0x30);
  CHECK(clock_accuracy_for_bound(1e11) == 0x31);
  CHECK(clock_accuracy_for_bound(std::numeric_limits<double>::infinity()) == 0xfe);
  CHECK(accuracy_limit_ns(0x22) == 250);
}

TEST_CASE("offsetScaledLogVariance = 256·log2(var/s²) + 0x8000", "[unit][quality]") {
  CHECK(scaled_log_variance(std::ldexp(1.0, -50)) == 0x8000 - 50 * 256);   // 0x4E00
  CHECK(scaled_log_variance(std::ldexp(1.0, -50) * std::sqrt(2.0)) == 0x4E80);
  CHECK(scaled_log_variance(1.0) == 0x8000);
  CHECK(scaled_log_variance(0) == 0xffff);
  CHECK(scaled_log_variance(std::ldexp(1.0, 200)) == 0xffff);  // clamped
}

namespace {
// 2026-12-31T00:00:00Z = 20818 days after 1970-01-01; the leap is at the end of that day.
constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kLeapDay = 20818 * kDay;
constexpr std::int64_t kBoundary = kLeapDay + kDay;  // 2027-01-01T00:00:00Z
}  // namespace

TEST_CASE("leap warning from the receiver: only on the leap's UTC day", "[unit][leap]") {
  LeapState ls(37, nullptr);
  TimeReport tr;
  tr.utc_s = kLeapDay + 12 * 3600;  // announced at noon
  tr.tai_utc_s = 37;
  tr.leap = LeapWarning::insert;
  ls.on_report(tr);
  CHECK(ls.warning_at_utc(kLeapDay - 1) == LeapWarning::none);
  CHECK(ls.warning_at_utc(kLeapDay) == LeapWarning::insert);
  CHECK(ls.warning_at_utc(kBoundary - 1) == LeapWarning::insert);
  CHECK(ls.warning_at_utc(kBoundary) == LeapWarning::none);
  // TAI − UTC switches exactly at the inserted second (TAI boundary + 37).
  CHECK(ls.tai_utc_at_tai(kBoundary + 36) == 37);
  CHECK(ls.tai_utc_at_tai(kBoundary + 37) == 38);
  CHECK(ls.tai_utc_at_utc(kBoundary) == 38);
  CHECK(ls.tai_utc_at_utc(kBoundary - 2) == 37);
  // A report without TAI − UTC right at the leap cannot name a TAI second.
  TimeReport near;
  near.utc_s = kBoundary - 1;
  CHECK_FALSE(ls.tai_of_report(near).has_value());
  near.tai_utc_s = 38;   // the receiver names the inserted second 23:59:59 with 38
  CHECK(*ls.tai_of_report(near) == kBoundary + 37);
}

TEST_CASE("leap warning from leap-seconds.list when the receiver says nothing", "[unit][leap]") {
  std::string text = "3692217600 37\n" + std::to_string(kBoundary + 2208988800LL) + " 38\n";
  auto table = std::make_shared<const nanotime::timescale::LeapTable>(
      nanotime::timescale::LeapTable::parse(text));
  LeapState ls(30, table);
  ls.on_utc(kLeapDay - 10);
  CHECK(ls.tai_utc_at_utc(kLeapDay - 10) == 37);   // the table beats the fallback 30
  CHECK(ls.offset_known());
  CHECK(ls.warning_at_utc(kLeapDay - 10) == LeapWarning::none);
  ls.on_utc(kLeapDay + 5);
  CHECK(ls.warning_at_utc(kLeapDay + 5) == LeapWarning::insert);
  CHECK(ls.tai_utc_at_tai(kBoundary + 37) == 38);
}

TEST_CASE("clock quality per lock state", "[unit][quality]") {
  LeapState ls(37, nullptr);
  constexpr std::uint16_t kVar = 0x4e00;
  ClockQuality q = clock_quality(LockState::tracking, 30, kVar, 52, ls, 0);
  CHECK(q.clock_class == 6);
  CHECK(q.clock_accuracy == 0x21);
  CHECK(q.error_bound_ns == 100);           // rounded up to the accuracy class
  CHECK(q.offset_scaled_log_variance == kVar);
  CHECK(q.time_traceable);
  CHECK(q.frequency_traceable);
  CHECK_FALSE(q.utc_offset_valid);          // nobody said TAI − UTC yet
  q = clock_quality(LockState::holdover, 600, kVar, 52, ls, 0);
  CHECK(q.clock_class == 7);
  CHECK(q.clock_accuracy == 0x23);
  CHECK(q.time_traceable);
  q = clock_quality(LockState::freerun, 5000, kVar, 187, ls, 0);
  CHECK(q.clock_class == 187);
  CHECK(q.clock_accuracy == 0x25);
  CHECK(q.offset_scaled_log_variance == 0xffff);
  CHECK_FALSE(q.time_traceable);
  for (LockState s : {LockState::acquiring, LockState::converging}) {
    q = clock_quality(s, 30, kVar, 52, ls, 0);
    CHECK(q.clock_class == 248);
    CHECK(q.clock_accuracy == 0xfe);
    CHECK(std::isinf(q.error_bound_ns));
    CHECK_FALSE(q.frequency_traceable);
  }
}

TEST_CASE("clock quality carries the leap warning of the last pulse's day", "[unit][quality]") {
  LeapState ls(37, nullptr);
  TimeReport tr;
  tr.utc_s = kLeapDay + 12 * 3600;
  tr.tai_utc_s = 37;
  tr.leap = LeapWarning::insert;
  ls.on_report(tr);
  ClockQuality q = clock_quality(LockState::tracking, 30, 0x4e00, 52, ls, kLeapDay + 37);
  CHECK(q.leap61);
  CHECK_FALSE(q.leap59);
  CHECK(q.utc_offset_valid);
  CHECK(q.tai_utc_s == 37);
  CHECK_FALSE(clock_quality(LockState::tracking, 30, 0x4e00, 52, ls, kLeapDay - 1).leap61);
}

TEST_CASE("the log variance moves only by more than one log2 unit", "[unit][quality]") {
  LogVariance v;
  CHECK(v.value() == 0xffff);
  // σ_y²(1 s) = 6R/2 with R = 1 ns²: PTPVAR = 3e-18/3 s² = 1e-18 s².
  v.update(nanotime::servo::NoiseModel{1, 0, 0});
  const std::uint16_t first = scaled_log_variance(1e-18);
  CHECK(v.value() == first);
  v.update(nanotime::servo::NoiseModel{1.9, 0, 0});   // < 2×: stays
  CHECK(v.value() == first);
  v.update(nanotime::servo::NoiseModel{2.1, 0, 0});   // > 2×: moves
  CHECK(v.value() == scaled_log_variance(2.1e-18));
}

TEST_CASE("temperature coefficient is recovered despite random-walk frequency", "[unit][temperature]") {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n01(0, 1);
  TemperatureModel tm;
  const std::int64_t s = 1000000000;
  double rw = 0;
  for (std::int64_t t = 0; t < 2 * 86400; ++t) {
    // ±3 °C over 6 h, plus an 8 °C step after a day.
    double temp = 45 + 3 * std::sin(2 * M_PI * static_cast<double>(t) / 21600) + (t > 86400 ? 8 : 0);
    rw += 0.3 * n01(rng);
    double freq = 13400 - 60 * (temp - 45) + rw + 1.0 * n01(rng);
    tm.add_temperature(t * s, temp + 0.1 * n01(rng));
    tm.add_frequency(t * s, freq);
  }
  CHECK(tm.identified());
  CHECK(tm.coefficient() == Approx(-60).margin(6));
  CHECK(tm.coefficient_sd() < 6);
  CHECK(tm.usable_coefficient() == tm.coefficient());
}

TEST_CASE("no temperature variation: the coefficient is not identified", "[unit][temperature]") {
  std::mt19937_64 rng(4);
  std::normal_distribution<double> n01(0, 1);
  TemperatureModel tm;
  double rw = 0;
  for (std::int64_t t = 0; t < 86400; ++t) {
    rw += 0.8 * n01(rng);
    tm.add_temperature(t * 1000000000, 45 + 0.1 * n01(rng));
    tm.add_frequency(t * 1000000000, rw);
  }
  CHECK_FALSE(tm.identified());
  CHECK(tm.usable_coefficient() == 0);
  CHECK(tm.usable_coefficient_sd() == 50);  // the prior: holdover bounds stay honest
}

TEST_CASE("edge corrections: qErr of the same second, half a learned tick, cable delay",
          "[unit][edge]") {
  constexpr std::int64_t kS = 1000000000;
  EdgeCorrections c;
  // Nothing known: only the 1 ns default tick's half, and the cable delay.
  CHECK(c.correction_ns(100, 100 * kS, 30) == Approx(0.5 - 30));
  // Timestamps on an 8 ns counter: after 32 of them the tick is 8 ns.
  for (std::int64_t k = 0; k < 31; ++k) c.on_timestamp(1700000000 * kS + k * kS + 8 * (k % 5));
  CHECK(c.correction_ns(100, 100 * kS, 0) == Approx(0.5));
  c.on_timestamp(1700000031 * kS + 16);
  CHECK(c.correction_ns(100, 100 * kS, 0) == Approx(4));
  // The pulse left the receiver qErr late: subtracted, for its own second and edge only.
  c.on_pulse_report(PulseReport{100, 100 * kS + 2000, 7.5});
  c.on_pulse_report(PulseReport{101, 101 * kS, std::nullopt});  // no qErr: not kept
  CHECK(c.correction_ns(100, 100 * kS, 0) == Approx(4 - 7.5));
  CHECK(c.correction_ns(101, 101 * kS, 0) == Approx(4));
  CHECK(c.correction_ns(100, 100 * kS + 2000 + kS / 2, 0) == Approx(4));  // half a second off
  // Only the last eight reports are kept.
  for (std::int64_t s = 102; s < 110; ++s) c.on_pulse_report(PulseReport{s, s * kS, 1.0});
  CHECK(c.correction_ns(100, 100 * kS, 0) == Approx(4));
  CHECK(c.correction_ns(102, 102 * kS, 0) == Approx(3));
}

TEST_CASE("edge corrections: a known tick is not relearned", "[unit][edge]") {
  constexpr std::int64_t kS = 1000000000;
  // A re-servo's moved timestamps are off the recorded 8 ns grid but carry its truncation.
  EdgeCorrections c(8);
  CHECK(c.correction_ns(100, 100 * kS, 0) == Approx(4));
  for (std::int64_t k = 0; k < 64; ++k) c.on_timestamp(1700000000 * kS + k * kS + 3 * k + 1);
  CHECK(c.correction_ns(100, 100 * kS, 0) == Approx(4));
  EdgeCorrections learned(0);
  for (std::int64_t k = 0; k < 64; ++k) learned.on_timestamp(1700000000 * kS + k * kS + 3 * k + 1);
  CHECK(learned.correction_ns(100, 100 * kS, 0) == Approx(0.5));
}

TEST_CASE("tick gcd: the common divisor as a tick, 1 ns beyond 1 µs or with none", "[unit][edge]") {
  TickGcd none;
  CHECK(none.tick_ns() == 1);  // nothing seen
  TickGcd eight;
  for (const std::int64_t t : {800, -1608, 2400}) eight.add(t);  // gcd 8, a negative included
  CHECK(eight.tick_ns() == 8);
  TickGcd coarse;
  coarse.add(2000);
  coarse.add(4000);  // gcd 2000 ns: not a counter's tick
  CHECK(coarse.tick_ns() == 1);
  TickGcd extreme;  // a garbled recording's INT64_MIN: 2^63, no overflow
  extreme.add(std::numeric_limits<std::int64_t>::min());
  extreme.add(24);
  CHECK(extreme.tick_ns() == 8);
}
