#include <catch2/catch.hpp>

#include "offset_gate.hpp"

using namespace nanotime::bridge;

namespace {
constexpr double kMs = 1e6;  // ns
// tolerance 50 ms, 3 confirmations, median of 9: the bridge's defaults.
OffsetGate make_gate() { return OffsetGate(50 * kMs, 3, 9); }

void prime(OffsetGate& g, double level) {
  CHECK(g.submit(level) == GateVerdict::held);
  CHECK(g.submit(level + 1 * kMs) == GateVerdict::held);
  CHECK(g.submit(level - 1 * kMs) == GateVerdict::confirmed);
}
}  // namespace

TEST_CASE("median_of: odd, even, unsorted", "[unit]") {
  CHECK(median_of({3, 1, 2}) == 2);
  CHECK(median_of({4, 1, 3, 2}) == 2.5);
  CHECK(median_of({5}) == 5);
}

TEST_CASE("gate: nothing passes at start until confirm reports agree", "[unit]") {
  OffsetGate g = make_gate();
  CHECK_FALSE(g.primed());
  prime(g, 120 * kMs);
  CHECK(g.primed());
  CHECK(g.median_ns() == Approx(120 * kMs));
  CHECK(g.submit(121 * kMs) == GateVerdict::pass);
}

TEST_CASE("gate: a receiver that starts with scattered wrong times is not passed", "[unit]") {
  OffsetGate g = make_gate();
  // Each report disagrees with the one before: no run of 3 ever forms.
  for (int i = 0; i < 20; ++i) CHECK(g.submit((i % 2 == 0 ? 0 : 1000) * kMs + i * kMs) == GateVerdict::held);
  CHECK_FALSE(g.primed());
}

TEST_CASE("gate: a one-report jump of 1 s is held back and the level goes on", "[unit]") {
  OffsetGate g = make_gate();
  prime(g, 0);
  for (int i = 0; i < 5; ++i) CHECK(g.submit(0.5 * kMs) == GateVerdict::pass);
  CHECK(g.submit(1000 * kMs) == GateVerdict::held);  // the jump
  CHECK(g.submit(0.2 * kMs) == GateVerdict::pass);   // back to normal at once
  CHECK(g.held_run() == 0);
  // Two jumps in a row are still not enough with confirm = 3.
  CHECK(g.submit(-1000 * kMs) == GateVerdict::held);
  CHECK(g.submit(-1000 * kMs) == GateVerdict::held);
  CHECK(g.submit(0.1 * kMs) == GateVerdict::pass);
}

TEST_CASE("gate: a real step is followed after exactly confirm reports", "[unit]") {
  OffsetGate g = make_gate();
  prime(g, 0);
  for (int i = 0; i < 9; ++i) CHECK(g.submit(0) == GateVerdict::pass);
  CHECK(g.submit(1000 * kMs) == GateVerdict::held);
  CHECK(g.submit(1000.5 * kMs) == GateVerdict::held);
  CHECK(g.submit(999.8 * kMs) == GateVerdict::confirmed);
  CHECK(g.median_ns() == Approx(1000 * kMs));
  CHECK(g.submit(1000.1 * kMs) == GateVerdict::pass);
  CHECK(g.submit(0) == GateVerdict::held);  // the old level is now the outlier
}

TEST_CASE("gate: an interrupted run starts over", "[unit]") {
  OffsetGate g = make_gate();
  prime(g, 0);
  CHECK(g.submit(500 * kMs) == GateVerdict::held);
  CHECK(g.submit(500 * kMs) == GateVerdict::held);
  CHECK(g.submit(-700 * kMs) == GateVerdict::held);  // disagrees with the run: new run of 1
  CHECK(g.held_run() == 1);
  CHECK(g.submit(500 * kMs) == GateVerdict::held);
  CHECK(g.submit(500 * kMs) == GateVerdict::held);
  CHECK(g.submit(500 * kMs) == GateVerdict::confirmed);
}

TEST_CASE("gate: tolerance is inclusive, median follows a slow drift", "[unit]") {
  OffsetGate g(50 * kMs, 1, 9);
  CHECK(g.submit(0) == GateVerdict::confirmed);  // confirm = 1: first report passes
  CHECK(g.submit(50 * kMs) == GateVerdict::pass);
  OffsetGate d = make_gate();
  prime(d, 0);
  // 10 ms per report: always within 50 ms of the window's median.
  for (int i = 1; i <= 100; ++i) CHECK(d.submit(i * 10 * kMs) == GateVerdict::pass);
}

TEST_CASE("gate: NaN is never passed", "[unit]") {
  OffsetGate g = make_gate();
  prime(g, 0);
  CHECK(g.submit(std::nan("")) == GateVerdict::held);
}

TEST_CASE("gate: reset requires confirmation again", "[unit]") {
  OffsetGate g = make_gate();
  prime(g, 0);
  g.reset();
  CHECK(g.submit(0) == GateVerdict::held);
}
