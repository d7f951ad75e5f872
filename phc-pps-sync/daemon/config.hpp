#pragma once
// phc-pps-sync configuration: the [phc-pps-sync] table of /etc/nanotime/nanotime.toml and its
// [phc-pps-sync.status] sub-table. key_table() (config.cpp) declares every key once; the
// defaults are the initializers below. Tests hold etc/nanotime.toml and phc-pps-sync.8 to it.

#include <string>
#include <vector>

#include "config/keys.hpp"
#include "discipline/engine.hpp"
#include "status/catalog.hpp"
#include "status/http_config.hpp"

namespace nanotime::config {
class Document;
}

namespace nanotime::ppsd {

inline constexpr const char* kDefaultConfigPath = "/etc/nanotime/nanotime.toml";
inline constexpr const char* kSection = "phc-pps-sync";

inline status::StatusConfig default_status() {
  status::StatusConfig s;
  s.http.listen = "127.0.0.1:" + std::to_string(status::kPhcPpsSyncPort);
  return s;
}

// The engine's own defaults are those of the keys that feed it: one place for each.
inline const discipline::EngineConfig kEngineDefaults{};

// [phc-pps-sync.record]: field recordings (docs/recording.md). Files are closed and a new one
// begun past file_max_mb or file_max_age_s; the oldest are removed past total_max_mb.
struct RecordConfig {
  bool enabled = false;  // record from the start (SIGHUP: start or stop)
  std::string directory = "/var/lib/nanotime/recordings";
  double file_max_mb = 64;
  double file_max_age_s = 86400;
  double total_max_mb = 1024;
  std::string control_socket = "/run/nanotime/phc-pps-sync.record.sock";  // `nanotime record`
  bool operator==(const RecordConfig&) const = default;
};

struct DaemonConfig {
  // ---- the PHC (exactly one of interface/device; neither in --simulate mode) ----
  std::string interface;            // "eth0": the PHC behind it, and its carrier via netlink
  std::string device;               // "/dev/ptp0": no carrier watch
  unsigned pin = 0;                 // SYNC_OUT on the CM4/CM5 PHY
  unsigned channel = 0;             // EXTTS channel
  bool set_pin = true;              // PTP_PIN_SETFUNC before EXTTS (false: leave pins alone)
  bool both_edges = kEngineDefaults.both_edges;  // the driver timestamps both edges (i210/i226)
  double pulse_width_s = kEngineDefaults.pulse_width_s;
  // ---- the PHC-to-system transfer (lib/transfer, docs/hardware-notes.md#phc-read) ----
  std::string phc_latch_model = "auto";  // "auto": by the PHC's driver (clock_name)
  std::string gpio_pps_device;           // "" = no GPIO PPS; "/dev/pps0" from pps-gpio
  double gpio_latency_floor_ns = 4000;   // the least GPIO latency in 64 pulses is below this
  // ---- the engine ----
  std::string servo = kEngineDefaults.servo;  // "kalman" | "pi"
  double cable_delay_ns = kEngineDefaults.cable_delay_ns;
  double holdover_limit_ns = kEngineDefaults.holdover_limit_ns;
  double max_freq_ppb = kEngineDefaults.max_freq_ppb;
  int degraded_clock_class = kEngineDefaults.degraded_clock_class;  // 52 or 187
  // The receiver's time mode (docs/user-guide.md#receiver-watch): watched through gpsd's raw
  // UBX stream; while it surveys or navigates the bound adds this wander (1 sigma).
  bool receiver_watch = true;
  // Not a key: whether the file set receiver_watch itself. The realtime simulation watches
  // gpsd's receiver only then (its World has no receiver of its own; daemon.cpp).
  bool receiver_watch_set = false;
  double receiver_navigation_wander_ns = kEngineDefaults.receiver_navigation_wander_ns;
  // ---- time of day ----
  std::string tod_source = "gpsd";  // "gpsd" | "system"
  std::string gpsd_host = "127.0.0.1";
  int gpsd_port = 2947;
  double system_max_error_s = 0.1;  // tod_source = "system": adjtimex maxerror limit
  // ---- outputs ----
  std::string chrony_socket = "/run/chrony.phc0.sock";  // "" = off
  // chronyd's view on /metrics: `chronyc -c tracking/sources` every this many seconds (0 = off),
  // through chronyc -h chronyd_command_socket ("" = chronyc's default: socket, then UDP 323).
  double chronyd_query_interval_s = 16;
  std::string chronyd_command_socket;
  std::string ptp4l_socket = "/var/run/ptp4l";          // "" = off
  int ptp4l_domain = 0;
  std::string leap_seconds_file = "/usr/share/zoneinfo/leap-seconds.list";  // "" = off
  std::string temperature_file = "/sys/class/thermal/thermal_zone0/temp";   // "" = off
  std::string log_level = "info";   // "debug" | "info" | "notice" | "warning" | "error"
  // [phc-pps-sync.status]: /metrics, /status and the dashboard.
  status::StatusConfig status = default_status();
  // [phc-pps-sync.record]: field recordings.
  RecordConfig record;

  // Not keys: what the file said that still works but should change (a deprecated key), for
  // the daemon to log.
  std::vector<std::string> warnings;
};

// Every key of [phc-pps-sync] and [phc-pps-sync.status].
const config::KeyTable<DaemonConfig>& key_table();

// What to require of the PHC keys: a daemon on hardware needs exactly one of interface/device;
// the realtime simulation (and --print-config) uses neither.
enum class PhcKeys { required, ignored };

// Reads and validates [phc-pps-sync] (the other nanotime tables are allowed and ignored, any
// other top-level name is an error). Throws config::ConfigError "file:line:col: [table] key:
// message".
DaemonConfig load_config(const config::Document& doc, PhcKeys phc = PhcKeys::required);
DaemonConfig load_config_file(const std::string& path, PhcKeys phc = PhcKeys::required);

// --check-config's summary: every key and its value.
std::string describe(const DaemonConfig& c);
// --print-config: every key with its default and its value in `c` (JSON).
std::string print_config(const DaemonConfig& c);

// Keys whose change a SIGHUP cannot apply (the PHC, the pin, the servo and the engine's fixed
// limits): the names of those that differ between `running` and `loaded`.
std::vector<std::string> keys_needing_restart(const DaemonConfig& running,
                                              const DaemonConfig& loaded);
// `loaded` with the running value of every such key: what a reload leaves the daemon with.
DaemonConfig keep_restart_values(const DaemonConfig& running, const DaemonConfig& loaded);

}  // namespace nanotime::ppsd
