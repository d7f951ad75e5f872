#include "system_bench.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "discipline/engine.hpp"
#include "sim/report.hpp"
#include "sim/simulation.hpp"
#include "svg_plot.hpp"

namespace nanotime::bench {
namespace {

struct Method {
  const char* name;
  const char* latch_model;
  bool gpio_wire;
};
constexpr Method kMethods[] = {
    {"midpoint", "midpoint", false},
    {"latch-model", "auto", false},
    {"gpio-combined", "auto", true},
};

struct Task {
  std::size_t profile = 0;
  std::size_t method = 0;
  std::uint64_t seed = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int system_bench(const std::vector<sim::Profile>& profiles, int seeds, unsigned jobs,
                 std::optional<double> duration_s, std::FILE* out, const std::string& svg_path,
                 const std::string& svg_profile) {
  std::vector<Task> tasks;
  for (std::size_t p = 0; p < profiles.size(); ++p) {
    for (std::size_t m = 0; m < std::size(kMethods); ++m) {
      if (kMethods[m].gpio_wire && !profiles[p].pps_gpio.present) continue;  // no wire to use
      for (int s = 1; s <= seeds; ++s) tasks.push_back({p, m, static_cast<std::uint64_t>(s)});
    }
  }
  std::vector<sim::SystemStats> results(tasks.size());
  std::vector<sim::SystemSample> plotted;  // seed 1 of svg_profile, GPIO-combined
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < tasks.size(); i = next++) {
      const sim::Profile& profile = profiles[tasks[i].profile];
      const Method& method = kMethods[tasks[i].method];
      sim::RunOptions o;
      o.seed = tasks[i].seed;
      o.duration_s = duration_s;
      o.latch_model = method.latch_model;
      o.gpio_wire = method.gpio_wire;
      auto engine = discipline::make_engine(sim::engine_config(profile, "kalman"));
      sim::SimResult r = sim::run_simulation(profile, *engine, "kalman", o);
      results[i] = sim::make_report(r, profile).system;
      if (!svg_path.empty() && profile.name == svg_profile && tasks[i].seed == 1 &&
          method.gpio_wire) {
        plotted = std::move(r.system);  // one task writes it; read after the join
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned j = 0; j < std::min<std::size_t>(jobs, tasks.size()); ++j) pool.emplace_back(worker);
  for (auto& th : pool) th.join();

  fmt::print(out, "system clock (NTP half), seeds 1-{}: medians of rms/p95/max error and bound "
                  "median (ns); within = worst seed's fraction of samples within their bound; "
                  "2xb = samples beyond twice their bound (all seeds)\n", seeds);
  fmt::print(out, "{:<16} {:<14} {:<12} {:>9} {:>9} {:>9} {:>10} {:>8} {:>5}\n", "profile",
             "method", "model", "rms", "p95", "max", "bound_med", "within", "2xb");
  for (std::size_t p = 0; p < profiles.size(); ++p) {
    for (std::size_t m = 0; m < std::size(kMethods); ++m) {
      std::vector<double> rms, p95, max, bound;
      double within = 1;
      std::uint64_t twice = 0;
      std::string model;
      for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (tasks[i].profile != p || tasks[i].method != m) continue;
        const sim::SystemStats& s = results[i];
        rms.push_back(s.error_ns.rms);
        p95.push_back(s.error_ns.p95);
        max.push_back(s.error_ns.max);
        bound.push_back(s.bound_median_ns);
        within = std::min(within, s.within_bound_fraction);
        twice += s.over_twice_bound;
        model = s.latch_model;
      }
      if (rms.empty()) continue;
      fmt::print(out, "{:<16} {:<14} {:<12} {:>9.0f} {:>9.0f} {:>9.0f} {:>10.0f} {:>8.4f} {:>5}\n",
                 profiles[p].name, kMethods[m].name, model, median(rms), median(p95),
                 median(max), median(bound), within, twice);
    }
  }
  if (svg_path.empty()) return 0;
  if (plotted.empty()) {
    fmt::print(stderr, "servo-bench: --svg: no GPIO-combined run of {}\n", svg_profile);
    return 66;
  }
  // About one sample per second: plotted as if per second (60-sample means).
  Series error{"|error|", {}}, bound{"bound", {}};
  for (const sim::SystemSample& s : plotted) {
    error.values.push_back(s.error_ns);
    bound.values.push_back(s.bound_ns);
  }
  std::ofstream svg(svg_path, std::ios::binary | std::ios::trunc);
  svg << true_error_svg(svg_profile + ", seed 1: system clock |error| and published bound (ns), "
                                      "GPIO-combined transfer",
                        {error, bound});
  svg.close();
  if (!svg) {
    fmt::print(stderr, "servo-bench: cannot write {}\n", svg_path);
    return 74;
  }
  return 0;
}

}  // namespace nanotime::bench
