// survey-bench: what fixed-position mode is worth. One profile through the real engine twice
// per seed, on the same noise: the receiver in fixed mode (the profile as it is) and navigating
// for the whole run ([receiver] with survey_duration_s = the run, docs/simulation.md#receiver).
// One line each: true error rms / p99 / max, the published bound's median, and the share of
// seconds the bound covers the truth. See bench/README.md "Fixed vs navigation mode".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "config/config.hpp"
#include "discipline/engine.hpp"
#include "sim/profile.hpp"
#include "sim/simulation.hpp"

namespace {

using nanotime::sim::Profile;

constexpr std::size_t kSettleS = 600;  // the cold start is not what this line compares

struct Figures {
  double rms_ns = 0, p99_ns = 0, max_ns = 0, bound_median_ns = 0, covered = 0;
};

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::nan("");
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

Figures run_once(const Profile& p, std::uint64_t seed, std::optional<double> engine_wander_ns) {
  auto c = nanotime::sim::engine_config(p, "kalman");
  if (engine_wander_ns) c.receiver_navigation_wander_ns = *engine_wander_ns;
  auto engine = nanotime::discipline::make_engine(c);
  nanotime::sim::RunOptions o;
  o.seed = seed;
  const auto r = nanotime::sim::run_simulation(p, *engine, "kalman", o);
  std::vector<double> err, bound;
  double sum2 = 0;
  std::size_t covered = 0;
  for (std::size_t k = kSettleS; k < r.true_error_ns.size(); ++k) {
    const double e = std::fabs(r.true_error_ns[k]);
    err.push_back(e);
    bound.push_back(r.error_bound_ns[k]);
    sum2 += e * e;
    covered += e <= r.error_bound_ns[k] ? 1 : 0;
  }
  Figures f;
  const auto n = static_cast<double>(err.size());
  f.rms_ns = std::sqrt(sum2 / n);
  f.p99_ns = quantile(err, 0.99);
  f.max_ns = *std::max_element(err.begin(), err.end());
  f.bound_median_ns = quantile(bound, 0.5);
  f.covered = static_cast<double>(covered) / n;
  return f;
}

// Medians over seeds (coverage: the worst seed).
Figures summarise(const std::vector<Figures>& runs) {
  const auto med = [&](double Figures::*m) {
    std::vector<double> v;
    for (const auto& f : runs) v.push_back(f.*m);
    return quantile(v, 0.5);
  };
  Figures f{med(&Figures::rms_ns), med(&Figures::p99_ns), med(&Figures::max_ns),
            med(&Figures::bound_median_ns), 1};
  for (const auto& r : runs) f.covered = std::min(f.covered, r.covered);
  return f;
}

void print(const char* mode, const Figures& f) {
  fmt::print("{:<11} {:>8.1f} {:>8.1f} {:>8.1f} {:>11.1f} {:>9.3f} %\n", mode, f.rms_ns, f.p99_ns,
             f.max_ns, f.bound_median_ns, 100 * f.covered);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"survey-bench: one profile in fixed vs navigation mode, through the real engine"};
  std::string profile_path = std::string(NANOTIME_BENCH_PROFILES) + "/cm4-m8t.toml";
  double wander_ns = 12, tau_s = 300, duration_s = 86400;
  unsigned seeds = 3;
  std::optional<double> engine_wander_ns;
  app.add_option("--profile", profile_path, "simulation profile (.toml)")->capture_default_str();
  app.add_option("--wander-ns", wander_ns, "navigation wander, 1 sigma (ns)")
      ->check(CLI::Range(0.0, 1e6))->capture_default_str();
  app.add_option("--tau-s", tau_s, "its correlation time (s)")
      ->check(CLI::Range(1.0, 1e6))->capture_default_str();
  app.add_option("--duration", duration_s, "simulated seconds per run")
      ->check(CLI::Range(2.0 * kSettleS, 1e8))->capture_default_str();
  app.add_option("--engine-wander-ns", engine_wander_ns,
                 "the engine's receiver_navigation_wander_ns (default: the daemon's default)")
      ->check(CLI::Range(0.0, 1e6));
  app.add_option("--seeds", seeds, "seeds 1..N")->check(CLI::Range(1, 100))->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    Profile fixed = nanotime::sim::load_profile(profile_path);
    fixed.sim.duration_s = duration_s;
    fixed.receiver = {};  // fixed mode from the start, whatever the file says
    Profile nav = fixed;
    nav.receiver.present = true;
    nav.receiver.survey_duration_s = duration_s + 1;  // navigating for the whole run
    nav.receiver.navigation_wander_ns = wander_ns;
    nav.receiver.navigation_wander_tau_s = tau_s;
    std::vector<Figures> a, b;
    for (std::uint64_t s = 1; s <= seeds; ++s) {
      a.push_back(run_once(fixed, s, engine_wander_ns));
      b.push_back(run_once(nav, s, engine_wander_ns));
    }
    fmt::print("survey-bench: {} ({:.0f} s, {} seeds, from t = {} s; navigation wander {} ns "
               "1 sigma, tau {} s; kalman)\n",
               fixed.name, duration_s, seeds, kSettleS, wander_ns, tau_s);
    fmt::print("{:<11} {:>8} {:>8} {:>8} {:>11} {}\n", "mode", "rms ns", "p99 ns", "max ns",
               "bound p50 ns", "covered (worst seed)");
    print("fixed", summarise(a));
    print("navigation", summarise(b));
  } catch (const nanotime::config::ConfigError& e) {
    fmt::print(stderr, "survey-bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
