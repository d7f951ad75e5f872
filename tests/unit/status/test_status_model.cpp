// The status model: ring buffers, histories, state sets and the registry's naming rules.
#include <catch2/catch.hpp>

#include <cmath>

#include "status/catalog.hpp"
#include "status/metrics.hpp"
#include "status/ring_buffer.hpp"

using namespace nanotime::status;

TEST_CASE("ring buffer keeps the newest items, oldest first", "[unit]") {
  RingBuffer<int> r(3);
  CHECK(r.empty());
  r.push(1);
  r.push(2);
  CHECK(r.size() == 2);
  CHECK(r[0] == 1);
  CHECK(r.back() == 2);
  r.push(3);
  r.push(4);  // overwrites 1
  r.push(5);  // overwrites 2
  REQUIRE(r.size() == 3);
  CHECK(r[0] == 3);
  CHECK(r[1] == 4);
  CHECK(r[2] == 5);
  CHECK(r.back() == 5);
  r.clear();
  CHECK(r.empty());
  r.push(9);
  CHECK(r[0] == 9);
  CHECK_THROWS_AS(RingBuffer<int>(0), std::invalid_argument);
}

TEST_CASE("ring buffer wraps many times without growing", "[unit]") {
  RingBuffer<int> r(3600);
  for (int i = 0; i < 10000; ++i) r.push(i);
  REQUIRE(r.size() == 3600);
  CHECK(r.capacity() == 3600);
  CHECK(r[0] == 10000 - 3600);
  CHECK(r.back() == 9999);
}

TEST_CASE("history: one point per resolution slot, averaged", "[unit]") {
  History h("x_seconds", "seconds", "help", 4, 1.0);
  h.push(100.2, 1.0);
  h.push(100.7, 3.0);   // same slot [100, 101): mean 2
  h.push(101.1, 10.0);
  REQUIRE(h.points().size() == 2);
  CHECK(h.points()[0].value == 2.0);
  CHECK(h.points()[0].t_s == 100.7);
  CHECK(h.points()[1].value == 10.0);
  // Older than the newest slot (a wall-clock step back): dropped, counted.
  h.push(99.5, 5.0);
  CHECK(h.points().size() == 2);
  CHECK(h.dropped() == 1);
  h.push(std::nan(""), 1.0);
  CHECK(h.dropped() == 2);
  // Capacity bounds the hour.
  for (int t = 102; t < 110; ++t) h.push(t, t);
  REQUIRE(h.points().size() == 4);
  CHECK(h.points()[0].t_s == 106);
  CHECK(h.points()[3].t_s == 109);
}

TEST_CASE("history: 1 Hz for two hours keeps exactly the last hour", "[unit]") {
  History h("phc_offset_seconds", "seconds", "help", kHistoryPoints, kHistoryResolutionS);
  const double t0 = 1.79e9;
  for (int i = 0; i < 7200; ++i) h.push(t0 + i + 0.25, i * 1e-9);
  REQUIRE(h.points().size() == 3600);
  CHECK(h.points()[0].t_s == t0 + 3600 + 0.25);
  CHECK(h.points()[0].value == 3600 * 1e-9);
  CHECK(h.points().back().t_s == t0 + 7199 + 0.25);
}

TEST_CASE("history: unknown values are not averaged", "[unit]") {
  History h("error_bound_seconds", "seconds", "help", 4, 1.0);
  h.push(10.1, 2.0);
  h.push(10.5, INFINITY);
  CHECK(std::isinf(h.points().back().value));
  h.push(10.9, 4.0);  // the latest stands: no inf − inf = NaN
  CHECK(h.points().back().value == 4.0);
  h.push(11.2, 1.0);
  h.push(11.4, 3.0);
  CHECK(h.points().back().value == 2.0);
}

TEST_CASE("history with resolution 0 keeps every point", "[unit]") {
  History h("v", "", "help", 10, 0.0);
  h.push(1.0, 1);
  h.push(1.0, 2);
  CHECK(h.points().size() == 2);
}

TEST_CASE("state set records only changes in its timeline", "[unit]") {
  StateSet s({"acquiring", "tracking", "holdover"}, 2);
  CHECK_FALSE(s.known());
  CHECK(s.state().empty());
  s.set("acquiring", 10);
  s.set("acquiring", 11);  // not a change
  s.set("tracking", 12);
  REQUIRE(s.timeline().size() == 2);
  CHECK(s.timeline()[0].t_s == 10);
  CHECK(s.timeline()[1].state == 1);
  CHECK(s.state() == "tracking");
  CHECK(s.since_s() == 12);
  s.set_index(2, 13);  // timeline capacity 2: the oldest change goes
  CHECK(s.timeline()[0].t_s == 12);
  CHECK(s.timeline()[1].t_s == 13);
  CHECK_THROWS_AS(s.set("bogus", 14), std::invalid_argument);
  CHECK_THROWS_AS(s.set_index(3, 14), std::invalid_argument);
}

TEST_CASE("gauges start as NaN, counters only go up", "[unit]") {
  Registry reg;
  Gauge& g = reg.gauge("nanotime_x_seconds", "seconds", "x");
  CHECK(std::isnan(g.value()));
  g.set(2.5);
  CHECK(g.value() == 2.5);
  g.set_bool(false);
  CHECK(g.value() == 0.0);
  Counter& c = reg.counter("nanotime_events_total", "", "events");
  c.inc();
  c.inc(4);
  CHECK(c.value() == 5);
  c.set(3);  // a smaller mirror value is ignored
  CHECK(c.value() == 5);
  c.set(7);
  CHECK(c.value() == 7);
}

TEST_CASE("registry enforces the Prometheus naming rules", "[unit]") {
  Registry reg;
  CHECK_THROWS_AS(reg.gauge("nanotime_offset", "seconds", "no unit suffix"), std::invalid_argument);
  CHECK_THROWS_AS(reg.gauge("offset_seconds", "seconds", "no prefix"), std::invalid_argument);
  CHECK_THROWS_AS(reg.gauge("nanotime-offset_seconds", "seconds", "bad char"), std::invalid_argument);
  CHECK_THROWS_AS(reg.gauge("nanotime_x_seconds", "seconds", ""), std::invalid_argument);
  CHECK_THROWS_AS(reg.counter("nanotime_pulses", "", "no _total"), std::invalid_argument);
  CHECK_THROWS_AS(reg.gauge("nanotime_pulses_total", "", "gauge with _total"), std::invalid_argument);
  CHECK_THROWS_AS(reg.info("nanotime_build", "no _info", {}), std::invalid_argument);
  CHECK_THROWS_AS(reg.gauge("nanotime_x", "", "h", {{"__reserved", "v"}}), std::invalid_argument);
  CHECK_THROWS_AS(reg.gauge("nanotime_x", "", "h", {{"a", "1"}, {"a", "2"}}), std::invalid_argument);
  CHECK_THROWS_AS(reg.state_set("nanotime_s", "h", {"a", "a"}), std::invalid_argument);
  CHECK_NOTHROW(reg.counter("nanotime_delay_seconds_total", "seconds", "unit before _total"));

  reg.counter("nanotime_pulses_total", "", "p", {{"result", "seen"}});
  reg.counter("nanotime_pulses_total", "", "p", {{"result", "used"}});
  CHECK_THROWS_AS(reg.counter("nanotime_pulses_total", "", "p", {{"result", "seen"}}), std::invalid_argument);
  CHECK_THROWS_AS(reg.counter("nanotime_pulses_total", "", "other help", {{"result", "x"}}), std::invalid_argument);
  CHECK_THROWS_AS(reg.gauge("nanotime_pulses_total", "", "p", {{"result", "x"}}), std::invalid_argument);
  REQUIRE(reg.find("nanotime_pulses_total") != nullptr);
  CHECK(reg.find("nanotime_pulses_total")->counters.size() == 2);

  reg.history("phc_offset_seconds", "seconds", "h", 10, 1);
  CHECK_THROWS_AS(reg.history("phc_offset_seconds", "seconds", "h", 10, 1), std::invalid_argument);
  CHECK_THROWS_AS(reg.history("phc_offset", "seconds", "h", 10, 1), std::invalid_argument);
}

TEST_CASE("valid names", "[unit]") {
  CHECK(valid_metric_name("nanotime_a:b_1"));
  CHECK_FALSE(valid_metric_name("1abc"));
  CHECK_FALSE(valid_metric_name(""));
  CHECK(valid_label_name("result"));
  CHECK_FALSE(valid_label_name("a:b"));
  CHECK_FALSE(valid_label_name("__name__"));
}

TEST_CASE("info labels can change, unknown keys cannot be added", "[unit]") {
  Registry reg;
  Info& i = reg.info("nanotime_chrony_info", "h", {{"selected_source", ""}});
  i.set("selected_source", "PHC0");
  CHECK(i.get("selected_source") == "PHC0");
  CHECK_THROWS_AS(i.set("other", "x"), std::invalid_argument);
}

TEST_CASE("the catalogue registers both daemons' metrics without conflicts", "[unit]") {
  // Both daemons' structs on one registry proves the names are unique across the project.
  Registry reg;
  CommonMetrics common(reg, "phc-pps-sync", "0.1.0", 1.79e9);
  GpsdMetrics gpsd(reg);
  PhcSyncMetrics phc(reg);
  BridgeMetrics bridge(reg);
  CHECK(common.start_time.value() == 1.79e9);
  phc.set_lock_state(2, 100.0);
  CHECK(phc.lock_state.state() == "tracking");
  phc.set_pulse_counts({.seen = 10, .used = 8, .lost = 1, .ambiguous = 0, .stale = 1, .outlier = 0});
  CHECK(phc.pulses_used.value() == 8);
  phc.record_pulse(100.5, -3e-9, 1.5e-9, 2e-8);
  CHECK(phc.phc_offset.value() == -3e-9);
  CHECK(phc.offset_history.points().size() == 1);
  CHECK(phc.frequency_history.points()[0].value == 1.5e-9);
  bridge.record_serial_offset(100.5, 0.123);
  CHECK(bridge.serial_offset_history.points()[0].value == 0.123);
  for (std::size_t i = 0; i < kLockStates.size(); ++i) {
    CHECK(phc.lock_state.states()[i] == kLockStates[i]);
  }
}
