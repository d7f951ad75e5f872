#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "log/log.hpp"

using namespace nanotime;
using namespace std::chrono_literals;

namespace {
struct Captured {
  std::vector<std::string> lines;
  std::chrono::nanoseconds now{0};
  Captured() {
    log::Options o;
    o.min_level = log::Level::debug;
    log::configure(o);
    log::set_sink([this](log::Level, std::string_view line) { lines.emplace_back(line); });
    log::set_clock([this] { return now; });
  }
  ~Captured() {
    log::set_sink(nullptr);
    log::set_clock(nullptr);
    log::configure(log::Options{});
  }
};
}  // namespace

TEST_CASE("a repeated message is printed once, then counted") {
  Captured c;
  for (int i = 0; i < 10; ++i) {
    log::warning("gpsd lost: {}", "connection refused");
    c.now += 1s;
  }
  REQUIRE(c.lines.size() == 1);
  c.now = 61s;
  log::warning("gpsd lost: {}", "connection refused");
  REQUIRE(c.lines.size() == 2);
  CHECK(c.lines[1] == "gpsd lost: connection refused (repeated 9 more times in the last 61 s)");
}

TEST_CASE("distinct messages are not suppressed") {
  Captured c;
  log::info("a");
  log::info("b");
  log::info("a {}", 1);
  CHECK(c.lines == std::vector<std::string>{"a", "b", "a 1"});
}

TEST_CASE("messages below the level are dropped") {
  Captured c;
  log::set_min_level(log::Level::warning);
  log::info("hidden");
  log::error("shown");
  CHECK(c.lines == std::vector<std::string>{"shown"});
}
