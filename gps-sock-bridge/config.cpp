#include "config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/config.hpp"
#include "status/catalog.hpp"

namespace nanotime::bridge {
namespace {

using config::Apply;
using config::key;
using C = BridgeConfig;

constexpr std::size_t kUnixPathMax = 107;  // sockaddr_un.sun_path, without its NUL

config::Reader<std::vector<int>> shm_unit_list() {
  return {"array of integers", "0..255",
          [](config::Table& t, const std::string& name, const std::vector<int>& def) {
            const std::vector<std::int64_t> dflt(def.begin(), def.end());
            std::vector<int> out;
            for (const std::int64_t u : t.get_int_array(name, dflt, {0, 255})) {
              out.push_back(static_cast<int>(u));
            }
            return out;
          },
          [](const std::vector<int>& v) { return fmt::format("[{}]", fmt::join(v, ", ")); }};
}

// A file mode as an octal string ("0600"): TOML has no octal integers people would recognise.
config::Reader<mode_t> octal_perm() {
  return {"octal string", "\"0000\"..\"0777\"",
          [](config::Table& t, const std::string& name, const mode_t& def) {
            const std::string v = t.get_string(name, fmt::format("{:04o}", def));
            if (v.empty() || v.size() > 4 || v.find_first_not_of("01234567") != std::string::npos) {
              t.fail(name, fmt::format("\"{}\" is not an octal permission such as \"0600\"", v));
            }
            const unsigned long perm = std::stoul(v, nullptr, 8);
            if (perm > 0777) t.fail(name, fmt::format("\"{}\" has bits beyond 0777", v));
            return static_cast<mode_t>(perm);
          },
          [](const mode_t& v) { return fmt::format("\"{:04o}\"", v); }};
}

// Seconds (0 <= x < 1), or "auto" (nullopt): estimated from PPS.
config::Reader<std::optional<double>> serial_offset() {
  return {"number or \"auto\"", "0..<1 | \"auto\"",
          [](config::Table& t, const std::string& name, const std::optional<double>& def) {
            const toml::node* n = t.node(name);
            if (n == nullptr) return def;
            if (n->is_string()) {
              if (n->as_string()->get() == "auto") return std::optional<double>();
              t.fail(name, fmt::format("\"{}\" is neither a number of seconds nor \"auto\"",
                                       n->as_string()->get()));
            }
            double v = 0;
            if (n->is_integer()) {
              v = static_cast<double>(n->as_integer()->get());
            } else if (n->is_floating_point()) {
              v = n->as_floating_point()->get();
            } else {
              t.fail(name, "expected a number of seconds (0 <= x < 1) or \"auto\"");
            }
            if (!(v >= 0.0 && v < 1.0)) {
              t.fail(name, fmt::format("{} is out of range: the serial delay must be 0 <= x < 1 s "
                                       "(negative values are not allowed)", v));
            }
            return std::optional<double>(v);
          },
          [](const std::optional<double>& v) {
            return v ? config::number_literal(*v) : std::string("\"auto\"");
          }};
}

std::vector<config::Key<C>> make_keys() {
  const std::string t = kSection;
  std::vector<config::Key<C>> keys = {
      key(t, "gpsd_host", &C::gpsd_host, config::string(), Apply::live,
          "gpsd to read the receiver's time (TOFF) and PPS reports from"),
      key(t, "gpsd_port", &C::gpsd_port, config::integer<int>({1, 65535}), Apply::live,
          "gpsd's port"),
      key(t, "time_socket", &C::time_socket, config::path(kUnixPathMax), Apply::live,
          "chronyd SOCK socket for the time samples (refid GPS)"),
      key(t, "pps_socket", &C::pps_socket, config::path(kUnixPathMax), Apply::live,
          "chronyd SOCK socket for the PPS samples (refid PPS)"),
      key(t, "shm_units", &C::shm_units, shm_unit_list(), Apply::live,
          "NTP SHM units that also receive the time samples"),
      key(t, "shm_perm", &C::shm_perm, octal_perm(), Apply::live,
          "Mode of an SHM segment the bridge creates"),
      key(t, "offset_s", &C::offset_s, serial_offset(), Apply::live,
          "Serial delay of the time message after the second (s), or \"auto\" from PPS"),
      key(t, "max_auto_offset_s", &C::max_auto_offset_s, config::number({0.001, 0.999}),
          Apply::live, "Largest serial delay \"auto\" accepts (s)"),
      key(t, "min_fix_mode", &C::min_fix_mode, config::integer<int>({2, 3}), Apply::live,
          "Fix needed for samples: 2 = 2D, 3 = 3D"),
      key(t, "jump_tolerance_s", &C::jump_tolerance_s, config::number({1e-6, 10}), Apply::live,
          "A report this far from the recent median is held back (s)"),
      key(t, "confirm_reports", &C::confirm_reports, config::integer<int>({1, 100}), Apply::live,
          "Agreeing reports that confirm a jump"),
      key(t, "median_window", &C::median_window, config::integer<int>({1, 255}), Apply::live,
          "Passed offsets the median is taken of"),
  };
  for (auto& k : status::status_keys(t + ".status", &C::status)) keys.push_back(std::move(k));
  return keys;
}

}  // namespace

status::StatusConfig default_status() {
  status::StatusConfig s;
  s.http.listen = fmt::format("127.0.0.1:{}", status::kGpsSockBridgePort);
  return s;
}

const config::KeyTable<BridgeConfig>& key_table() {
  static const config::KeyTable<BridgeConfig> table(kSection, make_keys());
  return table;
}

BridgeConfig load_config(const config::Document& doc) {
  config::check_nanotime_sections(doc);
  config::Table t = doc.table(kSection);
  BridgeConfig c;
  key_table().read(t, c);
  t.finish();

  // Cross-key rules, reported at the key that makes them fail.
  if (c.gpsd_host.empty()) t.fail("gpsd_host", "must not be empty");
  if (!c.pps_socket.empty() && c.pps_socket == c.time_socket) {
    t.fail("pps_socket", "must differ from time_socket (two streams in one chrony refclock)");
  }
  if (c.time_socket.empty() && c.pps_socket.empty() && c.shm_units.empty()) {
    t.fail("time_socket", "no output: time_socket, pps_socket and shm_units are all empty");
  }
  for (std::size_t i = 0; i < c.shm_units.size(); ++i) {
    for (std::size_t j = i + 1; j < c.shm_units.size(); ++j) {
      if (c.shm_units[i] == c.shm_units[j]) {
        t.fail("shm_units", fmt::format("unit {} is listed twice", c.shm_units[i]));
      }
    }
  }
  return c;
}

BridgeConfig load_config_file(const std::string& path) {
  return load_config(config::Document::load_file(path));
}

std::string describe(const BridgeConfig& c) { return key_table().summary(c); }

std::string print_config(const BridgeConfig& c) { return key_table().json(BridgeConfig{}, c); }

}  // namespace nanotime::bridge
