#include "daemon/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/config.hpp"

namespace nanotime::ppsd {
namespace {

using config::Apply;
using config::key;
using C = DaemonConfig;

constexpr std::size_t kUnixPathMax = 107;  // sockaddr_un.sun_path, without its NUL

// The IEEE 1588 degradation classes a grandmaster in holdover may fall to.
config::Reader<int> degraded_class() {
  return {"integer", "52 | 187",
          [](config::Table& t, const std::string& name, const int& def) {
            const int v = static_cast<int>(t.get_int(name, def, {52, 187}));
            if (v != 52 && v != 187) t.fail(name, "must be 52 or 187 (IEEE 1588 degradation classes)");
            return v;
          },
          [](const int& v) { return std::to_string(v); }};
}

// [phc-pps-sync.record] (docs/recording.md).
template <class T>
std::function<T&(C&)> record_field(T RecordConfig::*member) {
  return [member](C& c) -> T& { return c.record.*member; };
}

std::vector<config::Key<C>> record_keys(const std::string& table) {
  return {
      key<C, bool>(table, "enabled", record_field(&RecordConfig::enabled), config::boolean(),
                   Apply::live,
                   "Record the daemon's inputs and outputs from its start (docs/recording.md)"),
      key<C, std::string>(table, "directory", record_field(&RecordConfig::directory),
                          config::path(), Apply::live, "Where recordings are written"),
      key<C, double>(table, "file_max_mb", record_field(&RecordConfig::file_max_mb),
                     config::number({1, 4096}), Apply::live,
                     "A recording file is closed and the next one begun beyond this size (MB)"),
      key<C, double>(table, "file_max_age_s", record_field(&RecordConfig::file_max_age_s),
                     config::number({60, 604800}), Apply::live,
                     "... or beyond this age (s)"),
      key<C, double>(table, "total_max_mb", record_field(&RecordConfig::total_max_mb),
                     config::number({1, 1048576}), Apply::live,
                     "The oldest recordings in the directory are removed beyond this total (MB)"),
      key<C, std::string>(table, "control_socket", record_field(&RecordConfig::control_socket),
                          config::path(kUnixPathMax), Apply::restart,
                          "Where `nanotime record` asks for a recording (root only)"),
  };
}

std::vector<config::Key<C>> make_keys() {
  const std::string t = kSection;
  std::vector<config::Key<C>> keys = {
      key(t, "interface", &C::interface, config::string(), Apply::restart,
          "Network interface whose PHC to lock (its carrier is watched too)"),
      key(t, "device", &C::device, config::path(), Apply::restart,
          "Or the PHC device itself, e.g. \"/dev/ptp0\" (no carrier watch)"),
      key(t, "pin", &C::pin, config::integer<unsigned>({0, 63}), Apply::restart,
          "PHC pin the PPS is wired to (CM4/CM5: 0, SYNC_OUT)"),
      key(t, "channel", &C::channel, config::integer<unsigned>({0, 63}), Apply::restart,
          "EXTTS channel the pin is routed to"),
      key(t, "set_pin", &C::set_pin, config::boolean(), Apply::restart,
          "Route the pin to EXTTS at start; false leaves the pins as they are"),
      key(t, "both_edges", &C::both_edges, config::boolean(), Apply::restart,
          "The driver timestamps both edges of the pulse (Intel i210/i226)"),
      key(t, "pulse_width_s", &C::pulse_width_s, config::number({0.001, 0.999}), Apply::restart,
          "Pulse width, to tell the edges apart with both_edges"),
      key(t, "phc_latch_model", &C::phc_latch_model,
          config::choice({"auto", "bcm-phy-ptp", "midpoint", "precise"}), Apply::restart,
          "Where the driver latches the PHC inside a read; auto picks by the PHC's driver"),
      key(t, "gpio_pps_device", &C::gpio_pps_device, config::path(), Apply::restart,
          "The same PPS on a GPIO (/dev/ppsN of the pps-gpio overlay), checking the system clock"),
      key(t, "gpio_latency_floor_ns", &C::gpio_latency_floor_ns, config::number({100, 1e6}),
          Apply::restart, "The smallest GPIO interrupt latency in any 64 pulses is below this (ns)"),
      key(t, "servo", &C::servo, config::choice({"kalman", "pi"}), Apply::restart,
          "kalman, or pi (the linuxptp-like baseline)"),
      key(t, "cable_delay_ns", &C::cable_delay_ns, config::number({-1e6, 1e6}), Apply::live,
          "Delay of the PPS cable and receiver output, compensated (ns)"),
      key(t, "holdover_limit_ns", &C::holdover_limit_ns, config::number({1, 1e9}),
          Apply::restart, "In holdover, clockClass 7 while the error bound is below this (ns)"),
      key(t, "max_freq_ppb", &C::max_freq_ppb, config::number({1000, 1e7}), Apply::restart,
          "Largest frequency correction (ppb)"),
      key(t, "degraded_clock_class", &C::degraded_clock_class, degraded_class(), Apply::restart,
          "clockClass once holdover has passed holdover_limit_ns"),
      key(t, "receiver_watch", &C::receiver_watch, config::boolean(), Apply::restart,
          "Watch the receiver's UBX messages through gpsd (time mode, survey, antenna, jamming)"),
      key(t, "receiver_navigation_wander_ns", &C::receiver_navigation_wander_ns,
          config::number({0, 1e6}), Apply::restart,
          "Extra pulse wander (1 sigma, ns) in the bound while the receiver surveys or navigates"),
      key(t, "tod_source", &C::tod_source, config::choice({"gpsd", "system"}), Apply::restart,
          "Which second a pulse belongs to: gpsd, or the synchronised system clock"),
      key(t, "gpsd_host", &C::gpsd_host, config::string(), Apply::live, "gpsd's address"),
      key(t, "gpsd_port", &C::gpsd_port, config::integer<int>({1, 65535}), Apply::live,
          "gpsd's port"),
      key(t, "system_max_error_s", &C::system_max_error_s, config::number({0.001, 0.4}),
          Apply::live, "With tod_source = \"system\": the largest kernel maxerror accepted"),
      key(t, "chrony_socket", &C::chrony_socket, config::path(kUnixPathMax), Apply::live,
          "chronyd's SOCK refclock socket (refid PHC0)"),
      key(t, "chronyd_query_interval_s", &C::chronyd_query_interval_s, config::number({0, 3600}),
          Apply::restart, "How often chronyd's view (chronyc tracking, sources) is read for /metrics; 0 = never"),
      key(t, "chronyd_command_socket", &C::chronyd_command_socket, config::path(kUnixPathMax),
          Apply::restart, "chronyc -h for that query (\"\" = chronyc's default)"),
      key(t, "ptp4l_socket", &C::ptp4l_socket, config::path(kUnixPathMax), Apply::live,
          "ptp4l's management socket (uds_address)"),
      key(t, "ptp4l_domain", &C::ptp4l_domain, config::integer<int>({0, 255}), Apply::live,
          "ptp4l's domainNumber"),
      key(t, "leap_seconds_file", &C::leap_seconds_file, config::path(), Apply::restart,
          "tzdata's leap-seconds.list"),
      key(t, "temperature_file", &C::temperature_file, config::path(), Apply::live,
          "Board temperature (millidegrees C), an input of the holdover model"),
      key(t, "log_level", &C::log_level,
          config::choice({"debug", "info", "notice", "warning", "error"}), Apply::live,
          "Least important messages logged"),
  };
  for (auto& k : status::status_keys(t + ".status", &C::status)) keys.push_back(std::move(k));
  for (auto& k : record_keys(t + ".record")) keys.push_back(std::move(k));
  return keys;
}

// status_listen, before [phc-pps-sync.status]: still read, with a warning naming the new key.
void read_deprecated_status_listen(config::Table& t, DaemonConfig& c) {
  const toml::node* n = t.node("status_listen");
  if (n == nullptr) return;
  config::Table status = t.subtable("status");
  if (status.node("listen") != nullptr || status.node("enabled") != nullptr) {
    t.fail("status_listen", "remove it: [phc-pps-sync.status] sets listen/enabled");
  }
  const std::string v = t.get_string("status_listen", "");
  if (v.empty()) {
    c.status.enabled = false;
  } else {
    const auto reader = status::listen_address();
    c.status.http.listen = reader.read(t, "status_listen", "");
  }
  c.warnings.push_back(fmt::format(
      "{}: status_listen is deprecated: use {} in [phc-pps-sync.status] instead",
      t.where("status_listen").str(), v.empty() ? "enabled = false" : "listen"));
}

}  // namespace

const config::KeyTable<DaemonConfig>& key_table() {
  static const config::KeyTable<DaemonConfig> table(kSection, make_keys());
  return table;
}

DaemonConfig load_config(const config::Document& doc, PhcKeys phc) {
  config::check_nanotime_sections(doc);
  config::Table t = doc.table(kSection);
  DaemonConfig c;
  key_table().read(t, c);
  c.receiver_watch_set = t.node("receiver_watch") != nullptr;
  read_deprecated_status_listen(t, c);
  t.finish();

  // Cross-key rules, reported at the key that makes them fail.
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

std::string describe(const DaemonConfig& c) { return key_table().summary(c); }

std::string print_config(const DaemonConfig& c) { return key_table().json(DaemonConfig{}, c); }

std::vector<std::string> keys_needing_restart(const DaemonConfig& a, const DaemonConfig& b) {
  return key_table().restart_diff(a, b);
}

DaemonConfig keep_restart_values(const DaemonConfig& running, const DaemonConfig& loaded) {
  return key_table().keep_restart_values(running, loaded);
}

}  // namespace nanotime::ppsd
