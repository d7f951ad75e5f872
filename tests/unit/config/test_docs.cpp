// The key tables against what users read: etc/nanotime.toml shows every key of each daemon
// with its default (commented out, or set on purpose), and each man page introduces every key
// with man_header() (type, range, default, restart) in the section of its table.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "config.hpp"  // gps-sock-bridge
#include "config/config.hpp"
#include "config/keys.hpp"
#include "daemon/config.hpp"
#include "receiver_config.hpp"  // nanotime-receiver

using namespace nanotime;

namespace {

std::string read_file(const std::string& relative) {
  std::ifstream in(std::string(NANOTIME_SOURCE_DIR) + "/" + relative);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// nanotime.toml's "key = value" lines per table; `commented` tells "#key = value" apart.
struct TomlLine {
  std::string text;  // "key = value", without the '#'
  bool commented = false;
};
std::map<std::string, std::map<std::string, TomlLine>> toml_keys(const std::string& text) {
  std::map<std::string, std::map<std::string, TomlLine>> out;
  static const std::regex table(R"(^\[([a-z0-9_.-]+)\]\s*$)");
  static const std::regex line(R"(^(#?)([a-z0-9_]+) = .*$)");
  std::istringstream in(text);
  std::string current;
  std::smatch m;
  for (std::string l; std::getline(in, l);) {
    if (std::regex_match(l, m, table)) {
      current = m[1];
    } else if (std::regex_match(l, m, line)) {
      out[current][m[2]] = TomlLine{l.substr(m[1].length()), m[1].length() > 0};
    }
  }
  return out;
}

// The man page's lines per .SS section whose title names a table ("[phc-pps-sync.status]").
std::map<std::string, std::set<std::string>> man_sections(const std::string& text) {
  std::map<std::string, std::set<std::string>> out;
  static const std::regex section(R"(^\.S[SH] .*\[([a-z0-9_.-]+)\].*$)");
  static const std::regex other(R"(^\.S[SH] .*$)");
  std::istringstream in(text);
  std::string current;
  std::smatch m;
  for (std::string l; std::getline(in, l);) {
    if (std::regex_match(l, m, section)) {
      current = m[1];
    } else if (std::regex_match(l, other)) {
      current.clear();
    } else if (!current.empty()) {
      out[current].insert(l);
    }
  }
  return out;
}

// A commented-out line must hold the default: it is read as the key's table would read it.
template <class C>
bool holds_default(const config::Key<C>& k, const std::string& line) {
  const config::Document doc = config::Document::load_string("[t]\n" + line + "\n", "line");
  config::Table t = doc.table("t");
  C read;
  k.read(t, read);
  return k.same(read, C{});
}

template <class C>
void check_toml(const config::KeyTable<C>& table) {
  const auto file = toml_keys(read_file("etc/nanotime.toml"));
  for (const auto& k : table.keys()) {
    INFO("etc/nanotime.toml, [" << k.table << "] " << k.name << ": expected \"#" << k.name
                                << " = " << k.literal(C{}) << "\"");
    const auto t = file.find(k.table);
    REQUIRE(t != file.end());
    const auto l = t->second.find(k.name);
    REQUIRE(l != t->second.end());
    if (l->second.commented) CHECK(holds_default(k, l->second.text));
  }
}

template <class C>
void check_man(const config::KeyTable<C>& table, const std::string& page) {
  const auto sections = man_sections(read_file(page));
  for (const auto& k : table.keys()) {
    const std::string want = config::man_header(k, C{});
    INFO(page << ": in the section titled [" << k.table << "], the line " << want);
    const auto s = sections.find(k.table);
    REQUIRE(s != sections.end());
    CHECK(s->second.count(want) == 1);
  }
}

}  // namespace

TEST_CASE("etc/nanotime.toml shows every phc-pps-sync key with its default", "[unit]") {
  check_toml(ppsd::key_table());
}

TEST_CASE("etc/nanotime.toml shows every gps-sock-bridge key with its default", "[unit]") {
  check_toml(bridge::key_table());
}

TEST_CASE("etc/nanotime.toml shows every [receiver] key with its default", "[unit]") {
  check_toml(rcv::key_table());
}

TEST_CASE("nanotime-receiver.1 documents every [receiver] key with its default", "[unit]") {
  check_man(rcv::key_table(), "receiver/nanotime-receiver.1");
}

TEST_CASE("phc-pps-sync.8 documents every key with its default", "[unit]") {
  check_man(ppsd::key_table(), "phc-pps-sync/phc-pps-sync.8");
}

TEST_CASE("gps-sock-bridge.8 documents every key with its default", "[unit]") {
  check_man(bridge::key_table(), "gps-sock-bridge/gps-sock-bridge.8");
}

TEST_CASE("the checks notice a wrong default and a missing key", "[unit]") {
  const auto& keys = ppsd::key_table().keys();
  const auto pin = std::find_if(keys.begin(), keys.end(), [](const auto& k) { return k.name == "pin"; });
  REQUIRE(pin != keys.end());
  CHECK(holds_default(*pin, "pin = 0"));
  CHECK_FALSE(holds_default(*pin, "pin = 1"));
  const auto file = toml_keys("[phc-pps-sync]\n#pin = 0\ninterface = \"eth0\"\n[phc-pps-sync.status]\n#listen = \"x\"\n");
  CHECK(file.at("phc-pps-sync").at("pin").commented);
  CHECK_FALSE(file.at("phc-pps-sync").at("interface").commented);
  CHECK(file.at("phc-pps-sync.status").count("listen") == 1);
  CHECK(file.at("phc-pps-sync").count("listen") == 0);
  const auto man = man_sections(".SH CONFIGURATION\n.SS \"[phc-pps-sync]\"\n.BR pin\n.SS Other\n.BR channel\n");
  CHECK(man.at("phc-pps-sync").count(".BR pin") == 1);
  CHECK(man.at("phc-pps-sync").count(".BR channel") == 0);
}

TEST_CASE("--print-config describes both daemons' defaults", "[unit]") {
  // The doctor reads these: the status addresses are where it looks for the daemons.
  CHECK_THAT(ppsd::print_config(ppsd::DaemonConfig{}),
             Catch::Matchers::Contains(R"("table": "phc-pps-sync.status", "key": "listen", "type": "listen address", "constraint": "\"host:port\" | \"[v6]:port\" | \"unix:/path\"", "default": "127.0.0.1:8473")"));
  CHECK_THAT(bridge::print_config(bridge::BridgeConfig{}),
             Catch::Matchers::Contains(R"("key": "listen", "type": "listen address", "constraint": "\"host:port\" | \"[v6]:port\" | \"unix:/path\"", "default": "127.0.0.1:8474")"));
}

TEST_CASE("phc-pps-sync: the deprecated status_listen still works, with a warning", "[unit]") {
  const auto load = [](const std::string& text) {
    return ppsd::load_config(config::Document::load_string(text, "n.toml"));
  };
  const auto c = load("[phc-pps-sync]\ninterface = \"eth0\"\nstatus_listen = \"127.0.0.1:9999\"\n");
  CHECK(c.status.enabled);
  CHECK(c.status.http.listen == "127.0.0.1:9999");
  REQUIRE(c.warnings.size() == 1);
  CHECK_THAT(c.warnings[0], Catch::Matchers::StartsWith("n.toml:3:") &&
                                Catch::Matchers::Contains("listen in [phc-pps-sync.status]"));
  const auto off = load("[phc-pps-sync]\ninterface = \"eth0\"\nstatus_listen = \"\"\n");
  CHECK_FALSE(off.status.enabled);
  CHECK_THAT(off.warnings.at(0), Catch::Matchers::Contains("enabled = false"));
  CHECK(load("[phc-pps-sync]\ninterface = \"eth0\"\n").warnings.empty());
  CHECK_THROWS_WITH(load("[phc-pps-sync]\ninterface = \"eth0\"\nstatus_listen = \"127.0.0.1:1\"\n"
                         "[phc-pps-sync.status]\nlisten = \"127.0.0.1:2\"\n"),
                    Catch::Matchers::StartsWith("n.toml:3:") && Catch::Matchers::Contains("remove it"));
  CHECK_THROWS_WITH(load("[phc-pps-sync]\ninterface = \"eth0\"\nstatus_listen = \"nohost\"\n"),
                    Catch::Matchers::StartsWith("n.toml:3:"));
}

TEST_CASE("phc-pps-sync: a reload keeps the running PHC and servo, takes the status table", "[unit]") {
  const auto load = [](const std::string& text) {
    return ppsd::load_config(config::Document::load_string(text, "n.toml"));
  };
  const auto running = load("[phc-pps-sync]\ninterface = \"eth0\"\n");
  const auto loaded = load("[phc-pps-sync]\ninterface = \"eth1\"\nservo = \"pi\"\ncable_delay_ns = 5\n"
                           "[phc-pps-sync.status]\nlisten = \"127.0.0.1:9000\"\n");
  CHECK(ppsd::keys_needing_restart(running, loaded) == std::vector<std::string>{"interface", "servo"});
  const auto now = ppsd::keep_restart_values(running, loaded);
  CHECK(now.interface == "eth0");
  CHECK(now.servo == "kalman");
  CHECK(now.cable_delay_ns == 5);
  CHECK(now.status.http.listen == "127.0.0.1:9000");
}
