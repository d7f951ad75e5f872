#pragma once
// What a recording's header says about the run (docs/recording.md#header), and what replay
// rebuilds from it: the engine's configuration and the Conductor's options, exactly as the
// recorded daemon had them (doubles with 17 significant digits, so they read back bit-exact).

#include <string>

#include "conductor/conductor.hpp"
#include "daemon/config.hpp"
#include "discipline/engine.hpp"
#include "recording/records.hpp"

namespace nanotime::ppsd {

struct RecordedRun {
  discipline::EngineConfig engine;
  conductor::ConductorOptions conductor;
  bool chrony = false;  // the Conductor had a chronyd output (it reads the PHC only then)
  bool gpio = false;    // … a GPIO PPS wire
};

struct RunDescription {
  std::string phc;          // the backend's describe(): "/dev/ptp0 (eth0)", "simulated PHC"
  std::string clock_name;   // the PHC's driver
  std::string gpio_device;  // "" without a wire
  std::string origin;       // "start": from before Conductor::start(); "attached"
  std::string leap_seconds_text;  // the leap-seconds.list the engine was given ("" none)
};

recording::Header make_header(const DaemonConfig& config, const RecordedRun& run,
                              const RunDescription& d);

// Throws std::invalid_argument naming the key that is missing or unreadable.
RecordedRun recorded_run(const recording::Header& h);

}  // namespace nanotime::ppsd
