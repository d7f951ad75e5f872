// phc-pps-sync: locks a PTP hardware clock to a GNSS PPS and feeds chronyd and ptp4l.
// This file only parses the command line and hands over to a mode.
#include <cstdint>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "simulate_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"phc-pps-sync: lock a PTP hardware clock to a GNSS PPS and feed chronyd and ptp4l"};
  app.set_version_flag("--version", std::string("phc-pps-sync 0.1.0"));

  nanotime::phc_pps_sync::SimulateOptions sim;
  std::uint64_t seed = 0;
  double duration_s = 0;
  auto* simulate = app.add_option("--simulate", sim.profile_path,
                                  "run the engine against a simulation PROFILE (TOML) in simulated time")
                       ->type_name("PROFILE");
  app.add_option("--servo", sim.servo, "servo: pi (linuxptp baseline) or kalman (default)")
      ->needs(simulate);
  auto* seed_opt = app.add_option("--seed", seed, "override the profile's seed")->needs(simulate);
  auto* duration_opt = app.add_option("--duration", duration_s, "override the simulated duration (s)")
      ->check(CLI::PositiveNumber)
      ->needs(simulate);
  app.add_option("--report", sim.report_path, "write the JSON report to FILE ('-': stdout)")
      ->type_name("FILE")
      ->needs(simulate);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 64;  // --help/--version, or EX_USAGE
  }

  if (!simulate->empty()) {
    if (seed_opt->count() > 0) sim.seed = seed;
    if (duration_opt->count() > 0) sim.duration_s = duration_s;
    return nanotime::phc_pps_sync::run_simulate(sim);
  }
  fmt::print(stderr, "phc-pps-sync: the daemon mode is not built yet; use --simulate PROFILE\n");
  return 64;
}
