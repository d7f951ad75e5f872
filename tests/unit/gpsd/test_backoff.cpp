#include <catch2/catch.hpp>

#include "gpsd/backoff.hpp"

using nanotime::gpsd::Backoff;
constexpr std::int64_t kS = 1'000'000'000;

TEST_CASE("reconnect backoff doubles from 1 s to a 30 s cap and resets on success", "[unit]") {
  Backoff b;
  CHECK(b.due(0));  // first attempt at once
  std::int64_t now = 100 * kS;
  const std::int64_t expected_s[] = {1, 2, 4, 8, 16, 30, 30, 30};
  for (const std::int64_t e : expected_s) {
    b.failed(now);
    CHECK(b.next_attempt_ns() - now == e * kS);
    CHECK_FALSE(b.due(now + e * kS - 1));  // never early: no busy loop
    CHECK(b.due(now + e * kS));
    now += e * kS;
  }
  b.succeeded();
  b.failed(now);
  CHECK(b.next_attempt_ns() - now == 1 * kS);
}
