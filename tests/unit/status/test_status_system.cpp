// phc-pps-sync's NTP half as users see it: a TransferStatus (filled by hand, as the conductor
// fills it) through DaemonStatus into /metrics and /status's "system" object.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "daemon/status_hook.hpp"
#include "discipline/engine.hpp"
#include "status/client/json_reader.hpp"
#include "status/exposition.hpp"
#include "status/status_json.hpp"

using namespace nanotime;
using Catch::Detail::Approx;

namespace {

status::StatusConfig disabled() {
  status::StatusConfig c;
  c.enabled = false;  // metrics kept, nothing served
  return c;
}

conductor::TransferStatus calibrated_with_alarm() {
  conductor::TransferStatus t;
  t.latch_model = "bcm-phy-ptp";
  t.method = "gpio-calibrated";
  t.system_bound_ns = 3200;
  t.shift_ns = -1500;
  t.read_requests = 100;
  t.reads = 300;
  t.slow_rejected = 2;
  t.read_errors = 1;
  t.bracket_ns = 48000;
  t.usual_bracket_ns = 47000;
  t.bracket_p50_ns = 47500;
  t.bracket_p99_ns = 52000;
  t.bracket_max_ns = 61000;
  t.gpio_configured = true;
  t.gpio_device = "/dev/pps0";
  t.gpio_pulses = 97;
  t.gpio_missed = 1;
  t.gpio_unmatched = 0;
  t.gpio_difference_ns = 2600;
  t.gpio_min_difference_ns = 1900;
  t.gpio_difference_p50_ns = 2400;
  t.alarm = true;
  t.disagreement_ns = 7300;
  t.alarms = 4;
  return t;
}

struct Published {
  std::string prometheus;
  status::JsonValue json;
};

Published publish(const conductor::TransferStatus& t) {
  ppsd::DaemonStatus ds(disabled(), 1000, [] { return 1000.0; });
  const discipline::EngineStatus engine{};
  ppsd::StatusSnapshot snap;
  snap.engine = &engine;
  snap.transfer = &t;
  ds.update(snap, 1001);
  return {status::render_prometheus(ds.registry()),
          status::parse_json(status::render_status_json(ds.registry(), 1001))};
}

double number(const status::JsonValue& j, std::string_view key) {
  const status::JsonValue* v = j.at_path({"system", key});
  REQUIRE(v != nullptr);
  return v->number_or(std::nan(""));
}

}  // namespace

TEST_CASE("/status system object carries the transfer's bound, method and GPIO figures", "[unit]") {
  const Published p = publish(calibrated_with_alarm());
  CHECK(number(p.json, "bound_ns") == 3200);
  CHECK(p.json.at_path({"system", "method"})->string == "gpio-calibrated");
  CHECK(p.json.at_path({"system", "latch_model"})->string == "bcm-phy-ptp");
  CHECK(number(p.json, "bracket_p50_ns") == 47500);
  CHECK(number(p.json, "bracket_p99_ns") == 52000);
  CHECK(number(p.json, "bracket_max_ns") == 61000);
  CHECK(number(p.json, "read_requests") == 100);
  CHECK(number(p.json, "slow_rejected") == 2);
  CHECK(p.json.at_path({"system", "gpio_device"})->string == "/dev/pps0");
  CHECK(number(p.json, "gpio_min_difference_ns") == 1900);
  CHECK(number(p.json, "gpio_difference_p50_ns") == 2400);
  CHECK(p.json.at_path({"system", "alarm"})->boolean);
  CHECK(number(p.json, "disagreement_ns") == 7300);
}

TEST_CASE("/metrics exports the transfer with units in the names", "[unit]") {
  const Published p = publish(calibrated_with_alarm());
  const std::string& m = p.prometheus;
  CHECK(m.find("# TYPE nanotime_system_bound_seconds gauge") != std::string::npos);
  CHECK(m.find("nanotime_system_bound_seconds 3.2e-06") != std::string::npos);
  CHECK(m.find("nanotime_system_transfer_info{method=\"gpio-calibrated\",latch_model=\"bcm-phy-ptp\"} 1") !=
        std::string::npos);
  CHECK(m.find("nanotime_phc_read_requests_total{result=\"slow_rejected\"} 2") != std::string::npos);
  CHECK(m.find("nanotime_phc_read_bracket_seconds{stat=\"p99\"} 5.2e-05") != std::string::npos);
  CHECK(m.find("nanotime_gpio_phc_difference_seconds{stat=\"min\"} 1.9e-06") != std::string::npos);
  CHECK(m.find("nanotime_system_transfer_alarm 1") != std::string::npos);
  CHECK(m.find("nanotime_system_transfer_alarm_samples_total 4") != std::string::npos);
}

TEST_CASE("Before the first sample and without a GPIO PPS nothing is made up", "[unit]") {
  conductor::TransferStatus t;
  t.latch_model = "midpoint";
  t.method = "latch-model";
  const Published p = publish(t);
  CHECK(p.json.at_path({"system", "bound_ns"})->is_null());
  CHECK(p.json.at_path({"system", "bracket_p50_ns"})->is_null());
  CHECK_FALSE(p.json.at_path({"system", "gpio_configured"})->boolean);
  CHECK(p.json.at_path({"system", "gpio_difference_ns"})->is_null());
  CHECK(p.json.at_path({"system", "disagreement_ns"})->is_null());
  CHECK(p.prometheus.find("nanotime_system_bound_seconds NaN") != std::string::npos);
  CHECK(p.prometheus.find("nanotime_gpio_pps_configured 0") != std::string::npos);
  CHECK(p.prometheus.find("nanotime_system_transfer_alarm NaN") != std::string::npos);
}
