// The receiver watch's state as users see it: a ReceiverStatus (filled by hand, as the watch
// fills it) and the engine's view through receiver_facts() into /metrics (the agreed names)
// and /status's "receiver" object.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "daemon/status_hook.hpp"
#include "discipline/engine.hpp"
#include "status/catalog.hpp"
#include "status/client/json_reader.hpp"
#include "status/client/report.hpp"
#include "status/exposition.hpp"
#include "status/receiver_metrics.hpp"
#include "status/status_json.hpp"

using namespace nanotime;
using Catch::Matchers::Contains;

namespace {

conductor::ReceiverStatus surveying_f9t() {
  conductor::ReceiverStatus r;
  r.connected = true;
  r.model = "ZED-F9T";
  r.firmware = "TIM 2.20";
  r.generation = 9;
  r.mode = discipline::ReceiverTimeMode::survey_in;
  r.survey_active = true;
  r.survey_duration_s = 420;
  r.survey_accuracy_m = 2.5;
  r.antenna = conductor::AntennaState::short_circuit;
  r.jamming_indicator = 17;
  r.satellites_used = 23;
  r.timtp_present = true;
  return r;
}

struct Published {
  std::string prometheus;
  status::JsonValue json;
};

Published publish(const std::optional<conductor::ReceiverStatus>& r,
                  const discipline::EngineStatus& e) {
  status::Registry reg;
  status::ReceiverMetrics m(reg);
  m.update(ppsd::receiver_facts(r, e));
  return {status::render_prometheus(reg),
          status::parse_json(status::render_status_json(reg, 1001))};
}

const status::JsonValue& at(const status::JsonValue& j, std::string_view key) {
  const status::JsonValue* v = j.at_path({"receiver", key});
  REQUIRE(v != nullptr);
  return *v;
}

}  // namespace

TEST_CASE("a surveying receiver: every agreed series, and the note on /status", "[unit]") {
  discipline::EngineStatus e;
  e.receiver_mode = discipline::ReceiverTimeMode::survey_in;
  e.position_limited = true;
  e.receiver_wander_ns = 15;
  const Published p = publish(surveying_f9t(), e);
  const std::string& t = p.prometheus;
  CHECK_THAT(t, Contains(R"(nanotime_receiver_info{model="ZED-F9T",firmware="TIM 2.20",generation="9"} 1)"));
  CHECK_THAT(t, Contains("nanotime_receiver_time_mode{mode=\"survey_in\"} 1\n"));
  CHECK_THAT(t, Contains("nanotime_receiver_time_mode{mode=\"fixed\"} 0\n"));
  CHECK_THAT(t, Contains("nanotime_receiver_time_mode{mode=\"unknown\"} 0\n"));
  CHECK_THAT(t, Contains("nanotime_receiver_survey_active 1\n"));
  CHECK_THAT(t, Contains("nanotime_receiver_survey_duration_seconds 420\n"));
  CHECK_THAT(t, Contains("nanotime_receiver_survey_accuracy_meters 2.5\n"));
  CHECK_THAT(t, Contains("nanotime_receiver_antenna_state{state=\"short\"} 1\n"));
  CHECK_THAT(t, Contains("nanotime_receiver_antenna_state{state=\"ok\"} 0\n"));
  CHECK_THAT(t, Contains("nanotime_receiver_jamming_indicator 17\n"));
  CHECK_THAT(t, Contains("nanotime_receiver_satellites_used 23\n"));
  CHECK_THAT(t, Contains("nanotime_receiver_timtp_present 1\n"));
  CHECK_THAT(t, Contains("nanotime_receiver_watch_connected 1\n"));
  CHECK(at(p.json, "time_mode").string_or("") == "survey_in");
  CHECK(at(p.json, "model").string_or("") == "ZED-F9T");
  CHECK(at(p.json, "antenna").string_or("") == "short");
  CHECK(at(p.json, "survey_accuracy_m").number_or(0) == 2.5);
  CHECK(at(p.json, "jamming_indicator").number_or(0) == 17);
  CHECK(at(p.json, "position_limited").boolean);
  CHECK(at(p.json, "note").string_or("") ==
        "receiver surveying (navigation mode): accuracy limited by position");
}

TEST_CASE("no watch: mode unknown, no figures (NaN, not fake zeros)", "[unit]") {
  const Published p = publish(std::nullopt, discipline::EngineStatus{});
  CHECK_THAT(p.prometheus, Contains("nanotime_receiver_time_mode{mode=\"unknown\"} 1\n"));
  CHECK_THAT(p.prometheus, Contains("nanotime_receiver_antenna_state{state=\"unknown\"} 1\n"));
  CHECK_THAT(p.prometheus, Contains("nanotime_receiver_watch_connected NaN\n"));
  CHECK_THAT(p.prometheus, Contains("nanotime_receiver_jamming_indicator NaN\n"));
  CHECK(at(p.json, "watched").kind == status::JsonValue::Kind::boolean);
  CHECK_FALSE(at(p.json, "watched").boolean);
  CHECK(at(p.json, "note").string_or("x").empty());
}

TEST_CASE("fixed mode: no note; unreported fields stay unknown", "[unit]") {
  conductor::ReceiverStatus r;
  r.connected = true;
  r.mode = discipline::ReceiverTimeMode::fixed;
  discipline::EngineStatus e;
  e.receiver_mode = r.mode;
  const Published p = publish(r, e);
  CHECK_THAT(p.prometheus, Contains("nanotime_receiver_time_mode{mode=\"fixed\"} 1\n"));
  CHECK_THAT(p.prometheus, Contains("nanotime_receiver_survey_accuracy_meters NaN\n"));
  CHECK_THAT(p.prometheus, Contains("nanotime_receiver_satellites_used NaN\n"));
  CHECK(at(p.json, "note").string_or("x").empty());
  CHECK(at(p.json, "jamming_indicator").is_null());
}

TEST_CASE("nanotime-status: the receiver line and its note, and --json's receiver object",
          "[unit]") {
  using namespace nanotime::status;
  discipline::EngineStatus e;
  e.receiver_mode = discipline::ReceiverTimeMode::survey_in;
  e.position_limited = true;
  Registry reg;
  PhcSyncMetrics phc(reg);
  ReceiverMetrics m(reg);
  m.update(ppsd::receiver_facts(surveying_f9t(), e));
  Report r;
  r.phc_endpoint = "127.0.0.1:8473";
  r.phc_status = parse_json(render_status_json(reg, 1600, *parse_status_query("history=0")));
  r.bridge_expected = false;
  r = make_report(std::move(r));
  const std::string text = render_text(r);
  INFO(text);
  CHECK_THAT(text, Contains("  receiver       ZED-F9T (TIM 2.20), survey_in 420 s ±2.5 m, antenna "
                            "short, jamming 17, 23 satellites, TIM-TP yes\n"));
  CHECK_THAT(text, Contains("receiver surveying (navigation mode): accuracy limited by position"));
  const JsonValue j = parse_json(render_json(r));
  CHECK(j.at_path({"phc_pps_sync", "receiver", "time_mode"})->string == "survey_in");
  CHECK(j.at_path({"phc_pps_sync", "receiver", "antenna"})->string == "short");
  CHECK(j.at_path({"phc_pps_sync", "receiver", "jamming_indicator"})->number == 17);

  // No watch: no receiver line, null in JSON.
  Registry bare;
  PhcSyncMetrics phc2(bare);
  ReceiverMetrics m2(bare);
  m2.update(ppsd::receiver_facts(std::nullopt, discipline::EngineStatus{}));
  Report n;
  n.phc_status = parse_json(render_status_json(bare, 1600, *parse_status_query("history=0")));
  n.bridge_expected = false;
  n = make_report(std::move(n));
  CHECK(render_text(n).find("receiver ") == std::string::npos);
  CHECK(parse_json(render_json(n)).at_path({"phc_pps_sync", "receiver"})->is_null());
}
