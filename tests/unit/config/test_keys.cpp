// config::KeyTable on a small config struct: every reader type, errors with file:line, the
// restart diff, the copy-back of restart keys, the summary and --print-config's JSON.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/keys.hpp"
#include "status/http_config.hpp"
#include "status/client/json_reader.hpp"

using namespace nanotime;
using namespace nanotime::config;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

struct Toy {
  bool enabled = true;
  int unit = 2;
  double offset_s = 0.25;
  std::string host = "localhost";
  std::string servo = "kalman";
  std::string socket = "/run/toy.sock";
  status::StatusConfig status;
};

const KeyTable<Toy>& toy_keys() {
  static const KeyTable<Toy> table = [] {
    std::vector<Key<Toy>> keys = {
        key("toy", "enabled", &Toy::enabled, boolean(), Apply::live, "On or off"),
        key("toy", "unit", &Toy::unit, integer<int>({0, 255}), Apply::restart, "A unit"),
        key("toy", "offset_s", &Toy::offset_s, number({0, 1}), Apply::live, "An offset"),
        key("toy", "host", &Toy::host, string(), Apply::live, "A \"host\" name"),
        key("toy", "servo", &Toy::servo, choice({"kalman", "pi"}), Apply::restart, "A servo"),
        key("toy", "socket", &Toy::socket, path(107), Apply::restart, "A socket"),
    };
    for (auto& k : status::status_keys("toy.status", &Toy::status)) keys.push_back(k);
    return KeyTable<Toy>("toy", std::move(keys));
  }();
  return table;
}

Toy load(const std::string& text) {
  const Document doc = Document::load_string(text, "toy.toml");
  Table t = doc.table("toy");
  Toy c;
  toy_keys().read(t, c);
  t.finish();
  return c;
}

std::string error_of(const std::string& text) {
  try {
    load(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("keys: an absent table leaves every default", "[unit]") {
  const Toy c = load("");
  const Toy d;
  for (const auto& k : toy_keys().keys()) CHECK(k.same(c, d));
}

TEST_CASE("keys: every reader type parses its value", "[unit]") {
  const Toy c = load(R"([toy]
enabled = false
unit = 7
offset_s = 1
host = "gps.lan"
servo = "pi"
socket = ""
[toy.status]
enabled = false
listen = "[::1]:9000"
allow = ["192.168.1.0/24"]
max_connections = 3
deadline_s = 0.5
)");
  CHECK_FALSE(c.enabled);
  CHECK(c.unit == 7);
  CHECK(c.offset_s == 1.0);  // an integer is a number
  CHECK(c.host == "gps.lan");
  CHECK(c.servo == "pi");
  CHECK(c.socket.empty());   // "" = off
  CHECK_FALSE(c.status.enabled);
  CHECK(c.status.http.listen == "[::1]:9000");
  CHECK(c.status.http.allow == std::vector<std::string>{"192.168.1.0/24"});
  CHECK(c.status.http.max_connections == 3);
  CHECK(c.status.http.deadline_ns == 500'000'000);
}

TEST_CASE("keys: wrong values and unknown keys name file:line, table and key", "[unit]") {
  CHECK(error_of("[toy]\n\nunit = 256\n") ==
        "toy.toml:3:8: [toy] unit: 256 is out of range: must be between 0 and 255");
  CHECK_THAT(error_of("[toy]\nenabled = 1\n"), StartsWith("toy.toml:2:") && Contains("true or false"));
  CHECK_THAT(error_of("[toy]\noffset_s = \"0.1\"\n"), StartsWith("toy.toml:2:") && Contains("offset_s"));
  CHECK_THAT(error_of("[toy]\nservo = \"pid\"\n"), StartsWith("toy.toml:2:") && Contains("kalman, pi"));
  CHECK_THAT(error_of("[toy]\nsocket = \"run/x\"\n"), StartsWith("toy.toml:2:") && Contains("absolute"));
  CHECK_THAT(error_of("[toy]\nsocket = \"/" + std::string(107, 'x') + "\"\n"),
             StartsWith("toy.toml:2:") && Contains("longer than 107"));
  CHECK(error_of("[toy]\nunit = 1\nunits = 2\n") == "toy.toml:3:1: [toy] units: unknown key");
  CHECK(error_of("[toy.status]\nlisen = \"127.0.0.1:1\"\n") ==
        "toy.toml:2:1: [toy.status] lisen: unknown key");
  CHECK_THAT(error_of("[toy.status]\nlisten = \"example.org\"\n"),
             StartsWith("toy.toml:2:") && Contains("[toy.status] listen"));
}

TEST_CASE("keys: the restart diff names only changed restart keys", "[unit]") {
  const Toy running = load("[toy]\nunit = 1\n");
  CHECK(toy_keys().restart_diff(running, running).empty());
  const Toy live_only = load("[toy]\nunit = 1\nenabled = false\nhost = \"x\"\n[toy.status]\nlisten = \"127.0.0.1:1\"\n");
  CHECK(toy_keys().restart_diff(running, live_only).empty());
  const Toy both = load("[toy]\nunit = 2\nservo = \"pi\"\nhost = \"x\"\n");
  CHECK(toy_keys().restart_diff(running, both) == std::vector<std::string>{"unit", "servo"});
}

TEST_CASE("keys: copy-back keeps the running value of every restart key", "[unit]") {
  const Toy running = load("[toy]\nunit = 1\n");
  const Toy loaded = load("[toy]\nunit = 2\nservo = \"pi\"\nsocket = \"\"\nhost = \"x\"\n"
                          "[toy.status]\nenabled = false\n");
  const Toy now = toy_keys().keep_restart_values(running, loaded);
  CHECK(now.unit == 1);
  CHECK(now.servo == "kalman");
  CHECK(now.socket == "/run/toy.sock");
  CHECK(now.host == "x");              // live: the new value
  CHECK_FALSE(now.status.enabled);     // live
  // The next reload of the same file names the same keys again.
  CHECK(toy_keys().restart_diff(now, loaded).size() == 3);
}

TEST_CASE("keys: the summary shows every key's value by table", "[unit]") {
  const std::string s = toy_keys().summary(load("[toy]\nhost = \"a\\\"b\"\n"));
  CHECK_THAT(s, StartsWith("[toy]\n  enabled = true\n  unit = 2\n"));
  CHECK_THAT(s, Contains("  host = \"a\\\"b\"\n"));
  CHECK_THAT(s, Contains("[toy.status]\n  enabled = true\n  listen = \"127.0.0.1:8473\"\n"));
}

TEST_CASE("keys: --print-config is valid JSON with default and value of every key", "[unit]") {
  const Toy c = load("[toy]\nunit = 9\nhost = \"a\\\"b\\\\c\"\n[toy.status]\nallow = [\"10.0.0.0/8\"]\n");
  const status::JsonValue doc = status::parse_json(toy_keys().json(Toy{}, c));
  CHECK(doc.get("program")->string == "toy");
  const auto& keys = doc.get("keys")->array;
  REQUIRE(keys.size() == toy_keys().keys().size());
  const auto find = [&](const std::string& table, const std::string& name) {
    for (const auto& k : keys) {
      if (k.get("table")->string == table && k.get("key")->string == name) return &k;
    }
    FAIL("no key " << table << "." << name);
    return &keys.front();
  };
  const auto* unit = find("toy", "unit");
  CHECK(unit->get("default")->number == 2);
  CHECK(unit->get("value")->number == 9);
  CHECK(unit->get("type")->string == "integer");
  CHECK(unit->get("constraint")->string == "0..255");
  CHECK(unit->get("apply")->string == "restart");
  CHECK(unit->get("doc")->string == "A unit");
  CHECK(find("toy", "host")->get("value")->string == "a\"b\\c");
  CHECK(find("toy", "host")->get("doc")->string == "A \"host\" name");
  CHECK(find("toy", "enabled")->get("value")->kind == status::JsonValue::Kind::boolean);
  CHECK(find("toy", "offset_s")->get("default")->number == 0.25);
  const auto* allow = find("toy.status", "allow");
  CHECK(allow->get("default")->array.empty());
  REQUIRE(allow->get("value")->array.size() == 1);
  CHECK(allow->get("value")->array[0].string == "10.0.0.0/8");
  CHECK(find("toy.status", "deadline_s")->get("value")->number == 5);
  CHECK(find("toy.status", "listen")->get("apply")->string == "live");
}

TEST_CASE("keys: the man page header of a key", "[unit]") {
  const Toy d;
  const auto& k = toy_keys().keys();
  CHECK(man_header(k[1], d) == R"m(.BR unit " (integer, 0..255, default 2; restart)")m");
  CHECK(man_header(k[4], d) == R"m(.BR servo " (choice, ""kalman"" | ""pi"", default ""kalman""; restart)")m");
  CHECK(man_header("x", "number", "-1..1", "-0.5", Apply::live) ==
        R"m(.BR x " (number, \-1..1, default \-0.5)")m");
}

TEST_CASE("a top-level [status] is read by nothing and says where to put it", "[unit]") {
  const Document doc = Document::load_string("[phc-pps-sync]\n\n[status]\nlisten = \"x\"\n", "n.toml");
  CHECK_THROWS_WITH(check_nanotime_sections(doc),
                    StartsWith("n.toml:3:1: [status]: ") && Contains("[phc-pps-sync.status]") &&
                        Contains("[gps-sock-bridge.status]"));
  CHECK_THROWS_WITH(check_nanotime_sections(Document::load_string("[phc-pps-snyc]\n", "n.toml")),
                    Contains("unknown section"));
  CHECK_NOTHROW(check_nanotime_sections(
      Document::load_string("[phc-pps-sync]\n[gps-sock-bridge.status]\n", "n.toml")));
}
