#include <catch2/catch.hpp>

#include <string>

#include "config.hpp"
#include "config/config.hpp"

using namespace nanotime;
using namespace nanotime::bridge;

namespace {
BridgeConfig load(const std::string& text) {
  return load_config(config::Document::load_string(text, "test.toml"));
}
std::string error_of(const std::string& text) {
  try {
    (void)load(text);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("config: defaults without the table", "[unit]") {
  const BridgeConfig c = load("");
  CHECK(c.gpsd_host == "127.0.0.1");
  CHECK(c.gpsd_port == 2947);
  CHECK(c.time_socket == "/run/chrony.gps.sock");
  CHECK(c.pps_socket.empty());
  CHECK(c.shm_units.empty());
  CHECK(c.shm_perm == 0600);
  REQUIRE(c.offset_s.has_value());
  CHECK(*c.offset_s == 0.0);
  CHECK(c.min_fix_mode == 2);
  CHECK(c.jump_tolerance_s == 0.05);
  CHECK(c.confirm_reports == 3);
  CHECK(c.median_window == 9);
  CHECK(c.max_auto_offset_s == 0.9);
}

TEST_CASE("config: every key, and other nanotime sections are ignored", "[unit]") {
  const BridgeConfig c = load(R"(
[phc-pps-sync]
anything = 1
[gps-sock-bridge]
gpsd_host = "::1"
gpsd_port = 2948
time_socket = ""
pps_socket = "/run/chrony.pps.sock"
shm_units = [0, 2]
shm_perm = "0666"
offset_s = "auto"
min_fix_mode = 3
jump_tolerance_s = 0.01
confirm_reports = 5
median_window = 15
max_auto_offset_s = 0.5
)");
  CHECK(c.gpsd_host == "::1");
  CHECK(c.gpsd_port == 2948);
  CHECK(c.time_socket.empty());
  CHECK(c.pps_socket == "/run/chrony.pps.sock");
  CHECK(c.shm_units == std::vector<int>{0, 2});
  CHECK(c.shm_perm == 0666);
  CHECK(c.auto_offset());
  CHECK(c.min_fix_mode == 3);
  CHECK(c.jump_tolerance_s == 0.01);
  CHECK(c.confirm_reports == 5);
  CHECK(c.median_window == 15);
  CHECK(c.max_auto_offset_s == 0.5);
  CHECK(load("[gps-sock-bridge]\noffset_s = 0.25\n").offset_s == 0.25);
  CHECK(load("[gps-sock-bridge]\noffset_s = 0\n").offset_s == 0.0);
}

TEST_CASE("config: errors name file:line and the key", "[unit]") {
  using Catch::Matchers::Contains;
  using Catch::Matchers::StartsWith;
  CHECK_THAT(error_of("[gps-sock-bridge]\ngpsd_prot = 1\n"),
             StartsWith("test.toml:2:") && Contains("gpsd_prot") && Contains("unknown key"));
  CHECK_THAT(error_of("[gps-sock-bridge]\n\noffset_s = -0.1\n"),
             StartsWith("test.toml:3:") && Contains("offset_s") && Contains("negative"));
  CHECK_THAT(error_of("[gps-sock-bridge]\noffset_s = 1.0\n"), Contains("offset_s"));
  CHECK_THAT(error_of("[gps-sock-bridge]\noffset_s = \"automatic\"\n"),
             StartsWith("test.toml:2:") && Contains("offset_s") && Contains("auto"));
  CHECK_THAT(error_of("[gps-sock-bridge]\ntime_socket = \"run/chrony.sock\"\n"),
             StartsWith("test.toml:2:") && Contains("time_socket") && Contains("absolute"));
  CHECK_THAT(error_of("[gps-sock-bridge]\ngpsd_port = 0\n"), Contains("gpsd_port"));
  CHECK_THAT(error_of("[gps-sock-bridge]\ngpsd_port = 70000\n"), Contains("gpsd_port"));
  CHECK_THAT(error_of("[gps-sock-bridge]\nmin_fix_mode = 1\n"), Contains("min_fix_mode"));
  CHECK_THAT(error_of("[gps-sock-bridge]\nshm_perm = \"0900\"\n"), Contains("shm_perm"));
  CHECK_THAT(error_of("[gps-sock-bridge]\nshm_units = [1, 1]\n"), Contains("twice"));
  CHECK_THAT(error_of("[gps-sock-bridge]\npps_socket = \"/run/chrony.gps.sock\"\n"),
             Contains("pps_socket") && Contains("differ"));
  CHECK_THAT(error_of("[gps-sock-bridge]\ntime_socket = \"\"\n"), Contains("no output"));
  CHECK_THAT(error_of("[gps-sock-bridge]\nconfirm_reports = 0\n"), Contains("confirm_reports"));
  CHECK_THAT(error_of("[gps-sock-bridge]\njump_tolerance_s = \"big\"\n"),
             Contains("jump_tolerance_s"));
  CHECK_THAT(error_of("[gps-sock-brigde]\n"), StartsWith("test.toml:1:") && Contains("unknown section"));
  CHECK_THAT(error_of("[gps-sock-bridge]\ngpsd_port = \n"), StartsWith("test.toml:2:"));  // syntax
}

TEST_CASE("config: [gps-sock-bridge.status] defaults to 127.0.0.1:8474", "[unit]") {
  for (const char* text : {"", "[gps-sock-bridge]\n", "[gps-sock-bridge]\n[gps-sock-bridge.status]\n"}) {
    const BridgeConfig c = load(text);
    CHECK(c.status.enabled);
    CHECK(c.status.http.listen == "127.0.0.1:8474");
    CHECK(c.status.http.allow.empty());
    CHECK(c.status.http.max_connections == 16);
    CHECK(c.status.http.deadline_ns == 5'000'000'000);
  }
  CHECK(default_status().http.listen == "127.0.0.1:8474");
  CHECK_THAT(describe(load("")), Catch::Matchers::Contains("listen = \"127.0.0.1:8474\""));
}

TEST_CASE("config: the status sub-table parses every key", "[unit]") {
  const BridgeConfig c = load(
      "[gps-sock-bridge]\n"
      "gpsd_port = 2948\n"
      "[gps-sock-bridge.status]\n"
      "enabled = true\n"
      "listen = \"0.0.0.0:9000\"\n"
      "allow = [\"192.168.1.0/24\", \"10.0.0.0/8\"]\n"
      "max_connections = 4\n"
      "deadline_s = 2.5\n");
  CHECK(c.gpsd_port == 2948);  // the parent table still reads its own keys
  CHECK(c.status.enabled);
  CHECK(c.status.http.listen == "0.0.0.0:9000");
  REQUIRE(c.status.http.allow.size() == 2);
  CHECK(c.status.http.allow[1] == "10.0.0.0/8");
  CHECK(c.status.http.max_connections == 4);
  CHECK(c.status.http.deadline_ns == 2'500'000'000);
  CHECK_THAT(describe(c), Catch::Matchers::Contains("allow = [\"192.168.1.0/24\", \"10.0.0.0/8\"]"));

  const BridgeConfig off = load("[gps-sock-bridge.status]\nenabled = false\n");
  CHECK_FALSE(off.status.enabled);
  CHECK_THAT(describe(off), Catch::Matchers::Contains("enabled = false"));
  // An inline table is the same table.
  CHECK(load("[gps-sock-bridge]\nstatus = { listen = \"unix:/run/b.sock\" }\n").status.http.listen ==
        "unix:/run/b.sock");
}

TEST_CASE("config: status sub-table errors name file:line and the key", "[unit]") {
  using Catch::Matchers::Contains;
  using Catch::Matchers::StartsWith;
  CHECK_THAT(error_of("[gps-sock-bridge]\n[gps-sock-bridge.status]\nlisen = \"127.0.0.1:1\"\n"),
             StartsWith("test.toml:3:") && Contains("lisen") && Contains("unknown key"));
  CHECK_THAT(error_of("[gps-sock-bridge.status]\n\nlisten = \"127.0.0.1\"\n"),
             StartsWith("test.toml:3:") && Contains("listen"));
  CHECK_THAT(error_of("[gps-sock-bridge.status]\nallow = [\"192.168.1.0/33\"]\n"),
             StartsWith("test.toml:2:") && Contains("allow"));
  CHECK_THAT(error_of("[gps-sock-bridge.status]\nallow = \"192.168.1.0/24\"\n"),
             StartsWith("test.toml:2:") && Contains("allow"));
  CHECK_THAT(error_of("[gps-sock-bridge.status]\nmax_connections = 0\n"),
             StartsWith("test.toml:2:") && Contains("max_connections"));
  CHECK_THAT(error_of("[gps-sock-bridge.status]\ndeadline_s = 100\n"),
             StartsWith("test.toml:2:") && Contains("deadline_s"));
  CHECK_THAT(error_of("[gps-sock-bridge.status]\nenabled = \"yes\"\n"),
             StartsWith("test.toml:2:") && Contains("enabled"));
  // `status` as a plain key of the bridge table is not a table.
  CHECK_THAT(error_of("[gps-sock-bridge]\nstatus = 1\n"), StartsWith("test.toml:2:") && Contains("status"));
}
