#include "daemon/config.hpp"

#include <fmt/format.h>

#include "config/config.hpp"

namespace nanotime::ppsd {
namespace {

// "" (off) or an absolute path; `max_len` for Unix socket paths (sockaddr_un: 107 bytes).
std::string optional_path(config::Table& t, const char* key, std::string def,
                          std::size_t max_len = 4096) {
  std::string v = t.get_string(key, std::move(def));
  if (v.empty()) return v;
  if (v.front() != '/') t.fail(key, fmt::format("\"{}\" is not an absolute path (or \"\" for off)", v));
  if (v.find('\0') != std::string::npos) t.fail(key, "path contains a NUL byte");
  if (v.size() > max_len) {
    t.fail(key, fmt::format("path is longer than {} bytes (a Unix socket path limit)", max_len));
  }
  return v;
}

// "host:port", "[v6]:port", "unix:/path" or "" (off). The status library parses it fully; this
// catches the obvious mistakes at the right line before anything starts.
std::string listen_address(config::Table& t, const char* key, std::string def) {
  std::string v = t.get_string(key, std::move(def));
  if (v.empty()) return v;
  if (v.rfind("unix:/", 0) == 0) return v;
  const auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == v.size() ||
      v.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
    t.fail(key, fmt::format("\"{}\" is not \"address:port\", \"unix:/path\" or \"\" (off)", v));
  }
  const unsigned long port = std::stoul(v.substr(colon + 1));
  if (port > 65535) t.fail(key, fmt::format("port {} is out of range", port));
  return v;
}

}  // namespace

DaemonConfig load_config(const config::Document& doc, PhcKeys phc) {
  doc.check_top_level({"gps-sock-bridge", "phc-pps-sync", "status"});
  config::Table t = doc.table(kSection);
  DaemonConfig c;
  c.interface = t.get_string("interface", c.interface);
  c.device = optional_path(t, "device", c.device);
  c.pin = static_cast<unsigned>(t.get_int("pin", c.pin, {0, 63}));
  c.channel = static_cast<unsigned>(t.get_int("channel", c.channel, {0, 63}));
  c.set_pin = t.get_bool("set_pin", c.set_pin);
  c.both_edges = t.get_bool("both_edges", c.both_edges);
  c.pulse_width_s = t.get_double("pulse_width_s", c.pulse_width_s, {0.001, 0.999});
  c.servo = t.get_choice("servo", c.servo, {"kalman", "pi"});
  c.cable_delay_ns = t.get_double("cable_delay_ns", c.cable_delay_ns, {-1e6, 1e6});
  c.holdover_limit_ns = t.get_double("holdover_limit_ns", c.holdover_limit_ns, {1, 1e9});
  c.max_freq_ppb = t.get_double("max_freq_ppb", c.max_freq_ppb, {1000, 10000000});
  c.degraded_clock_class =
      static_cast<int>(t.get_int("degraded_clock_class", c.degraded_clock_class, {52, 187}));
  c.tod_source = t.get_choice("tod_source", c.tod_source, {"gpsd", "system"});
  c.gpsd_host = t.get_string("gpsd_host", c.gpsd_host);
  c.gpsd_port = static_cast<int>(t.get_int("gpsd_port", c.gpsd_port, {1, 65535}));
  c.system_max_error_s = t.get_double("system_max_error_s", c.system_max_error_s, {0.001, 0.4});
  c.chrony_socket = optional_path(t, "chrony_socket", c.chrony_socket, 107);
  c.ptp4l_socket = optional_path(t, "ptp4l_socket", c.ptp4l_socket, 107);
  c.ptp4l_domain = static_cast<int>(t.get_int("ptp4l_domain", c.ptp4l_domain, {0, 255}));
  c.leap_seconds_file = optional_path(t, "leap_seconds_file", c.leap_seconds_file);
  c.temperature_file = optional_path(t, "temperature_file", c.temperature_file);
  c.status_listen = listen_address(t, "status_listen", c.status_listen);
  c.log_level =
      t.get_choice("log_level", c.log_level, {"debug", "info", "notice", "warning", "error"});
  t.finish();

  // Cross-key rules, reported at the key that makes them fail.
  if (c.degraded_clock_class != 52 && c.degraded_clock_class != 187) {
    t.fail("degraded_clock_class", "must be 52 or 187 (IEEE 1588 degradation classes)");
  }
  if (c.tod_source == "gpsd" && c.gpsd_host.empty()) t.fail("gpsd_host", "must not be empty");
  if (!c.interface.empty() && c.interface.size() > 15) {
    t.fail("interface", fmt::format("\"{}\" is longer than an interface name can be (15)", c.interface));
  }
  if (phc == PhcKeys::required) {
    if (c.interface.empty() && c.device.empty()) {
      t.fail("interface", "set exactly one of interface (e.g. \"eth0\") or device (e.g. \"/dev/ptp0\")");
    }
    if (!c.interface.empty() && !c.device.empty()) {
      t.fail("device", "set exactly one of interface or device, not both");
    }
  }
  return c;
}

DaemonConfig load_config_file(const std::string& path, PhcKeys phc) {
  return load_config(config::Document::load_file(path), phc);
}

std::string describe(const DaemonConfig& c) {
  const auto off = [](const std::string& s) { return s.empty() ? std::string("off") : s; };
  const std::string phc = !c.interface.empty() ? fmt::format("PHC of interface {}", c.interface)
                          : !c.device.empty()  ? c.device
                                               : std::string("(simulated)");
  return fmt::format(
      "PHC:               {}, pin {}{}, EXTTS channel {}{}\n"
      "servo:             {}, max {} ppb, cable delay {} ns\n"
      "holdover:          clockClass 7 while the bound < {} ns, then {}\n"
      "time of day:       {}\n"
      "chronyd SOCK:      {}\n"
      "ptp4l:             {} (domain {})\n"
      "leap-seconds.list: {}\n"
      "temperature:       {}\n"
      "status HTTP:       {}\n",
      phc, c.pin, c.set_pin ? "" : " (left as configured)", c.channel,
      c.both_edges ? fmt::format(", both edges ({} s pulse)", c.pulse_width_s) : std::string(),
      c.servo, c.max_freq_ppb, c.cable_delay_ns, c.holdover_limit_ns, c.degraded_clock_class,
      c.tod_source == "gpsd" ? fmt::format("gpsd {}:{}", c.gpsd_host, c.gpsd_port)
                             : fmt::format("system clock (when synchronised, maxerror < {} s)",
                                           c.system_max_error_s),
      off(c.chrony_socket), off(c.ptp4l_socket), c.ptp4l_domain, off(c.leap_seconds_file),
      off(c.temperature_file), off(c.status_listen));
}

std::vector<std::string> keys_needing_restart(const DaemonConfig& a, const DaemonConfig& b) {
  std::vector<std::string> keys;
  const auto check = [&](bool differ, const char* key) {
    if (differ) keys.emplace_back(key);
  };
  check(a.interface != b.interface, "interface");
  check(a.device != b.device, "device");
  check(a.pin != b.pin, "pin");
  check(a.channel != b.channel, "channel");
  check(a.set_pin != b.set_pin, "set_pin");
  check(a.both_edges != b.both_edges, "both_edges");
  check(a.pulse_width_s != b.pulse_width_s, "pulse_width_s");
  check(a.servo != b.servo, "servo");
  check(a.holdover_limit_ns != b.holdover_limit_ns, "holdover_limit_ns");
  check(a.max_freq_ppb != b.max_freq_ppb, "max_freq_ppb");
  check(a.degraded_clock_class != b.degraded_clock_class, "degraded_clock_class");
  check(a.tod_source != b.tod_source, "tod_source");
  check(a.leap_seconds_file != b.leap_seconds_file, "leap_seconds_file");
  return keys;
}

}  // namespace nanotime::ppsd
