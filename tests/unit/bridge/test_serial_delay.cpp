#include <catch2/catch.hpp>

#include <cstdint>
#include <random>

#include "serial_delay.hpp"

using namespace nanotime::bridge;
constexpr std::int64_t kS = 1'000'000'000;

TEST_CASE("serial delay: exact pairs give the delay; no estimate before 5 pairs", "[unit]") {
  SerialDelayEstimator e;
  // System clock 3.2 s behind true time: it cancels, only arrival − edge counts.
  const std::int64_t sys_off = -3'200'000'000;
  for (int i = 0; i < 5; ++i) {
    const std::int64_t sec = 1'700'000'000 + i;
    CHECK_FALSE(e.estimate_ns().has_value());
    CHECK_FALSE(e.add_pulse(sec * kS, sec * kS + sys_off + 1000));
    CHECK(e.add_time(sec * kS, sec * kS + sys_off + 1000 + 137'000'000));
  }
  REQUIRE(e.estimate_ns().has_value());
  CHECK(*e.estimate_ns() == 137'000'000);
}

TEST_CASE("serial delay: converges with noise and outliers, either order", "[unit]") {
  SerialDelayEstimator e;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 2e6);  // 2 ms sd of message arrival
  const double delay = 180e6;
  for (int i = 0; i < 200; ++i) {
    const std::int64_t sec = 1'700'000'000 + i;
    const std::int64_t edge = sec * kS + 40'000;
    double d = delay + noise(rng);
    if (i % 10 == 3) d += 600e6;  // a late message (system busy)
    if (i % 2 == 0) {
      e.add_pulse(sec * kS, edge);
      e.add_time(sec * kS, edge + static_cast<std::int64_t>(d));
    } else {
      e.add_time(sec * kS, edge + static_cast<std::int64_t>(d));
      e.add_pulse(sec * kS, edge);
    }
  }
  REQUIRE(e.estimate_ns().has_value());
  CHECK(*e.estimate_ns() == Approx(delay).margin(1.5e6));
  CHECK(e.pairs() == SerialDelayEstimator::kDefaultCapacity);
}

TEST_CASE("serial delay: reports of different seconds, or negative delays, do not pair", "[unit]") {
  SerialDelayEstimator e;
  const std::int64_t sec = 1'700'000'000;
  CHECK_FALSE(e.add_pulse(sec * kS, sec * kS));
  CHECK_FALSE(e.add_time((sec + 1) * kS, sec * kS + 100'000'000));  // other second
  CHECK_FALSE(e.add_time(sec * kS, sec * kS - 5));                  // before the edge
  CHECK_FALSE(e.add_pulse((sec + 5) * kS, (sec + 5) * kS));
  CHECK_FALSE(e.add_time((sec + 5) * kS, (sec + 6) * kS));          // a whole second: not a delay
  CHECK(e.pairs() == 0);
}

TEST_CASE("serial delay: the median ignores a lost pulse's mispairing", "[unit]") {
  SerialDelayEstimator e;
  for (int i = 0; i < 9; ++i) {
    const std::int64_t sec = 1'700'000'000 + i;
    e.add_pulse(sec * kS, sec * kS);
    e.add_time(sec * kS, sec * kS + (i == 4 ? 900'000'000 : 100'000'000));
  }
  CHECK(*e.estimate_ns() == 100'000'000);
}
