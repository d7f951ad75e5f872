#include "config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/config.hpp"
#include "status/catalog.hpp"

namespace nanotime::bridge {
namespace {

// "" (off) or an absolute path that fits in sockaddr_un.
std::string socket_path(config::Table& t, const char* key, std::string def) {
  std::string v = t.get_string(key, std::move(def));
  if (v.empty()) return v;
  if (v.front() != '/') t.fail(key, fmt::format("\"{}\" is not an absolute path (or \"\" for off)", v));
  if (v.find('\0') != std::string::npos) t.fail(key, "path contains a NUL byte");
  if (v.size() > 107) t.fail(key, "path is longer than a Unix socket path can be (107 bytes)");
  return v;
}

mode_t octal_perm(config::Table& t, const char* key, const char* def) {
  const std::string v = t.get_string(key, def);
  if (v.empty() || v.size() > 4 || v.find_first_not_of("01234567") != std::string::npos) {
    t.fail(key, fmt::format("\"{}\" is not an octal permission such as \"0600\"", v));
  }
  const unsigned long perm = std::stoul(v, nullptr, 8);
  if (perm > 0777) t.fail(key, fmt::format("\"{}\" has bits beyond 0777", v));
  return static_cast<mode_t>(perm);
}

std::optional<double> offset(config::Table& t, const char* key) {
  const toml::node* n = t.node(key);
  if (n == nullptr) return 0.0;
  if (n->is_string()) {
    if (n->as_string()->get() == "auto") return std::nullopt;
    t.fail(key, fmt::format("\"{}\" is neither a number of seconds nor \"auto\"",
                            n->as_string()->get()));
  }
  double v = 0;
  if (n->is_integer()) {
    v = static_cast<double>(n->as_integer()->get());
  } else if (n->is_floating_point()) {
    v = n->as_floating_point()->get();
  } else {
    t.fail(key, "expected a number of seconds (0 <= x < 1) or \"auto\"");
  }
  if (!(v >= 0.0 && v < 1.0)) {
    t.fail(key, fmt::format("{} is out of range: the serial delay must be 0 <= x < 1 s "
                            "(negative values are not allowed)", v));
  }
  return v;
}

std::string default_listen() { return fmt::format("127.0.0.1:{}", status::kGpsSockBridgePort); }

}  // namespace

status::StatusConfig default_status() {
  status::StatusConfig s;
  s.http.listen = default_listen();
  return s;
}

BridgeConfig load_config(const config::Document& doc) {
  doc.check_top_level({"gps-sock-bridge", "phc-pps-sync", "status"});
  config::Table t = doc.table(kSection);
  BridgeConfig c;
  c.gpsd_host = t.get_string("gpsd_host", c.gpsd_host);
  if (c.gpsd_host.empty()) t.fail("gpsd_host", "must not be empty");
  c.gpsd_port = static_cast<int>(t.get_int("gpsd_port", c.gpsd_port, {1, 65535}));
  c.time_socket = socket_path(t, "time_socket", c.time_socket);
  c.pps_socket = socket_path(t, "pps_socket", c.pps_socket);
  for (const std::int64_t u : t.get_int_array("shm_units", {}, {0, 255})) {
    c.shm_units.push_back(static_cast<int>(u));
  }
  c.shm_perm = octal_perm(t, "shm_perm", "0600");
  c.offset_s = offset(t, "offset_s");
  c.min_fix_mode = static_cast<int>(t.get_int("min_fix_mode", c.min_fix_mode, {2, 3}));
  c.jump_tolerance_s = t.get_double("jump_tolerance_s", c.jump_tolerance_s, {1e-6, 10});
  c.confirm_reports = static_cast<int>(t.get_int("confirm_reports", c.confirm_reports, {1, 100}));
  c.median_window = static_cast<int>(t.get_int("median_window", c.median_window, {1, 255}));
  c.max_auto_offset_s = t.get_double("max_auto_offset_s", c.max_auto_offset_s, {0.001, 0.999});
  // Read (and finished) before t.finish(), so "status" counts as a known key of the table.
  config::Table status_table = t.subtable("status");
  c.status = status::read_status_config(status_table, default_listen());
  t.finish();

  // Cross-key rules, reported at the key that makes them fail.
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

namespace {
std::string status_summary(const status::StatusConfig& s) {
  if (!s.enabled) return "off";
  return fmt::format("{}{}, at most {} connections, {} s each", s.http.listen,
                     s.http.allow.empty() ? std::string(" (loopback peers only)")
                                          : fmt::format(" (also {})", fmt::join(s.http.allow, ", ")),
                     s.http.max_connections, static_cast<double>(s.http.deadline_ns) / 1e9);
}
}  // namespace

std::string describe(const BridgeConfig& c) {
  const auto off = [](const std::string& s) { return s.empty() ? std::string("off") : s; };
  return fmt::format(
      "gpsd:              {}:{}\n"
      "time samples:      SOCK {}, SHM units {}{}\n"
      "PPS samples:       SOCK {}\n"
      "serial delay:      {}\n"
      "fix required:      mode >= {} ({})\n"
      "jump gate:         tolerance {} s, {} confirming reports, median of {}\n"
      "status HTTP:       {}\n",
      c.gpsd_host, c.gpsd_port, off(c.time_socket),
      c.shm_units.empty() ? std::string("none") : fmt::format("{}", fmt::join(c.shm_units, ",")),
      c.shm_units.empty() ? std::string() : fmt::format(" (perm {:04o})", c.shm_perm),
      off(c.pps_socket),
      c.offset_s ? fmt::format("{} s", *c.offset_s)
                 : fmt::format("auto (from PPS, at most {} s)", c.max_auto_offset_s),
      c.min_fix_mode, c.min_fix_mode == 2 ? "2D" : "3D", c.jump_tolerance_s, c.confirm_reports,
      c.median_window, status_summary(c.status));
}

}  // namespace nanotime::bridge
