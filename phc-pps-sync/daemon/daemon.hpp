#pragma once
// phc-pps-sync's daemon mode: configuration, devices, the event loop, systemd. See
// phc-pps-sync.8. Two ways in:
//   - run_daemon(options): main() parsed the command line (add_daemon_options helps);

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "conductor/ports.hpp"
#include "daemon/config.hpp"

namespace CLI {
class App;
}

namespace nanotime::ppsd {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFatal = 1;   // device or run-time failure: systemd restarts us
inline constexpr int kExitUsage = 64;  // EX_USAGE

struct DaemonOptions {
  std::string config_path = "/etc/nanotime/nanotime.toml";
  bool config_given = false;      // -c given (in --simulate mode, without it: all defaults)
  bool check_config = false;      // validate, print a summary, exit 0 (or 78)
  bool print_config = false;      // every key as JSON (defaults, values of -c FILE), exit
  bool verbose = false;           // debug logging (overrides log_level)
  std::string simulate_profile;   // non-empty: --simulate PROFILE --realtime (make_backend set)
  std::optional<std::string> servo;   // --servo (simulation; the config's `servo` otherwise)
  // Where the devices come from; empty: the hardware the configuration names (make_hardware).
  // The executable sets it for the realtime simulation, so this library does not carry one.
  std::function<std::unique_ptr<conductor::Backend>(const DaemonConfig&, conductor::Clocks&)>
      make_backend;
};

// Adds -c/--config, --check-config, --print-config and -v/--verbose to `app`, bound to `options`.
// (config_given is set by the caller from the -c option's count: see phc-pps-sync/main.cpp.)
void add_daemon_options(CLI::App& app, DaemonOptions& options);

// Runs until SIGTERM/SIGINT. Exit codes: 0 stopped cleanly, 1 fatal run-time/device error,
// 78 bad configuration or profile (file:line on stderr).
int run_daemon(const DaemonOptions& options);


}  // namespace nanotime::ppsd
