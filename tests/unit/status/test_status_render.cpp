// /metrics (Prometheus text 0.0.4) and /status (JSON) against hand-written expected text.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "status/endpoint.hpp"
#include "status/exposition.hpp"
#include "status/json_writer.hpp"
#include "status/metrics.hpp"
#include "status/status_json.hpp"

using namespace nanotime::status;

namespace {

// A small registry covering every type, labels, escaping and special values.
void fill(Registry& reg) {
  reg.info("nanotime_build_info", "Daemon and version", {{"daemon", "phc-pps-sync"}, {"version", "0.1.0"}});
  auto& lock = reg.state_set("nanotime_lock_state", "Lock state", {"acquiring", "tracking", "holdover"});
  lock.set("acquiring", 100);
  lock.set("tracking", 130.5);
  reg.gauge("nanotime_phc_offset_seconds", "seconds", "PHC - TAI").set(-3.25e-9);
  reg.gauge("nanotime_error_bound_seconds", "seconds", "Bound").set(std::numeric_limits<double>::infinity());
  reg.gauge("nanotime_clock_class", "", "clockClass");  // never set: NaN
  reg.counter("nanotime_pulses_total", "", "Pulses by fate", {{"result", "seen"}}).set(12);
  reg.counter("nanotime_pulses_total", "", "Pulses by fate", {{"result", "used"}}).set(10);
  reg.info("nanotime_chrony_info", "chrony's view\nwith a \\ backslash",
           {{"selected_source", "we\"ird\\src\nx"}});
  auto& h = reg.history("phc_offset_seconds", "seconds", "PHC - TAI", 3, 1.0);
  h.push(129.5, 1e-9);
  h.push(130.5, -2e-9);
}

}  // namespace

TEST_CASE("Prometheus exposition of every metric type", "[unit]") {
  Registry reg;
  fill(reg);
  const std::string expected =
      "# HELP nanotime_build_info Daemon and version\n"
      "# TYPE nanotime_build_info gauge\n"
      "nanotime_build_info{daemon=\"phc-pps-sync\",version=\"0.1.0\"} 1\n"
      "# HELP nanotime_lock_state Lock state\n"
      "# TYPE nanotime_lock_state gauge\n"
      "nanotime_lock_state{state=\"acquiring\"} 0\n"
      "nanotime_lock_state{state=\"tracking\"} 1\n"
      "nanotime_lock_state{state=\"holdover\"} 0\n"
      "# HELP nanotime_phc_offset_seconds PHC - TAI\n"
      "# TYPE nanotime_phc_offset_seconds gauge\n"
      "nanotime_phc_offset_seconds -3.25e-09\n"
      "# HELP nanotime_error_bound_seconds Bound\n"
      "# TYPE nanotime_error_bound_seconds gauge\n"
      "nanotime_error_bound_seconds +Inf\n"
      "# HELP nanotime_clock_class clockClass\n"
      "# TYPE nanotime_clock_class gauge\n"
      "nanotime_clock_class NaN\n"
      "# HELP nanotime_pulses_total Pulses by fate\n"
      "# TYPE nanotime_pulses_total counter\n"
      "nanotime_pulses_total{result=\"seen\"} 12\n"
      "nanotime_pulses_total{result=\"used\"} 10\n"
      "# HELP nanotime_chrony_info chrony's view\\nwith a \\\\ backslash\n"
      "# TYPE nanotime_chrony_info gauge\n"
      "nanotime_chrony_info{selected_source=\"we\\\"ird\\\\src\\nx\"} 1\n";
  CHECK(render_prometheus(reg) == expected);
}

TEST_CASE("a state set before its first state exposes all zeros", "[unit]") {
  Registry reg;
  reg.state_set("nanotime_lock_state", "Lock state", {"a", "b"});
  CHECK(render_prometheus(reg) ==
        "# HELP nanotime_lock_state Lock state\n# TYPE nanotime_lock_state gauge\n"
        "nanotime_lock_state{state=\"a\"} 0\nnanotime_lock_state{state=\"b\"} 0\n");
}

TEST_CASE("Prometheus float formatting", "[unit]") {
  CHECK(format_prometheus_value(std::nan("")) == "NaN");
  CHECK(format_prometheus_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_prometheus_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_prometheus_value(0) == "0");
  CHECK(format_prometheus_value(6) == "6");
  CHECK(format_prometheus_value(0.1) == "0.1");
  CHECK(format_prometheus_value(1790000000.125) == "1790000000.125");
  CHECK(format_prometheus_value(1.5e-9) == "1.5e-09");
  // Shortest round-trip: reads back bit-exactly.
  const double x = 1.0 / 3.0 * 1e-7;
  CHECK(std::stod(format_prometheus_value(x)) == x);
}

TEST_CASE("escaping of label values and help", "[unit]") {
  CHECK(escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  CHECK(escape_help("a\"b\\c\nd") == "a\"b\\\\c\\nd");  // quotes stay in HELP
}

TEST_CASE("/status JSON of every metric type and a history", "[unit]") {
  Registry reg;
  fill(reg);
  const std::string expected =
      R"({"time_s":131.25,"metrics":{)"
      R"("nanotime_build_info":{"type":"info","help":"Daemon and version","labels":{"daemon":"phc-pps-sync","version":"0.1.0"}},)"
      R"("nanotime_lock_state":{"type":"stateset","help":"Lock state","states":["acquiring","tracking","holdover"],"state":"tracking","since_s":130.5,"timeline":{"t":[100,130.5],"state":["acquiring","tracking"]}},)"
      R"("nanotime_phc_offset_seconds":{"type":"gauge","unit":"seconds","help":"PHC - TAI","value":-3.25e-09,"series":[{"labels":{},"value":-3.25e-09}]},)"
      R"("nanotime_error_bound_seconds":{"type":"gauge","unit":"seconds","help":"Bound","value":null,"series":[{"labels":{},"value":null}]},)"
      R"("nanotime_clock_class":{"type":"gauge","unit":"","help":"clockClass","value":null,"series":[{"labels":{},"value":null}]},)"
      R"("nanotime_pulses_total":{"type":"counter","unit":"","help":"Pulses by fate","series":[{"labels":{"result":"seen"},"value":12},{"labels":{"result":"used"},"value":10}]},)"
      R"("nanotime_chrony_info":{"type":"info","help":"chrony's view\nwith a \\ backslash","labels":{"selected_source":"we\"ird\\src\nx"}}},)"
      R"("histories":{"phc_offset_seconds":{"unit":"seconds","help":"PHC - TAI","resolution_s":1,"capacity":3,"t":[129.5,130.5],"v":[1e-09,-2e-09]}}})";
  CHECK(render_status_json(reg, 131.25) == expected);
}

TEST_CASE("JSON writer escapes control characters and nests", "[unit]") {
  CHECK(json_escape(std::string_view("a\x01\t\r\"", 5)) == "\"a\\u0001\\t\\r\\\"\"");
  CHECK(json_escape("µs −") == "\"µs −\"");  // UTF-8 passes through
  JsonWriter w;
  w.begin_array().value(std::uint64_t{1}).begin_object().key("a").begin_array().end_array()
      .key("b").value(true).end_object().value(std::int64_t{-2}).null().value(std::nan("")).end_array();
  CHECK(w.str() == R"([1,{"a":[],"b":true},-2,null,null])");
}

TEST_CASE("the embedded dashboard is self-contained and has its test hooks", "[unit]") {
  const std::string_view html = dashboard_html();
  CHECK(html.starts_with("<!doctype html>"));
  CHECK(html.ends_with("</html>\n"));
  CHECK(html.size() < 64 * 1024);  // well inside every compiler's string-literal limits
  // Nothing from the network: the Pi may be air-gapped.
  for (const char* remote : {"http://", "https://", "<link", " src=", "@import", "url("}) {
    INFO(remote);
    CHECK(html.find(remote) == std::string_view::npos);
  }
  // The hooks a headless-browser test relies on.
  for (const char* hook : {"window.__nanotime", "\"data-history\"", "\"data-last-v\"", "\"data-state\"",
                           "\"data-metric\"", "status?since="}) {
    INFO(hook);
    CHECK(html.find(hook) != std::string_view::npos);
  }
}
