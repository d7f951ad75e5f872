// nanotime-status's pure parts: the JSON reader, chronyc CSV parsing, the exit-code decision,
// the report, and the HTTP client against the real server.
#include <catch2/catch.hpp>

#include <poll.h>

#include <cmath>
#include <limits>
#include <optional>
#include <thread>

#include "status/catalog.hpp"
#include "status/client/health.hpp"
#include "status/client/http_client.hpp"
#include "status/client/json_reader.hpp"
#include "status/client/report.hpp"
#include "status/endpoint.hpp"
#include "status/http_server.hpp"
#include "status/status_json.hpp"

using namespace nanotime::status;

// ---- JSON reader --------------------------------------------------------------------------------

TEST_CASE("JSON reader: values, nesting, escapes", "[unit]") {
  const JsonValue v = parse_json(
      R"( {"a": [1, -2.5e-9, true, false, null], "s": "q\"\\\/\n\u00b5\ud83d\ude00", "o": {"k": {}}} )");
  REQUIRE(v.kind == JsonValue::Kind::object);
  const JsonValue* a = v.get("a");
  REQUIRE(a);
  REQUIRE(a->array.size() == 5);
  CHECK(a->array[0].number == 1);
  CHECK(a->array[1].number == -2.5e-9);
  CHECK(a->array[2].boolean);
  CHECK(a->array[3].kind == JsonValue::Kind::boolean);
  CHECK_FALSE(a->array[3].boolean);
  CHECK(a->array[4].is_null());
  CHECK(v.get("s")->string == "q\"\\/\n\xc2\xb5\xf0\x9f\x98\x80");
  CHECK(v.at_path({"o", "k"})->kind == JsonValue::Kind::object);
  CHECK(v.at_path({"o", "missing", "x"}) == nullptr);
  CHECK(v.get("a")->get("x") == nullptr);  // not an object
  CHECK(a->array[4].number_or(7) == 7);
  CHECK(parse_json("\"x\"").string_or("d") == "x");
}

TEST_CASE("JSON reader rejects malformed input", "[unit]") {
  for (const char* bad : {"", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "1e", "tru", "nul",
                          "\"abc", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "{\"a\" 1}", "[1 2]",
                          "1 2", "{1:2}", "\"a\nb\"", "NaN", "1e999"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_json(bad), JsonError);
  }
  std::string deep(kMaxJsonDepth + 1, '[');
  deep += std::string(kMaxJsonDepth + 1, ']');
  CHECK_THROWS_AS(parse_json(deep), JsonError);
  std::string ok(kMaxJsonDepth - 1, '[');
  ok += std::string(kMaxJsonDepth - 1, ']');
  CHECK_NOTHROW(parse_json(ok));
}

TEST_CASE("JSON reader reads what render_status_json writes", "[unit]") {
  Registry reg;
  CommonMetrics common(reg, "phc-pps-sync", "0.1.0", 1000);
  PhcSyncMetrics phc(reg);
  phc.set_lock_state(2, 1500.25);
  phc.clock_class.set(6);
  phc.record_pulse(1501.5, -1.25e-9, 3e-9, 2e-8);
  const JsonValue v = parse_json(render_status_json(reg, 1502));
  CHECK(v.get("time_s")->number == 1502);
  CHECK(v.at_path({"metrics", "nanotime_lock_state", "state"})->string == "tracking");
  CHECK(v.at_path({"metrics", "nanotime_clock_class", "value"})->number == 6);
  CHECK(v.at_path({"metrics", "nanotime_ptp4l_clock_class", "value"})->is_null());
  CHECK(v.at_path({"histories", "phc_offset_seconds", "v"})->array.at(0).number == -1.25e-9);
  const PhcSyncView view = phc_sync_view(v);
  CHECK(view.reachable);
  CHECK(view.lock_state == "tracking");
  CHECK(view.clock_class == 6);
  CHECK(view.phc_offset_s == -1.25e-9);
  CHECK(view.frequency_ratio == 3e-9);
  CHECK(std::isnan(view.ptp4l_reachable));
}

// ---- /status query -------------------------------------------------------------------------------

TEST_CASE("/status?since=T returns only newer history points; history=0 none", "[unit]") {
  Registry reg;
  auto& h = reg.history("x_seconds", "seconds", "x", 10, 1.0);
  h.push(100.5, 1);
  h.push(101.5, 2);
  h.push(102.5, 3);
  auto q = parse_status_query("since=101.5");
  REQUIRE(q);
  CHECK(render_status_json(reg, 103, *q) ==
        R"({"time_s":103,"metrics":{},"histories":{"x_seconds":{"unit":"seconds","help":"x","resolution_s":1,"capacity":10,"since_s":101.5,"t":[102.5],"v":[3]}}})");
  q = parse_status_query("history=0&other=1");
  REQUIRE(q);
  CHECK(render_status_json(reg, 103, *q) ==
        R"({"time_s":103,"metrics":{},"histories":{"x_seconds":{"unit":"seconds","help":"x","resolution_s":1,"capacity":10,"t":[],"v":[]}}})");
  CHECK(parse_status_query("")->histories);
  CHECK_FALSE(parse_status_query("")->since_s);
  CHECK_FALSE(parse_status_query("since="));
  CHECK_FALSE(parse_status_query("since=abc"));
  CHECK_FALSE(parse_status_query("since=1e999"));
  CHECK_FALSE(parse_status_query("history=yes"));
}

// ---- chronyc ---------------------------------------------------------------------------------------

TEST_CASE("chronyc -c tracking and sources", "[unit]") {
  const auto t = parse_chronyc_tracking(
      "50484330,PHC0,1,1795557306.123456789,-0.000000012,0.000000003,0.000000010,-1.234,0.001,"
      "0.010,0.000000001,0.000010000,16.0,Normal\n");
  REQUIRE(t);
  CHECK(t->ref_id == "50484330");
  CHECK(t->ref_name == "PHC0");
  CHECK(t->stratum == 1);
  CHECK(t->system_offset_s == -0.000000012);
  CHECK(t->leap_status == "Normal");
  CHECK_FALSE(parse_chronyc_tracking("506 Cannot talk to daemon\n"));
  CHECK_FALSE(parse_chronyc_tracking("a,b,x,4,5,6,7,8,9,10,11,12,13,Normal"));

  const auto s = parse_chronyc_sources(
      "#,*,PHC0,0,0,377,1,-0.000000002,-0.000000003,0.000000020\n"
      "#,+,PPS,0,4,17,3,0.000000500,0.000000510,0.000001000\n"
      "^,?,192.0.2.1,2,6,0,-,+0.0,0.0,0.0\n"   // never reached: LastRx "-" parses, kept
      "garbage line\n");
  REQUIRE(s.size() == 3);
  CHECK(s[0].mode == '#');
  CHECK(s[0].state == '*');
  CHECK(s[0].name == "PHC0");
  CHECK(s[0].reach == 0377);
  CHECK(s[0].offset_s == -0.000000002);
  CHECK(s[1].reach == 017);
  CHECK(s[1].error_s == 0.000001);
  CHECK(s[2].reach == 0);
}

// ---- the verdict -----------------------------------------------------------------------------------

namespace {

// Everything fine: tracking, chrony on PHC0, ptp4l agrees, bridge with a 3D fix, PHC and PPS
// within 1 µs.
HealthInput healthy() {
  HealthInput in;
  in.phc.reachable = true;
  in.phc.lock_state = "tracking";
  in.phc.clock_class = 6;
  in.phc.ptp4l_reachable = 1;
  in.phc.ptp4l_clock_class = 6;
  in.bridge.reachable = true;
  in.bridge.gpsd_connected = 1;
  in.bridge.fix_mode = 3;
  in.chrony_reachable = true;
  in.tracking = ChronyTracking{"50484330", "PHC0", 1, 0, "Normal"};
  in.sources = {{'#', '*', "PHC0", 0, 0377, -2e-9, 2e-8}, {'#', '+', "PPS", 0, 0377, 1e-6, 1e-6}};
  return in;
}

}  // namespace

TEST_CASE("verdict: locked", "[unit]") {
  const Health h = assess(healthy());
  CHECK(h.code == kExitLocked);
  CHECK(h.reasons.empty());
  CHECK(verdict_name(h.code) == "locked");
}

TEST_CASE("verdict: degraded cases", "[unit]") {
  struct Case {
    const char* what;
    void (*change)(HealthInput&);
  };
  const Case cases[] = {
      {"holdover", [](HealthInput& in) { in.phc.lock_state = "holdover"; }},
      {"acquiring", [](HealthInput& in) { in.phc.lock_state = "acquiring"; }},
      {"converging", [](HealthInput& in) { in.phc.lock_state = "converging"; }},
      {"ptp4l unreachable", [](HealthInput& in) { in.phc.ptp4l_reachable = 0; }},
      {"ptp4l announces another class", [](HealthInput& in) { in.phc.ptp4l_clock_class = 248; }},
      {"bridge down", [](HealthInput& in) { in.bridge.reachable = false; }},
      {"bridge without gpsd", [](HealthInput& in) { in.bridge.gpsd_connected = 0; }},
      {"no fix", [](HealthInput& in) { in.bridge.fix_mode = 1; }},
      {"cross-check disagreement",
       [](HealthInput& in) { in.sources[1].offset_s = -2e-9 + 50.001e-6; }},
      {"GPIO PPS alarm", [](HealthInput& in) { in.phc.gpio_alarm = true; }},
      {"cross-check disagreement, other sign",
       [](HealthInput& in) { in.sources[1].offset_s = -2e-9 - 50.001e-6; }},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    HealthInput in = healthy();
    c.change(in);
    const Health h = assess(in);
    CHECK(h.code == kExitDegraded);
    CHECK(h.reasons.size() == 1);
  }
}

TEST_CASE("verdict: failed cases", "[unit]") {
  struct Case {
    const char* what;
    void (*change)(HealthInput&);
  };
  const Case cases[] = {
      {"phc-pps-sync down", [](HealthInput& in) { in.phc = PhcSyncView{}; }},
      {"freerun", [](HealthInput& in) { in.phc.lock_state = "freerun"; }},
      {"unknown lock state", [](HealthInput& in) { in.phc.lock_state = ""; }},
      {"chronyd down", [](HealthInput& in) { in.chrony_reachable = false; in.tracking.reset(); in.sources.clear(); }},
      {"chrony on another source", [](HealthInput& in) { in.tracking->ref_name = "PPS"; }},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    HealthInput in = healthy();
    c.change(in);
    const Health h = assess(in);
    CHECK(h.code == kExitFailed);
    CHECK(h.reasons.size() == 1);
  }
}

TEST_CASE("verdict: boundaries and what does not count", "[unit]") {
  HealthInput in = healthy();
  in.sources[1].offset_s = -2e-9 + 49.999e-6;  // just inside the 50 µs limit
  CHECK(assess(in).code == kExitLocked);
  in.sources[1].reach = 0;  // an unreached PPS source is no evidence either way
  in.sources[1].offset_s = 1;
  CHECK(assess(in).code == kExitLocked);
  in = healthy();
  in.pps_refid = "";  // no cross-check configured
  in.sources[1].offset_s = 1;
  CHECK(assess(in).code == kExitLocked);
  in = healthy();
  in.bridge_expected = false;  // --no-bridge
  in.bridge.reachable = false;
  CHECK(assess(in).code == kExitLocked);
  in = healthy();
  in.phc.ptp4l_reachable = std::nan("");  // not reported (no ptp4l configured)
  in.phc.ptp4l_clock_class = std::nan("");
  CHECK(assess(in).code == kExitLocked);
  in = healthy();
  in.bridge.fix_mode = 2;  // 2D is a fix
  CHECK(assess(in).code == kExitLocked);
}

TEST_CASE("verdict: the worst code wins, every reason is listed, failures first", "[unit]") {
  HealthInput in = healthy();
  in.phc.lock_state = "holdover";           // 1
  in.bridge.reachable = false;              // 1
  in.tracking->ref_name = "GPS";            // 2
  const Health h = assess(in);
  CHECK(h.code == kExitFailed);
  REQUIRE(h.reasons.size() == 3);
  CHECK(h.reasons[0].find("chronyd has not selected the PHC") != std::string::npos);
  CHECK(h.reasons[1].find("holdover") != std::string::npos);
}

// ---- report -------------------------------------------------------------------------------------

TEST_CASE("report: text and JSON", "[unit]") {
  Registry reg;
  CommonMetrics common(reg, "phc-pps-sync", "0.1.0", 1000);
  PhcSyncMetrics phc(reg);
  phc.set_lock_state(3, 1500);
  phc.clock_class.set(7);
  phc.ptp4l_reachable.set(1);
  phc.ptp4l_clock_class.set(7);
  phc.record_pulse(1500, 12e-9, -3.5e-9, 1e-7);
  phc.set_pulse_counts({.seen = 10, .used = 9, .lost = 1, .ambiguous = 0, .stale = 0, .outlier = 0});

  Report r;
  r.phc_endpoint = "127.0.0.1:8473";
  r.phc_status = parse_json(render_status_json(reg, 1600, *parse_status_query("history=0")));
  r.bridge_expected = false;
  r.tracking = ChronyTracking{"50484330", "PHC0", 1, 1e-9, "Normal"};
  r.sources = {{'#', '*', "PHC0", 0, 0377, -2e-9, 2e-8}};
  r = make_report(std::move(r));
  CHECK(r.health.code == kExitDegraded);  // holdover
  const std::string text = render_text(r);
  INFO(text);
  CHECK(text.find("lock state     holdover (for 1m 40s)") != std::string::npos);
  CHECK(text.find("clockClass     7              error bound  100.0 ns") != std::string::npos);
  CHECK(text.find("PHC − TAI      +12.0 ns") != std::string::npos);
  CHECK(text.find("frequency    -3.500 ppb") != std::string::npos);
  CHECK(text.find("seen 10 used 9 lost 1") != std::string::npos);
  CHECK(text.find("announces clockClass 7") != std::string::npos);
  CHECK(text.find("reference      PHC0 (stratum 1)") != std::string::npos);
  CHECK(text.find("gps-sock-bridge") == std::string::npos);
  CHECK(text.find("verdict: degraded (1)") != std::string::npos);

  const JsonValue j = parse_json(render_json(r));
  CHECK(j.get("verdict")->string == "degraded");
  CHECK(j.get("code")->number == 1);
  CHECK(j.at_path({"phc_pps_sync", "lock_state"})->string == "holdover");
  CHECK(j.at_path({"phc_pps_sync", "frequency_ppb"})->number == Approx(-3.5));
  CHECK(j.get("gps_sock_bridge")->is_null());
  CHECK(j.at_path({"chrony", "reference"})->string == "PHC0");
  CHECK(j.at_path({"chrony", "sources"})->array.size() == 1);

  Report down;
  down.phc_endpoint = "127.0.0.1:1";
  down.phc_error = "connection refused";
  down.bridge_endpoint = "127.0.0.1:2";
  down.bridge_error = "connection refused";
  down.chrony_error = "chronyc failed";
  down = make_report(std::move(down));
  CHECK(down.health.code == kExitFailed);
  const std::string t2 = render_text(down);
  CHECK(t2.find("phc-pps-sync     127.0.0.1:1  UNREACHABLE: connection refused") != std::string::npos);
  CHECK(t2.find("chronyd          UNREACHABLE: chronyc failed") != std::string::npos);
}

TEST_CASE("report: the system clock's bound beside the PHC's, and the GPIO alarm", "[unit]") {
  Registry reg;
  CommonMetrics common(reg, "phc-pps-sync", "0.1.0", 1000);
  PhcSyncMetrics phc(reg);
  phc.set_lock_state(2, 1500);  // tracking
  phc.record_pulse(1500, 3e-9, 0, 12e-9);
  Section& sys = reg.section("system");
  sys.set_number("bound_ns", 3200);
  sys.set_text("method", "gpio-calibrated");
  sys.set_text("latch_model", "bcm-phy-ptp");
  sys.set_flag("gpio_configured", true);
  sys.set_flag("alarm", false);
  sys.set_number("disagreement_ns", std::nullopt);

  Report r;
  r.phc_status = parse_json(render_status_json(reg, 1600, *parse_status_query("history=0")));
  r.bridge_expected = false;
  r.tracking = ChronyTracking{"50484330", "PHC0", 1, 1e-9, "Normal"};
  r.sources = {{'#', '*', "PHC0", 0, 0377, -2e-9, 2e-8}};
  r.input.pps_refid = "";
  Report locked = make_report(r);
  CHECK(locked.health.code == kExitLocked);
  const std::string text = render_text(locked);
  INFO(text);
  CHECK(text.find("  NTP (system clock): ±3.2 µs (gpio-calibrated, bcm-phy-ptp); PTP (PHC): ±12 ns\n") !=
        std::string::npos);
  const JsonValue j = parse_json(render_json(locked));
  CHECK(j.at_path({"phc_pps_sync", "system", "bound_s"})->number == Approx(3.2e-6));
  CHECK(j.at_path({"phc_pps_sync", "system", "method"})->string == "gpio-calibrated");

  sys.set_flag("alarm", true);
  sys.set_number("disagreement_ns", 7300);
  r.phc_status = parse_json(render_status_json(reg, 1600, *parse_status_query("history=0")));
  const Report alarmed = make_report(r);
  CHECK(alarmed.health.code == kExitDegraded);
  REQUIRE(alarmed.health.reasons.size() == 1);
  CHECK(alarmed.health.reasons[0].find("GPIO PPS alarm") != std::string::npos);
  CHECK(alarmed.health.reasons[0].find("7.3 µs") != std::string::npos);
  CHECK(render_text(alarmed).find("GPIO ALARM; PTP (PHC)") != std::string::npos);

  // A daemon without the NTP half's object: no line, no verdict change.
  Registry old;
  PhcSyncMetrics old_phc(old);
  old_phc.set_lock_state(2, 1500);
  r.phc_status = parse_json(render_status_json(old, 1600, *parse_status_query("history=0")));
  const Report before = make_report(r);
  CHECK(before.health.code == kExitLocked);
  CHECK(render_text(before).find("NTP (system clock)") == std::string::npos);
}

TEST_CASE("human formatting", "[unit]") {
  CHECK(format_bound(3.2e-6) == "±3.2 µs");
  CHECK(format_bound(12e-9) == "±12 ns");
  CHECK(format_bound(52e-6) == "±52.0 µs");
  CHECK(format_bound(std::numeric_limits<double>::infinity()) == "unknown");
  CHECK(format_bound(std::nan("")) == "–");
  CHECK(format_seconds(-3.24e-9) == "-3.2 ns");
  CHECK(format_seconds(12.5e-6) == "+12.500 µs");
  CHECK(format_seconds(0.1234) == "+123.400 ms");
  CHECK(format_seconds(2) == "+2.000 s");
  CHECK(format_seconds(std::nan("")) == "–");
  CHECK(format_seconds(INFINITY) == "unknown");
  CHECK(format_ppb(1.5e-9) == "+1.500 ppb");
  CHECK(format_seconds(2e-8, false) == "20.0 ns");
  CHECK(format_seconds(-2e-5, false) == "20.000 µs");
}

// ---- HTTP client against the server ---------------------------------------------------------------

TEST_CASE("http_get fetches /status from the server (server in another thread)", "[unit]") {
  Registry reg;
  reg.gauge("nanotime_clock_class", "", "c").set(6);
  HttpServerConfig config;
  config.listen = "127.0.0.1:0";
  HttpServer server(config);
  install_routes(server, reg, [] { return 5.0; });
  std::atomic<bool> stop{false};
  // The server's own loop, as a daemon would run it (the client under test blocks).
  std::thread loop([&] {
    std::int64_t now = 0;
    while (!stop) {
      pollfd p{server.fd(), POLLIN, 0};
      ::poll(&p, 1, 10);
      server.handle_ready(now);
    }
  });
  const std::string ep = "127.0.0.1:" + std::to_string(server.port());
  HttpResult r = http_get(ep, "/status?history=0");
  CHECK(r.status == 200);
  CHECK(parse_json(r.body).at_path({"metrics", "nanotime_clock_class", "value"})->number == 6);
  CHECK(http_get(ep, "/nope").status == 404);
  stop = true;
  loop.join();
  CHECK_THROWS_AS(http_get("127.0.0.1:1", "/status", 500), std::runtime_error);  // refused
  CHECK_THROWS_AS(http_get("nonsense", "/status", 500), std::runtime_error);
}
