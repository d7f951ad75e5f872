// phc-pps-sync's keys of the NTP half: the latch model, the GPIO PPS device and the GPIO latency
// floor are read, checked and need a restart (the transfer is set up once, at start).
#include <catch2/catch.hpp>

#include <string>

#include "config/config.hpp"
#include "daemon/config.hpp"

using namespace nanotime;

namespace {

ppsd::DaemonConfig load(const std::string& body) {
  return ppsd::load_config(
      config::Document::load_string("[phc-pps-sync]\ninterface = \"eth0\"\n" + body, "n.toml"));
}

std::string error_of(const std::string& body) {
  try {
    load(body);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("NTP-half keys: defaults, values, restart", "[unit]") {
  const ppsd::DaemonConfig d = load("");
  CHECK(d.phc_latch_model == "auto");
  CHECK(d.gpio_pps_device.empty());
  CHECK(d.gpio_latency_floor_ns == 4000);

  const ppsd::DaemonConfig c = load(
      "phc_latch_model = \"bcm-phy-ptp\"\ngpio_pps_device = \"/dev/pps0\"\n"
      "gpio_latency_floor_ns = 2500\n");
  CHECK(c.phc_latch_model == "bcm-phy-ptp");
  CHECK(c.gpio_pps_device == "/dev/pps0");
  CHECK(c.gpio_latency_floor_ns == 2500);
  const auto restart = ppsd::keys_needing_restart(d, c);
  CHECK(restart.size() == 3);
  // A reload keeps the running transfer: what the conductor was built with.
  const ppsd::DaemonConfig kept = ppsd::keep_restart_values(d, c);
  CHECK(kept.phc_latch_model == "auto");
  CHECK(kept.gpio_pps_device.empty());
}

TEST_CASE("NTP-half keys: bad values are errors at the key", "[unit]") {
  const std::string model = error_of("phc_latch_model = \"middle\"\n");
  CHECK(model.find("n.toml:3") != std::string::npos);
  CHECK(model.find("phc_latch_model") != std::string::npos);
  CHECK(model.find("bcm-phy-ptp") != std::string::npos);
  CHECK(error_of("gpio_pps_device = \"pps0\"\n").find("gpio_pps_device") != std::string::npos);
  CHECK(error_of("gpio_latency_floor_ns = 0\n").find("gpio_latency_floor_ns") != std::string::npos);
  CHECK(error_of("gpio_latency_floor_ns = 2e6\n").find("gpio_latency_floor_ns") != std::string::npos);
}
