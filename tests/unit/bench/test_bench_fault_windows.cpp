// bench/fault_windows: when servo-bench judges "back to clockClass 6 within 600 s of every
// fault", on hand-made fault lists and clockClass series.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "fault_windows.hpp"

using namespace nanotime::bench;

namespace {

constexpr std::int64_t kRecoverS = 600;
constexpr std::uint8_t kLocked = 6;
constexpr std::uint8_t kHoldover = 7;

// clockClass per second: locked, then holdover over [from_s, to_s), then locked again.
std::vector<std::uint8_t> holdover_between(std::size_t from_s, std::size_t to_s, std::size_t n_s) {
  std::vector<std::uint8_t> cc(n_s, kLocked);
  for (std::size_t k = from_s; k < to_s; ++k) cc[k] = kHoldover;
  return cc;
}

}  // namespace

TEST_CASE("a point fault inside a window is judged at the window's end", "[unit]") {
  // A temperature step at 500 s during a pulse outage [100, 1900): the old per-fault ends
  // were {1900, 500}.
  const auto cps = recovery_checkpoints_s({{100, 1900}, {500, 500}});
  CHECK(cps == std::vector<double>{1900});
}

TEST_CASE("separate faults keep their own checkpoints, in time order", "[unit]") {
  CHECK(recovery_checkpoints_s({{300, 300}, {100, 200}}) == std::vector<double>{200, 300});
  CHECK(recovery_checkpoints_s({}).empty());
}

TEST_CASE("overlapping, touching and chained windows merge into one", "[unit]") {
  CHECK(recovery_checkpoints_s({{0, 100}, {50, 200}}) == std::vector<double>{200});   // partial
  CHECK(recovery_checkpoints_s({{0, 100}, {100, 150}}) == std::vector<double>{150});  // touching
  CHECK(recovery_checkpoints_s({{150, 400}, {0, 100}, {50, 200}, {900, 950}}) ==
        std::vector<double>{400, 950});                                               // chain
  CHECK(recovery_checkpoints_s({{0, 1000}, {10, 20}, {30, 40}}) == std::vector<double>{1000});
}

TEST_CASE("a correct run with a fault inside another passes; a slow recovery fails", "[unit]") {
  // Holdover from the outage's start until 50 s after its end.
  const auto cc = holdover_between(100, 1950, 4000);
  const auto cps = recovery_checkpoints_s({{100, 1900}, {500, 500}});
  CHECK(recovered_after_checkpoints(cps, cc, kRecoverS));
  // Judging the inner step from its own end (the old logic) fails this correct run.
  CHECK_FALSE(recovered_after_checkpoints({500, 1900}, cc, kRecoverS));
  // Still locked out 601 s after the group's end: a real failure.
  CHECK_FALSE(recovered_after_checkpoints(cps, holdover_between(100, 1900 + 601, 4000), kRecoverS));
  CHECK(recovered_after_checkpoints(cps, holdover_between(100, 1900 + 600, 4000), kRecoverS));
}

TEST_CASE("a checkpoint too close to the run's end is not judged", "[unit]") {
  const auto cc = holdover_between(100, 2000, 2000);  // never back: the run ends first
  CHECK(recovered_after_checkpoints({1900}, cc, kRecoverS));
  CHECK_FALSE(recovered_after_checkpoints({1000}, holdover_between(100, 2000, 2000), kRecoverS));
}

TEST_CASE("fault_spans lists every kind of fault of a profile", "[unit]") {
  nanotime::sim::Profile p;
  p.faults.pps_outage.push_back({100, 1800});
  p.faults.tod_outage.push_back({3000, 120});
  p.faults.carrier_loss.push_back({4000, 45});
  p.faults.tod_wrong.push_back({{5000, 60}, 1});
  p.faults.tod_late.push_back({{6000, 300}, 0.6});
  p.faults.outlier.push_back({7000, 800});
  p.faults.phase_jump.push_back({8000, 50});
  p.faults.temperature_step.push_back({9000, 5});
  p.temperature.steps.push_back({500, 8});  // inside the pulse outage
  const auto spans = fault_spans(p);
  REQUIRE(spans.size() == 9);
  CHECK(recovery_checkpoints_s(spans) ==
        std::vector<double>{1900, 3120, 4045, 5060, 6300, 7000, 8000, 9000});
}
