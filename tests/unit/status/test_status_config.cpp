// The [<daemon>.status] table: defaults, values, and errors with file:line.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "status/http_config.hpp"

using namespace nanotime;
using nanotime::status::read_status_config;

namespace {

status::StatusConfig read(const std::string& text) {
  const auto doc = config::Document::load_string(text, "nanotime.toml");
  config::Table daemon = doc.table("phc-pps-sync");
  config::Table t = daemon.subtable("status");
  return read_status_config(t, "127.0.0.1:8473");
}

std::string error_of(const std::string& text) {
  try {
    read(text);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("status config: defaults are loopback-only", "[unit]") {
  const auto c = read("");
  CHECK(c.enabled);
  CHECK(c.http.listen == "127.0.0.1:8473");
  CHECK(c.http.allow.empty());
  CHECK(c.http.max_connections == 16);
  CHECK(c.http.max_request_bytes == 8192);
  CHECK(c.http.deadline_ns == 5'000'000'000);
}

TEST_CASE("status config: values", "[unit]") {
  const auto c = read(
      "[phc-pps-sync.status]\nenabled = false\nlisten = \"0.0.0.0:9000\"\n"
      "allow = [\"192.168.1.0/24\", \"fd00::/8\"]\nmax_connections = 4\ndeadline_s = 2.5\n");
  CHECK_FALSE(c.enabled);
  CHECK(c.http.listen == "0.0.0.0:9000");
  CHECK(c.http.allow == std::vector<std::string>{"192.168.1.0/24", "fd00::/8"});
  CHECK(c.http.max_connections == 4);
  CHECK(c.http.deadline_ns == 2'500'000'000);
}

TEST_CASE("status config: errors name file:line and key", "[unit]") {
  CHECK(error_of("[phc-pps-sync.status]\nlisten = \"example.org:80\"\n").find("nanotime.toml:2") != std::string::npos);
  CHECK(error_of("[phc-pps-sync.status]\nlisten = \"example.org:80\"\n").find("listen") != std::string::npos);
  CHECK(error_of("[phc-pps-sync.status]\nallow = \"192.168.1.0/24\"\n").find("allow") != std::string::npos);
  CHECK(error_of("[phc-pps-sync.status]\nallow = [\"lan\"]\n").find("nanotime.toml:2") != std::string::npos);
  CHECK(error_of("[phc-pps-sync.status]\nallow = [1]\n").find("allow") != std::string::npos);
  CHECK(error_of("[phc-pps-sync.status]\nmax_connections = 0\n").find("max_connections") != std::string::npos);
  CHECK(error_of("[phc-pps-sync.status]\nlisen = \"127.0.0.1:1\"\n").find("lisen") != std::string::npos);
}
