#pragma once
// `phc-pps-sync --simulate PROFILE`: runs the real discipline engine against a simulation
// profile (sim/) in simulated time, prints a short summary and writes the JSON report.

#include <cstdint>
#include <optional>
#include <string>

namespace nanotime::phc_pps_sync {

struct SimulateOptions {
  std::string profile_path;
  std::string servo = "kalman";
  std::optional<std::uint64_t> seed;
  std::optional<double> duration_s;
  std::string report_path;  // empty: no JSON; "-": JSON on stdout (summary on stderr)
  std::string latch_model = "auto";  // the transfer's latch model (sim::RunOptions)
  bool no_gpio = false;              // cut the [pps_gpio] wire
};

// Returns the exit code: 0, 78 for a bad profile (file:line on stderr), 64 for a bad servo
// name, 74 when the report cannot be written.
int run_simulate(const SimulateOptions& options);

}  // namespace nanotime::phc_pps_sync
