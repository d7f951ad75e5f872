#include <catch2/catch.hpp>

#include "config/config.hpp"

using namespace nanotime::config;
using Catch::Matchers::Contains;

namespace {
std::string error_of(const std::string& text, void (*read)(Table&)) {
  try {
    Document d = Document::load_string(text, "/etc/nanotime/nanotime.toml");
    Table t = d.table("daemon");
    read(t);
    t.finish();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
void read_basic(Table& t) {
  t.get_double("offset_s", 0.0, {0.0, 1.0});
  t.get_int("unit", 0, {0, 255});
  t.get_bool("enabled", true);
  t.get_path("socket", "/run/x.sock");
  t.get_choice("servo", "kalman", {"pi", "kalman"});
}
}  // namespace

TEST_CASE("valid configuration reads values and defaults") {
  Document d = Document::load_string("[daemon]\noffset_s = 0.18\nunit = 2\n", "f.toml");
  Table t = d.table("daemon");
  CHECK(t.get_double("offset_s", 0.0, {0.0, 1.0}) == Approx(0.18));
  CHECK(t.get_int("unit", 0, {0, 255}) == 2);
  CHECK(t.get_bool("enabled", true));
  CHECK_NOTHROW(t.finish());
}

TEST_CASE("an unknown key names file:line and the key") {
  CHECK(error_of("[daemon]\nunit = 1\n\noffset = 3\n", read_basic) ==
        "/etc/nanotime/nanotime.toml:4:1: [daemon] offset: unknown key");
}

TEST_CASE("a wrong type names file:line and the key") {
  CHECK(error_of("[daemon]\n  unit = \"two\"\n", read_basic) ==
        "/etc/nanotime/nanotime.toml:2:10: [daemon] unit: expected an integer, found a string");
}

TEST_CASE("an out-of-range value names file:line and the allowed range") {
  CHECK_THAT(error_of("[daemon]\noffset_s = -0.5\n", read_basic),
             Contains("nanotime.toml:2:") && Contains("[daemon] offset_s: -0.5 is out of range"));
}

TEST_CASE("a relative path and a bad choice are rejected") {
  CHECK_THAT(error_of("[daemon]\nsocket = \"run/x.sock\"\n", read_basic),
             Contains(":2:") && Contains("not an absolute path"));
  CHECK_THAT(error_of("[daemon]\nservo = \"pid\"\n", read_basic),
             Contains(":2:") && Contains("not one of: pi, kalman"));
}

TEST_CASE("a syntax error names file:line") {
  CHECK_THAT(error_of("[daemon]\nunit = = 1\n", read_basic),
             Contains("/etc/nanotime/nanotime.toml:2:"));
}

TEST_CASE("an unknown section is rejected") {
  Document d = Document::load_string("[daemon]\n[deamon2]\n", "f.toml");
  CHECK_THROWS_WITH(d.check_top_level({"daemon"}), Contains("f.toml:2:1: deamon2: unknown section"));
}

TEST_CASE("arrays of tables carry their positions") {
  Document d = Document::load_string("[daemon]\n[[daemon.fault]]\nat_s = 1\n[[daemon.fault]]\nat = 2\n",
                                     "f.toml");
  Table t = d.table("daemon");
  auto faults = t.table_array("fault");
  REQUIRE(faults.size() == 2);
  CHECK(faults[0].get_double("at_s", 0, {0, 10}) == 1);
  faults[1].get_double("at_s", 0, {0, 10});
  CHECK_THROWS_WITH(faults[1].finish(), Contains("f.toml:5:1: [daemon.fault[1]] at: unknown key"));
}
