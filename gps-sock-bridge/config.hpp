#pragma once
// gps-sock-bridge configuration: the [gps-sock-bridge] table of /etc/nanotime/nanotime.toml and
// its [gps-sock-bridge.status] sub-table. key_table() (config.cpp) declares every key once; the
// defaults are the initializers below. Tests hold etc/nanotime.toml and gps-sock-bridge.8 to it.

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "config/keys.hpp"
#include "status/http_config.hpp"

namespace nanotime::config {
class Document;
}

namespace nanotime::bridge {

inline constexpr const char* kDefaultConfigPath = "/etc/nanotime/nanotime.toml";
inline constexpr const char* kSection = "gps-sock-bridge";

// The status endpoint when [gps-sock-bridge.status] is absent.
status::StatusConfig default_status();

struct BridgeConfig {
  std::string gpsd_host = "127.0.0.1";
  int gpsd_port = 2947;
  std::string time_socket = "/run/chrony.gps.sock";  // "" = off
  std::string pps_socket;                            // "" = off
  std::vector<int> shm_units;
  mode_t shm_perm = 0600;
  // Serial delay in seconds; nullopt = "auto" (estimated from PPS).
  std::optional<double> offset_s = 0.0;
  int min_fix_mode = 2;
  double jump_tolerance_s = 0.05;
  int confirm_reports = 3;
  int median_window = 9;
  double max_auto_offset_s = 0.9;
  // [gps-sock-bridge.status]: /metrics, /status and the dashboard (default 127.0.0.1:8474).
  status::StatusConfig status = default_status();

  bool auto_offset() const { return !offset_s.has_value(); }
};

// Every key of [gps-sock-bridge] and [gps-sock-bridge.status]. All are live: a reload builds
// the pipeline afresh and rebinds the status server when its table changed.
const config::KeyTable<BridgeConfig>& key_table();

// Reads and validates [gps-sock-bridge] (the other nanotime sections are allowed and ignored,
// any other top-level name is an error). Throws config::ConfigError "file:line:col: [table]
// key: message".
BridgeConfig load_config(const config::Document& doc);
BridgeConfig load_config_file(const std::string& path);

// --check-config's summary: every key and its value.
std::string describe(const BridgeConfig& c);
// --print-config: every key with its default and its value in `c` (JSON).
std::string print_config(const BridgeConfig& c);

}  // namespace nanotime::bridge
