#include "simulate_command.hpp"

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "config/config.hpp"
#include "discipline/engine.hpp"
#include "sim/profile.hpp"
#include "sim/report.hpp"
#include "sim/simulation.hpp"

namespace nanotime::phc_pps_sync {
namespace {
constexpr int kExitUsage = 64;   // EX_USAGE
constexpr int kExitIo = 74;      // EX_IOERR
}  // namespace

int run_simulate(const SimulateOptions& o) {
  sim::Profile profile;
  try {
    profile = sim::load_profile(o.profile_path);
  } catch (const config::ConfigError& e) {
    fmt::print(stderr, "phc-pps-sync: {}\n", e.what());
    return config::kExitConfig;
  }
  std::unique_ptr<discipline::Engine> engine;
  try {
    engine = discipline::make_engine(sim::engine_config(profile, o.servo));
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "phc-pps-sync: --servo {}: {}\n", o.servo, e.what());
    return kExitUsage;
  }
  sim::RunOptions run;
  run.seed = o.seed;
  run.duration_s = o.duration_s;
  run.latch_model = o.latch_model;
  run.gpio_wire = !o.no_gpio;
  try {
    (void)sim::run_latch_model(profile, run.latch_model);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "phc-pps-sync: --latch-model: {}\n", e.what());
    return kExitUsage;
  }
  const sim::SimResult result = sim::run_simulation(profile, *engine, o.servo, run);
  const sim::Report report = sim::make_report(result, profile);
  const std::string json = sim::report_json(report);
  const std::string summary = sim::report_summary(report);

  if (o.report_path == "-") {
    fmt::print(stderr, "{}", summary);
    fmt::print("{}", json);
    std::fflush(stdout);
    return std::ferror(stdout) != 0 ? kExitIo : 0;
  }
  fmt::print("{}", summary);
  if (!o.report_path.empty()) {
    std::ofstream out(o.report_path, std::ios::binary | std::ios::trunc);
    out << json;
    out.close();
    if (!out) {
      fmt::print(stderr, "phc-pps-sync: cannot write the report to {}\n", o.report_path);
      return kExitIo;
    }
  }
  return 0;
}

}  // namespace nanotime::phc_pps_sync
