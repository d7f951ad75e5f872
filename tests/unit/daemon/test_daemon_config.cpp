// [phc-pps-sync] configuration: defaults, ranges, cross-key rules, file:line errors, and which
// changed keys a SIGHUP cannot apply.
#include <catch2/catch.hpp>

#include <string>

#include "config/config.hpp"
#include "daemon/config.hpp"

using namespace nanotime;
using namespace nanotime::ppsd;

namespace {

DaemonConfig parse(const std::string& text, PhcKeys phc = PhcKeys::required) {
  return load_config(config::Document::load_string(text, "nanotime.toml"), phc);
}

std::string error_of(const std::string& text, PhcKeys phc = PhcKeys::required) {
  try {
    parse(text, phc);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("defaults suit a CM4 with gpsd, chronyd and ptp4l", "[unit]") {
  const DaemonConfig c = parse("[phc-pps-sync]\ninterface = \"eth0\"\n");
  CHECK(c.interface == "eth0");
  CHECK(c.device.empty());
  CHECK(c.pin == 0);
  CHECK(c.channel == 0);
  CHECK(c.servo == "kalman");
  CHECK(c.holdover_limit_ns == 1000);
  CHECK(c.max_freq_ppb == 500000);
  CHECK(c.tod_source == "gpsd");
  CHECK(c.chrony_socket == "/run/chrony.phc0.sock");
  CHECK(c.ptp4l_socket == "/var/run/ptp4l");
  CHECK(c.leap_seconds_file == "/usr/share/zoneinfo/leap-seconds.list");
  CHECK(c.temperature_file == "/sys/class/thermal/thermal_zone0/temp");
  CHECK(c.status.enabled);
  CHECK(c.status.http.listen == "127.0.0.1:8473");
}

TEST_CASE("every key is read", "[unit]") {
  const DaemonConfig c = parse(R"([phc-pps-sync]
device = "/dev/ptp1"
pin = 1
channel = 1
set_pin = false
both_edges = true
pulse_width_s = 0.2
servo = "pi"
cable_delay_ns = 42.5
holdover_limit_ns = 250
max_freq_ppb = 100000
degraded_clock_class = 187
tod_source = "system"
gpsd_host = "::1"
gpsd_port = 2948
system_max_error_s = 0.05
chrony_socket = ""
ptp4l_socket = "/run/ptp4l-gm"
ptp4l_domain = 24
leap_seconds_file = ""
temperature_file = ""
status_listen = ""
log_level = "debug"
[gps-sock-bridge]
)");
  CHECK(c.device == "/dev/ptp1");
  CHECK(c.pin == 1);
  CHECK(c.channel == 1);
  CHECK_FALSE(c.set_pin);
  CHECK(c.both_edges);
  CHECK(c.servo == "pi");
  CHECK(c.cable_delay_ns == 42.5);
  CHECK(c.degraded_clock_class == 187);
  CHECK(c.tod_source == "system");
  CHECK(c.chrony_socket.empty());
  CHECK(c.ptp4l_domain == 24);
  CHECK_FALSE(c.status.enabled);  // the deprecated status_listen = "" still turns it off
  CHECK(c.log_level == "debug");
}

TEST_CASE("an unknown key is reported with file:line", "[unit]") {
  const std::string e = error_of("[phc-pps-sync]\ninterface = \"eth0\"\n\ncable_delay = 5\n");
  CHECK(e.find("nanotime.toml:4") != std::string::npos);
  CHECK(e.find("cable_delay") != std::string::npos);
}

TEST_CASE("values out of range name their line", "[unit]") {
  const std::string e = error_of("[phc-pps-sync]\ninterface = \"eth0\"\nservo = \"fast\"\n");
  CHECK(e.find("nanotime.toml:3") != std::string::npos);
  CHECK(e.find("kalman") != std::string::npos);
  CHECK(error_of("[phc-pps-sync]\ninterface = \"eth0\"\nmax_freq_ppb = 1e9\n")
            .find("nanotime.toml:3") != std::string::npos);
  CHECK(error_of("[phc-pps-sync]\ninterface = \"eth0\"\nchrony_socket = \"run/x\"\n")
            .find("absolute") != std::string::npos);
  CHECK(error_of("[phc-pps-sync]\ninterface = \"eth0\"\nstatus_listen = \"localhost\"\n")
            .find("nanotime.toml:3") != std::string::npos);
  CHECK(error_of("[phc-pps-sync]\ninterface = \"eth0\"\ndegraded_clock_class = 100\n")
            .find("52 or 187") != std::string::npos);
  CHECK(error_of("[phc-sync]\n").find("phc-sync") != std::string::npos);
}

TEST_CASE("exactly one of interface and device", "[unit]") {
  CHECK(error_of("[phc-pps-sync]\n").find("exactly one") != std::string::npos);
  CHECK(error_of("[phc-pps-sync]\ninterface = \"eth0\"\ndevice = \"/dev/ptp0\"\n")
            .find("nanotime.toml:3") != std::string::npos);
  // The realtime simulation has its own PHC: neither is needed.
  CHECK_NOTHROW(parse("[phc-pps-sync]\nchrony_socket = \"/tmp/x.sock\"\n", PhcKeys::ignored));
}

TEST_CASE("a reload names the keys that need a restart", "[unit]") {
  const DaemonConfig a = parse("[phc-pps-sync]\ninterface = \"eth0\"\n");
  DaemonConfig b = a;
  CHECK(keys_needing_restart(a, b).empty());
  b.cable_delay_ns = 30;  // live
  b.chrony_socket = "";   // live
  b.log_level = "debug";  // live
  CHECK(keys_needing_restart(a, b).empty());
  b.pin = 1;
  b.servo = "pi";
  b.interface = "eth1";
  const auto keys = keys_needing_restart(a, b);
  REQUIRE(keys.size() == 3);
  CHECK(keys[0] == "interface");
  CHECK(keys[1] == "pin");
  CHECK(keys[2] == "servo");
}

TEST_CASE("describe mentions the PHC and every output", "[unit]") {
  const std::string d = describe(parse("[phc-pps-sync]\ninterface = \"eth0\"\nptp4l_socket = \"\"\n"));
  CHECK(d.find("eth0") != std::string::npos);
  CHECK(d.find("/run/chrony.phc0.sock") != std::string::npos);
  CHECK(d.find("ptp4l_socket = \"\"") != std::string::npos);
}

// The realtime simulation watches gpsd's receiver only when the file sets receiver_watch
// itself (daemon.cpp): the loader must tell "set" from "defaulted", whatever the value.
TEST_CASE("receiver_watch: set in the file or defaulted", "[unit]") {
  const DaemonConfig absent = parse("[phc-pps-sync]\n", PhcKeys::ignored);
  CHECK(absent.receiver_watch);
  CHECK_FALSE(absent.receiver_watch_set);
  const DaemonConfig on = parse("[phc-pps-sync]\nreceiver_watch = true\n", PhcKeys::ignored);
  CHECK(on.receiver_watch);
  CHECK(on.receiver_watch_set);
  const DaemonConfig off = parse("[phc-pps-sync]\nreceiver_watch = false\n", PhcKeys::ignored);
  CHECK_FALSE(off.receiver_watch);
  CHECK(off.receiver_watch_set);
}
