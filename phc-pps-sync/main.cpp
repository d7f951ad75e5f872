// phc-pps-sync: locks a PTP hardware clock to a GNSS PPS and feeds chronyd and ptp4l.
// This file only parses the command line and hands over to a mode:
//   (default)                     the daemon (daemon/daemon.hpp), on the real PHC
//   --simulate PROFILE --realtime the same daemon on the simulated world (sim/backend.hpp)
//   --simulate PROFILE            the engine against the simulator in simulated time (a report)
//   --replay FILE...              a field recording (or its rotated parts) through the engine, compared
#include <cstdint>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "config/config.hpp"
#include "daemon/daemon.hpp"
#include "sim/backend.hpp"
#include "sim/profile.hpp"
#include "replay_command.hpp"
#include "simulate_command.hpp"

namespace {

// The daemon's devices for --simulate PROFILE --realtime: the simulated world on the host's
// clocks. Exit status 78 (with file:line) for a bad profile, before the daemon starts.
int use_simulated_world(nanotime::ppsd::DaemonOptions& daemon, const std::string& profile_path,
                        std::uint64_t seed_override, bool seed_given) {
  nanotime::sim::Profile profile;
  try {
    profile = nanotime::sim::load_profile(profile_path);
  } catch (const nanotime::config::ConfigError& e) {
    fmt::print(stderr, "phc-pps-sync: {}\n", e.what());
    return nanotime::config::kExitConfig;
  }
  const std::uint64_t seed = seed_given ? seed_override : profile.sim.seed;
  daemon.simulate_profile = profile_path;
  daemon.make_backend = [profile, seed](const nanotime::ppsd::DaemonConfig& c,
                                        nanotime::conductor::Clocks& clocks) {
    return nanotime::sim::make_simulated(profile, seed, clocks, c.max_freq_ppb);
  };
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"phc-pps-sync: lock a PTP hardware clock to a GNSS PPS and feed chronyd and ptp4l"};
  app.set_version_flag("--version", std::string("phc-pps-sync 0.1.0"));

  nanotime::ppsd::DaemonOptions daemon;
  nanotime::ppsd::add_daemon_options(app, daemon);

  nanotime::phc_pps_sync::SimulateOptions sim;
  std::uint64_t seed = 0;
  double duration_s = 0;
  bool realtime = false;
  auto* simulate = app.add_option("--simulate", sim.profile_path,
                                  "run against a simulation PROFILE (TOML): in simulated time, "
                                  "or with --realtime as the daemon itself")
                       ->type_name("PROFILE");
  app.add_flag("--realtime", realtime,
               "with --simulate: run the daemon (chronyd, ptp4l, status I/O) on the simulated "
               "PHC and receiver, clocked by the real monotonic clock")
      ->needs(simulate);
  auto* servo_opt = app.add_option("--servo", sim.servo,
                                   "servo: pi (linuxptp baseline) or kalman (default)")
                        ->needs(simulate);
  auto* seed_opt = app.add_option("--seed", seed, "override the profile's seed")->needs(simulate);
  auto* duration_opt = app.add_option("--duration", duration_s, "override the simulated duration (s)")
      ->check(CLI::PositiveNumber)
      ->needs(simulate);
  auto* latch_opt = app.add_option("--latch-model", sim.latch_model,
                                   "the PHC-to-system transfer of the simulated-time run: auto "
                                   "(default: what the daemon's auto picks), midpoint, "
                                   "bcm-phy-ptp, precise")
                        ->needs(simulate);
  auto* no_gpio_opt = app.add_flag("--no-gpio", sim.no_gpio,
                                   "cut the profile's [pps_gpio] wire (simulated-time run)")
                          ->needs(simulate);
  auto* report_opt = app.add_option("--report", sim.report_path,
                                    "write the JSON report to FILE ('-': stdout)")
                         ->type_name("FILE")
                         ->needs(simulate);
  nanotime::phc_pps_sync::ReplayOptions replay;
  auto* replay_opt = app.add_option("--replay", replay.paths,
                                    "replay a field recording through the engine in virtual "
                                    "time and compare every output with the recorded one "
                                    "(docs/recording.md); exit 0 when identical. Several "
                                    "FILEs: a rotated run's parts in order, replayed as one")
                         ->type_name("FILE...")
                         ->excludes(simulate);
  try {
    app.parse(argc, argv);
    if (realtime && (duration_opt->count() > 0 || report_opt->count() > 0 ||
                     latch_opt->count() > 0 || no_gpio_opt->count() > 0)) {
      throw CLI::ValidationError("--realtime", "runs until SIGTERM: --duration, --report, "
                                               "--latch-model and --no-gpio belong to the "
                                               "simulated-time mode (the daemon's configuration "
                                               "chooses its latch model)");
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 64;  // --help/--version, or EX_USAGE
  }

  daemon.config_given = app.count("--config") > 0;
  if (replay_opt->count() > 0) return nanotime::phc_pps_sync::run_replay(replay);
  if (!simulate->empty() && !realtime) {
    if (seed_opt->count() > 0) sim.seed = seed;
    if (duration_opt->count() > 0) sim.duration_s = duration_s;
    return nanotime::phc_pps_sync::run_simulate(sim);
  }
  if (realtime) {
    if (servo_opt->count() > 0) daemon.servo = sim.servo;
    if (const int rc = use_simulated_world(daemon, sim.profile_path, seed, seed_opt->count() > 0);
        rc != 0) {
      return rc;
    }
  }
  return nanotime::ppsd::run_daemon(daemon);
}
