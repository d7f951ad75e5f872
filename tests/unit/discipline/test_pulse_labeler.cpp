// PulseLabeler: every case where a naive "next message" labeller goes wrong. Time is simulated:
// edge k at true (= mono) time k s; the PHC reads TAI + offset.
#include <catch2/catch.hpp>

#include <vector>

#include "discipline/pulse_labeler.hpp"

using namespace nanotime::discipline;

namespace {
constexpr std::int64_t kS = 1000000000;
constexpr std::int64_t kMono0 = 5000 * kS;     // mono at true time 0
constexpr std::int64_t kTai0 = 1800000000;    // TAI second of edge 0
constexpr int kTaiUtc = 37;

std::int64_t ms(double s) { return static_cast<std::int64_t>(s * 1e9); }

struct Harness {
  PulseLabeler lab;
  std::int64_t phc_offset_ns;   // PHC − TAI
  std::vector<LabeledPulse> got;

  explicit Harness(std::int64_t offset, LabelerConfig c = {})
      : lab(c, [](const TimeReport& tr) -> std::optional<std::int64_t> {
          return tr.utc_s + tr.tai_utc_s.value_or(kTaiUtc);
        }),
        phc_offset_ns(offset) {}

  std::int64_t phc_of_edge(std::int64_t k) const { return (kTai0 + k) * kS + phc_offset_ns; }
  void add(const std::vector<LabeledPulse>& v) { got.insert(got.end(), v.begin(), v.end()); }
  void extts(std::int64_t k, double delay_s) {
    add(lab.on_extts({phc_of_edge(k), kMono0 + k * kS + ms(delay_s)}));
  }
  void extts_raw(std::int64_t phc, double at_s) { add(lab.on_extts({phc, kMono0 + ms(at_s)})); }
  // A report naming edge k (UTC second), arriving delay_s after edge `arrive_after`.
  void tod(std::int64_t k, double delay_s, std::int64_t wrong_s = 0) {
    TimeReport tr;
    tr.utc_s = kTai0 + k - kTaiUtc + wrong_s;
    tr.tai_utc_s = kTaiUtc;
    tr.arrival_mono_ns = kMono0 + k * kS + ms(delay_s);
    add(lab.on_time_report(tr));
  }
  void tick(double at_s) { add(lab.on_tick(kMono0 + ms(at_s))); }
};
}  // namespace

TEST_CASE("unaligned: pulses are labelled from reports, released as a consistent pair",
          "[unit][labeler]") {
  Harness h(1500000000LL * kS + 12345);  // PHC far from TAI (cold start)
  h.extts(0, 0.25);   // EXTTS late by the CM4 poll
  h.tod(0, 0.9);      // time message 0.9 s late
  CHECK(h.got.empty());                 // one label is not enough to step on
  h.extts(1, 0.0);
  h.tod(1, 0.85);
  REQUIRE(h.got.size() == 2);
  CHECK(h.got[0].tai_s == kTai0);
  CHECK(h.got[1].tai_s == kTai0 + 1);
  CHECK(h.got[1].phc_ns == h.phc_of_edge(1));
  h.extts(2, 0.1);
  h.tod(2, 0.3);
  REQUIRE(h.got.size() == 3);
  CHECK(h.got[2].tai_s == kTai0 + 2);
}

TEST_CASE("a report that arrives before the EXTTS event still labels it", "[unit][labeler]") {
  Harness h(777);
  const double delays[] = {0.25, 0.05, 0.24, 0.0, 0.22};
  for (int k = 0; k < 5; ++k) {
    h.tod(k, 0.2);            // report at +0.2 s …
    h.extts(k, delays[k]);    // … EXTTS up to 0.25 s after the edge, often later than that
  }
  // Edge 0: with one EXTTS event its edge may have been as late as its arrival, after the
  // report: unlabelled, dropped. Once a quicker delivery shows the delay, all are labelled.
  REQUIRE(h.got.size() == 4);
  for (int i = 0; i < 4; ++i) CHECK(h.got[i].tai_s == kTai0 + 1 + i);
  CHECK(h.lab.counters().unlabelled == 1);
}

TEST_CASE("ambiguous report timing drops the pulse instead of guessing", "[unit][labeler]") {
  Harness h(1500000000LL * kS);
  // Learn the delivery delay first (edge times known to a few ms).
  for (int k = 0; k < 3; ++k) {
    h.extts(k, 0.01);
    h.tod(k, 0.3);
  }
  std::size_t before = h.got.size();
  // Report for edge 3 arrives 0.97 s after it: 30 ms before edge 4 — which edge did it mean?
  h.extts(3, 0.01);
  h.tod(3, 0.97);
  h.extts(4, 0.01);
  h.tick(4.95);
  // Neither pulse 3 nor 4 may be released with a label from that report.
  for (std::size_t i = before; i < h.got.size(); ++i) {
    INFO("released tai " << h.got[i].tai_s);
    CHECK(false);
  }
  CHECK(h.lab.counters().unlabelled >= 1);
}

TEST_CASE("lost pulses are counted and do not shift labels", "[unit][labeler]") {
  Harness h(42);
  h.lab.set_aligned(true);
  for (int k : {0, 1, 4, 5, 9}) {
    h.extts(k, 0.2);
    h.tod(k, 0.4);
  }
  REQUIRE(h.got.size() == 5);
  CHECK(h.got[2].tai_s == kTai0 + 4);
  CHECK(h.got[4].tai_s == kTai0 + 9);
  CHECK(h.lab.counters().lost == 2 + 3);
}

TEST_CASE("stale duplicates during carrier loss are dropped", "[unit][labeler]") {
  Harness h(42);
  h.lab.set_aligned(true);
  h.extts(0, 0.1);
  h.tod(0, 0.3);
  REQUIRE(h.got.size() == 1);
  for (int i = 1; i <= 8; ++i) h.extts_raw(h.phc_of_edge(0), 0.1 + 0.25 * i);  // repeats
  h.extts_raw(h.phc_of_edge(0) - kS, 2.6);  // an old capture coming back: 1 s off
  h.tick(3.0);
  CHECK(h.got.size() == 1);
  CHECK(h.lab.counters().stale == 9);
}

TEST_CASE("aligned: a report naming the wrong second drops the pulse", "[unit][labeler]") {
  Harness h(42);
  h.lab.set_aligned(true);
  for (int k = 0; k < 3; ++k) {
    h.extts(k, 0.1);
    h.tod(k, 0.35);
  }
  REQUIRE(h.got.size() == 3);
  // tod_wrong: the receiver says second k+1 for 60 s. The PHC says k. The first pulse was
  // already used (with the PHC's label, which is right) when its report disagrees; from then
  // on each pulse waits for its report and is dropped.
  for (int k = 3; k < 63; ++k) {
    h.extts(k, 0.1);
    h.tod(k, 0.35, +1);
  }
  REQUIRE(h.got.size() == 4);
  CHECK(h.got[3].tai_s == kTai0 + 3);   // the PHC's label, not the report's
  CHECK(h.lab.counters().disagreed_after_use == 1);
  CHECK(h.lab.counters().disagreements == 59);
  CHECK_FALSE(h.lab.reacquire_requested());
  // The receiver recovers: the first agreeing report releases its pulse, then pulses flow.
  for (int k = 63; k < 66; ++k) {
    h.extts(k, 0.1);
    h.tod(k, 0.35);
  }
  REQUIRE(h.got.size() == 7);
  CHECK(h.got.back().tai_s == kTai0 + 65);
}

TEST_CASE("aligned: a late report that agrees does not hold pulses back", "[unit][labeler]") {
  Harness h(42);
  h.lab.set_aligned(true);
  for (int k = 0; k < 5; ++k) {
    h.extts(k, 0.1);
    CHECK(h.got.size() == static_cast<std::size_t>(k + 1));  // released at the EXTTS event
    h.tod(k, 0.95);   // UART backlog: the report comes just before the next edge
  }
  CHECK(h.lab.counters().disagreements == 0);
  CHECK(h.lab.counters().disagreed_after_use == 0);
}

TEST_CASE("unaligned: one wrong-second report cannot make a pair", "[unit][labeler]") {
  Harness h(1500000000LL * kS);
  h.extts(0, 0.1);
  h.tod(0, 0.35);
  h.extts(1, 0.1);
  h.tod(1, 0.35, +1);   // names second 2: PHC − label jumps by 1 s
  CHECK(h.got.empty());
  CHECK(h.lab.counters().inconsistent == 1);
  h.extts(2, 0.1);
  h.tod(2, 0.35, +1);   // the wrong one and this one agree with each other …
  REQUIRE(h.got.size() == 2);  // … so they pair (nothing can tell a consistently wrong clock)
  CHECK(h.got[0].tai_s == kTai0 + 2);
}

TEST_CASE("persistent disagreement asks to re-acquire", "[unit][labeler]") {
  LabelerConfig c;
  c.relabel_after_s = 100;
  Harness h(42 + kS, c);   // the PHC was aligned one second off
  h.lab.set_aligned(true);
  for (int k = 0; k < 99; ++k) {
    h.extts(k, 0.1);
    h.tod(k, 0.35);
  }
  CHECK(h.got.size() <= 1);   // only the one used before its report came
  CHECK_FALSE(h.lab.reacquire_requested());
  for (int k = 99; k < 103; ++k) {
    h.extts(k, 0.1);
    h.tod(k, 0.35);
  }
  CHECK(h.lab.reacquire_requested());
}

TEST_CASE("aligned without reports: the PHC labels, without waiting", "[unit][labeler]") {
  Harness h(42);
  h.lab.set_aligned(true);
  for (int k = 0; k < 10; ++k) {
    h.extts(k, 0.1);
    h.tick(k + 0.5);
  }
  REQUIRE(h.got.size() >= 9);
  CHECK(h.got.back().tai_s == kTai0 + 9);
  CHECK_FALSE(h.got.back().tod_confirmed);
}

TEST_CASE("both edges: the falling edge is discarded", "[unit][labeler]") {
  LabelerConfig c;
  c.both_edges = true;
  c.pulse_width_s = 0.1;
  Harness h(42, c);
  h.lab.set_aligned(true);
  for (int k = 0; k < 5; ++k) {
    h.extts(k, 0.001);
    h.extts_raw(h.phc_of_edge(k) + ms(0.1), k + 0.101);  // falling edge
    h.tod(k, 0.15);
  }
  // The very first event cannot be classified and is dropped; then only rising edges.
  REQUIRE(h.got.size() == 4);
  for (const auto& p : h.got) CHECK((p.phc_ns - 42) % kS == 0);
  CHECK(h.lab.counters().falling == 1 + 5);  // first rising (unclassified) + 5 falling
}
