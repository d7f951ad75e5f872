// servo-bench: every simulation profile × servo × seed through the real engine, in parallel;
// prints a table of medians next to each profile's Kalman limit, optionally JSON and an SVG of
// the true error over time. See bench/README.md.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "config/config.hpp"
#include "discipline/engine.hpp"
#include "fault_windows.hpp"
#include "kalman_limit.hpp"
#include "oracle_limit.hpp"
#include "fit_profile.hpp"
#include "recorded_bench.hpp"
#include "recording/file.hpp"
#include "sim/reservo.hpp"
#include "sim/profile.hpp"
#include "sim/report.hpp"
#include "sim/simulation.hpp"
#include "svg_plot.hpp"
#include "system_bench.hpp"
#include "util/units.hpp"

namespace {

namespace fs = std::filesystem;
using nanotime::sim::Profile;
using nanotime::sim::Report;

struct Task {
  std::size_t profile = 0;
  std::string servo;
  std::uint64_t seed = 0;
};

constexpr const char* kOracle = "oracle";  // a task that runs oracle_run, not a servo

struct Outcome {
  Report report;
  nanotime::bench::OracleResult oracle;
  std::vector<double> true_error_ns;  // kept only for the plotted profile
  bool recovered = true;              // clockClass 6 again within kRecoverS of every fault
  double leap_max_ns = std::nan("");  // worst |true error| in the kLeapWindowS after the leap
};

constexpr std::int64_t kRecoverS = 600;
constexpr std::int64_t kLeapWindowS = 300;

// Back to TRACKING (clockClass 6) within kRecoverS of the end of each group of overlapping
// faults that ended in the run (fault_windows.hpp says why groups).
bool recovered_after_faults(const Profile& p, const nanotime::sim::SimResult& r) {
  using namespace nanotime::bench;
  return recovered_after_checkpoints(recovery_checkpoints_s(fault_spans(p)), r.clock_class,
                                     kRecoverS);
}

// The leap second is the last second of the leap day (UTC); k counts true seconds from start.
double leap_window_max(const Profile& p, const nanotime::sim::SimResult& r) {
  if (!p.sim.leap_day_utc_s) return std::nan("");
  const std::int64_t leap_k = *p.sim.leap_day_utc_s + nanotime::util::kSPerDay - p.sim.start_utc_s;
  if (leap_k < 0 || leap_k + kLeapWindowS >= static_cast<std::int64_t>(r.true_error_ns.size())) return std::nan("");
  double worst = 0;
  for (std::int64_t k = leap_k - 1; k <= leap_k + kLeapWindowS; ++k) {
    worst = std::max(worst, std::fabs(r.true_error_ns[static_cast<std::size_t>(k)]));
  }
  return worst;
}

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The figures the table shows, per run.
struct Figures {
  double rms = 0, p95 = 0, max = 0, residual_rms = 0;
  double lock_s = 0;                 // infinity when it never locked
  double holdover_max_ns = 0;        // worst over the run's outages (0 if none)
  double holdover_within = 1;        // lowest within-bound fraction (1 if none)
  double chrony_over = 0, mislabelled = 0;
};

Figures figures_of(const Report& r) {
  Figures f;
  f.rms = r.true_error_ns.rms;
  f.p95 = r.true_error_ns.p95;
  f.max = r.true_error_ns.max;
  f.residual_rms = r.residual_ns.rms;
  f.lock_s = r.lock_time_s.value_or(std::numeric_limits<double>::infinity());
  for (const auto& h : r.holdover) {
    f.holdover_max_ns = std::max(f.holdover_max_ns, h.max_true_error_ns);
    f.holdover_within = std::min(f.holdover_within, h.within_bound_fraction);
  }
  f.chrony_over = static_cast<double>(r.chrony_samples_over_1us);
  f.mislabelled = static_cast<double>(r.mislabelled);
  return f;
}

Figures median_of(const std::vector<Figures>& runs) {
  auto pick = [&](double Figures::*m) {
    std::vector<double> v;
    for (const auto& f : runs) v.push_back(f.*m);
    return median(v);
  };
  Figures f;
  f.rms = pick(&Figures::rms);
  f.p95 = pick(&Figures::p95);
  f.max = pick(&Figures::max);
  f.residual_rms = pick(&Figures::residual_rms);
  f.lock_s = pick(&Figures::lock_s);
  f.holdover_max_ns = pick(&Figures::holdover_max_ns);
  f.holdover_within = pick(&Figures::holdover_within);
  f.chrony_over = pick(&Figures::chrony_over);
  f.mislabelled = pick(&Figures::mislabelled);
  return f;
}

std::string json_num(double v, int decimals = 3) {
  return std::isfinite(v) ? fmt::format("{:.{}f}", v, decimals) : "null";
}

// The contract's profiles, copied into the repository (sim/profiles/README.md).
std::string default_profiles_dir() { return NANOTIME_BENCH_PROFILES; }

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = s.find(',', start);
    const std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// Medians per (profile, servo); worst seeds for the goals that must hold on every seed.
struct Row {
  std::size_t profile;
  std::string servo;
  Figures median;
  Figures worst;  // max over seeds of chrony_over and mislabelled; min of holdover_within
  bool recovered = true;              // every seed back to TRACKING after every fault
  double leap_excess = std::nan("");  // worst seed: max error after the leap / that run's rms
};

struct GoalReport {
  std::FILE* out;
  int failed = 0;
  void goal(const std::string& profile, const std::string& what, bool pass, const std::string& figure) {
    fmt::print(out, "check: {:<4} {:<16} {} ({})\n", pass ? "ok" : "FAIL", profile, what, figure);
    if (!pass) ++failed;
  }
};

// rms <= 0.85 x pi on cm4-m8t: out of reach when even the oracle (the best linear filter,
// knowing the profile, on the same noise) is above it; then reported, not failed.
void check_ratio_goal(const std::string& name, double k, double pi, double oracle, GoalReport& g) {
  const bool reached = k <= 0.85 * pi;
  const bool reachable = oracle <= 0.85 * pi;
  fmt::print(g.out, "check: {:<4} {:<16} rms <= 0.85 x pi ({:.2f} x; the oracle: {:.2f} x{})\n",
             reached ? "ok" : reachable ? "FAIL" : "n/a", name, k / pi, oracle / pi,
             reached || reachable ? "" : ": out of reach of any linear servo");
  if (!reached && reachable) ++g.failed;
}

// The goals of issue #4 (bench/README.md "Goals") for the default servo's row of one profile.
void check_goals(const Row& r, const Profile& profile, std::optional<double> pi, double oracle, GoalReport& g) {
  const auto& name = profile.name;
  const double k = r.median.rms;
  const double limit = nanotime::bench::kalman_limit(profile).limit_ns;
  if (!pi) {
    g.goal(name, "pi was run", false, "--servos must include pi");
    return;
  }
  g.goal(name, "rms <= 1.02 x pi", k <= 1.02 * *pi, fmt::format("{:.2f} x", k / *pi));
  g.goal(name, "rms <= 1.25 x limit", k <= 1.25 * limit, fmt::format("{:.2f} x", k / limit));
  if (name == "cm4-m8t") check_ratio_goal(name, k, *pi, oracle, g);
  if (name.rfind("cm4", 0) == 0) {
    g.goal(name, "lock_time_s <= 15", r.median.lock_s <= 15, fmt::format("{:.0f} s", r.median.lock_s));
  }
  g.goal(name, "chrony samples over 1 us = 0 (every seed)", r.worst.chrony_over == 0,
         fmt::format("{:.0f}", r.worst.chrony_over));
  g.goal(name, "mislabelled pulses = 0 (every seed)", r.worst.mislabelled == 0,
         fmt::format("{:.0f}", r.worst.mislabelled));
  g.goal(name, "holdover within bound >= 0.95 (every seed)", r.worst.holdover_within >= 0.95,
         fmt::format("{:.3f}", r.worst.holdover_within));
  g.goal(name, fmt::format("back to TRACKING within {} s of every fault (every seed)", kRecoverS),
         r.recovered, r.recovered ? "yes" : "no");
  if (std::isfinite(r.leap_excess)) {
    g.goal(name, fmt::format("leap second: max |error| over the next {} s <= 5 x rms (every seed)", kLeapWindowS),
           r.leap_excess <= 5, fmt::format("{:.2f} x", r.leap_excess));
  }
}

// The command line, once parsed. Two options matter by whether they were given, not by their
// value: without --duration each profile runs for its own duration, and without --svg-profile
// --system plots its own default profile.
struct Options {
  std::string profiles_dir = default_profiles_dir();
  std::vector<std::string> only;  // profile names (file stems); empty: every profile
  std::vector<std::string> servos;
  int seeds = 5;
  std::optional<double> duration_s;
  unsigned jobs = 2;
  std::string json_path, svg_path;
  std::string svg_profile = "cm4-m8t";
  bool svg_profile_given = false;
  bool system = false;
  bool check = false;
  std::vector<std::string> recordings;  // --recording: field recordings beside the profiles
  std::string fit_recording;             // --fit-profile: fit a profile to this recording
  std::string fit_output = "-";          // --fit-output: where its TOML goes
};

// Fills `o` from the command line. Returns the exit status when there is nothing to run:
// --help, or a usage error (EX_USAGE), caught here before any profile is read.
std::optional<int> parse_options(int argc, char** argv, Options& o) {
  CLI::App app{"servo-bench: every simulation profile x servo x seed through the discipline engine"};
  std::string only;
  std::string servos_arg = "pi,kalman";
  double duration_s = 0;
  app.add_option("--profiles", o.profiles_dir, "directory of *.toml profiles")->capture_default_str();
  app.add_option("--only", only, "comma-separated profile names (file stems) to run");
  app.add_option("--servos", servos_arg, "comma-separated servos")->capture_default_str();
  app.add_option("--seeds", o.seeds, "seeds 1..N")->check(CLI::Range(1, 1000))->capture_default_str();
  auto* dur = app.add_option("--duration", duration_s, "override each profile's duration (s)")
                  ->check(CLI::PositiveNumber);
  app.add_option("--jobs", o.jobs, "parallel runs")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--json", o.json_path, "write machine-readable results to FILE ('-': stdout)");
  app.add_option("--svg", o.svg_path, "draw true error over time (seed 1, every servo) to FILE");
  auto* svg_profile_opt =
      app.add_option("--svg-profile", o.svg_profile, "profile for --svg (--system: cm4-f9t)")
          ->capture_default_str();
  app.add_flag("--system", o.system,
               "the NTP half instead: midpoint vs latch model vs GPIO-combined transfer per "
               "profile (kalman), with the profiles' transfer/ subdirectory");
  app.add_option("--recording", o.recordings,
                 "also re-run every servo on this field recording (repeatable; "
                 "docs/recording.md#reservo)")
      ->check(CLI::ExistingFile);
  app.add_option("--fit-profile", o.fit_recording,
                 "estimate a profile's noise parameters from this field recording, write its "
                 "TOML (--fit-output) and run the oracle on it; no profile is run")
      ->check(CLI::ExistingFile);
  app.add_option("--fit-output", o.fit_output, "the fitted profile's TOML ('-': stdout)")
      ->capture_default_str();
  app.add_flag("--check", o.check,
               "check issue #4's goals on the results (exit 1 if one fails); needs pi and kalman");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 64;  // --help/--version, or EX_USAGE
  }
  o.servos = split(servos_arg);
  o.only = split(only);
  if (dur->count() > 0) o.duration_s = duration_s;
  o.svg_profile_given = svg_profile_opt->count() > 0;
  if (o.check && std::find(o.servos.begin(), o.servos.end(), "kalman") == o.servos.end()) {
    fmt::print(stderr, "servo-bench: --check judges the default servo: --servos must include kalman (and pi)\n");
    return 64;
  }
  return std::nullopt;
}

// The *.toml profiles in `dir` named in `only` (all of them when it is empty), in name order
// so that the output does not depend on the directory listing. A directory that is not there
// throws fs::filesystem_error unless `may_be_missing`; a bad profile throws ConfigError.
std::vector<Profile> load_profiles(const fs::path& dir, const std::vector<std::string>& only,
                                   bool may_be_missing) {
  std::vector<fs::path> files;
  if (!may_be_missing || fs::is_directory(dir)) {
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == ".toml") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<Profile> profiles;
  for (const auto& f : files) {
    if (only.empty() || std::find(only.begin(), only.end(), f.stem().string()) != only.end()) {
      profiles.push_back(nanotime::sim::load_profile(f.string()));
    }
  }
  return profiles;
}

// The contract's profiles (--profiles) into `profiles`; the exit status if they cannot be read.
std::optional<int> load_contract_profiles(const Options& o, std::vector<Profile>& profiles) {
  try {
    profiles = load_profiles(o.profiles_dir, o.only, false);
  } catch (const nanotime::config::ConfigError& e) {
    fmt::print(stderr, "servo-bench: {}\n", e.what());
    return nanotime::config::kExitConfig;
  } catch (const fs::filesystem_error& e) {
    fmt::print(stderr, "servo-bench: {}: {}\n", o.profiles_dir, e.code().message());
    return 66;  // EX_NOINPUT
  }
  return std::nullopt;
}

// --system: the NTP half (system_bench.hpp) on the contract's profiles and the transfer's own,
// which live beside them (sim/profiles/transfer/) and are optional.
int run_system(const Options& o, std::vector<Profile> profiles) {
  try {
    for (auto& p : load_profiles(fs::path(o.profiles_dir) / "transfer", o.only, true)) {
      profiles.push_back(std::move(p));
    }
  } catch (const nanotime::config::ConfigError& e) {
    fmt::print(stderr, "servo-bench: {}\n", e.what());
    return nanotime::config::kExitConfig;
  } catch (const fs::filesystem_error& e) {  // e.g. transfer/ exists but cannot be read
    fmt::print(stderr, "servo-bench: {}: {}\n", e.path1().string(), e.code().message());
    return 66;  // EX_NOINPUT
  }
  if (profiles.empty()) {
    fmt::print(stderr, "servo-bench: no profiles in {} or its transfer/\n", o.profiles_dir);
    return 66;
  }
  return nanotime::bench::system_bench(profiles, o.seeds, o.jobs, o.duration_s, stdout, o.svg_path,
                                       o.svg_profile_given ? o.svg_profile : "cm4-f9t");
}

// A misspelt servo fails here with its name (EX_USAGE), not on a worker thread mid-run.
std::optional<int> check_servos(const Options& o, const Profile& profile) {
  for (const auto& s : o.servos) {
    try {
      (void)nanotime::discipline::make_engine(nanotime::sim::engine_config(profile, s));
    } catch (const std::invalid_argument& e) {
      fmt::print(stderr, "servo-bench: servo {}: {}\n", s, e.what());
      return 64;
    }
  }
  return std::nullopt;
}

// Every task with the time they took; outcomes[i] is tasks[i]'s.
struct Runs {
  std::vector<Task> tasks;
  std::vector<Outcome> outcomes;
  double elapsed_s = 0;
};

// Per profile: each servo's seeds, then the oracle's. This order is the output's.
std::vector<Task> tasks_of(const Options& o, std::size_t profiles) {
  std::vector<Task> tasks;
  for (std::size_t p = 0; p < profiles; ++p) {
    for (const auto& s : o.servos) {
      for (int seed = 1; seed <= o.seeds; ++seed) tasks.push_back({p, s, static_cast<std::uint64_t>(seed)});
    }
    for (int seed = 1; seed <= o.seeds; ++seed) tasks.push_back({p, kOracle, static_cast<std::uint64_t>(seed)});
  }
  return tasks;
}

// One task: the servo through the simulator, or the oracle on the same noise. Only seed 1 of
// the plotted profile keeps its true error series: the SVG draws nothing else.
Outcome run_task(const Options& o, const Profile& profile, const Task& t) {
  Outcome out;
  if (t.servo == kOracle) {
    const double d = o.duration_s.value_or(profile.sim.duration_s);
    out.oracle = nanotime::bench::oracle_run(profile, t.seed, static_cast<std::int64_t>(d));
    return out;
  }
  auto engine = nanotime::discipline::make_engine(nanotime::sim::engine_config(profile, t.servo));
  nanotime::sim::RunOptions ro;
  ro.seed = t.seed;
  ro.duration_s = o.duration_s;
  auto result = nanotime::sim::run_simulation(profile, *engine, t.servo, ro);
  out.report = nanotime::sim::make_report(result, profile);
  out.recovered = recovered_after_faults(profile, result);
  out.leap_max_ns = leap_window_max(profile, result);
  if (profile.name == o.svg_profile && t.seed == 1) out.true_error_ns = std::move(result.true_error_ns);
  return out;
}

// The tasks on --jobs threads, each taking the next task not yet taken: runs differ in length
// (profiles, the oracle), so a fixed share per thread would leave threads idle.
Runs run_tasks(const Options& o, const std::vector<Profile>& profiles) {
  Runs runs;
  runs.tasks = tasks_of(o, profiles.size());
  runs.outcomes.resize(runs.tasks.size());
  std::atomic<std::size_t> next{0};
  const auto t0 = std::chrono::steady_clock::now();
  auto worker = [&] {
    for (std::size_t i = next++; i < runs.tasks.size(); i = next++) {
      const Task& t = runs.tasks[i];
      runs.outcomes[i] = run_task(o, profiles[t.profile], t);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned j = 0; j < std::min<std::size_t>(o.jobs, runs.tasks.size()); ++j) pool.emplace_back(worker);
  for (auto& th : pool) th.join();
  runs.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return runs;
}

// Medians per (profile, servo), in task order; the worst seed for the goals on every seed.
std::vector<Row> rows_of(std::size_t profiles, const std::vector<std::string>& servos, const Runs& runs) {
  std::vector<Row> rows;
  for (std::size_t p = 0; p < profiles; ++p) {
    for (const auto& s : servos) {
      std::vector<Figures> seeds;
      Row r{p, s, {}, {}};
      for (std::size_t i = 0; i < runs.tasks.size(); ++i) {
        if (runs.tasks[i].profile != p || runs.tasks[i].servo != s) continue;
        const Outcome& out = runs.outcomes[i];
        const Figures f = figures_of(out.report);
        seeds.push_back(f);
        r.worst.chrony_over = std::max(r.worst.chrony_over, f.chrony_over);
        r.worst.mislabelled = std::max(r.worst.mislabelled, f.mislabelled);
        r.worst.holdover_within = std::min(r.worst.holdover_within, f.holdover_within);
        r.recovered = r.recovered && out.recovered;
        if (std::isfinite(out.leap_max_ns)) {
          const double x = out.leap_max_ns / f.rms;
          r.leap_excess = std::isfinite(r.leap_excess) ? std::max(r.leap_excess, x) : x;
        }
      }
      r.median = median_of(seeds);
      rows.push_back(r);
    }
  }
  return rows;
}

// The median rms of `servo` on profile `p`; none when that servo was not run.
std::optional<double> rms_of(const std::vector<Row>& rows, std::size_t p, const std::string& servo) {
  for (const auto& r : rows) {
    if (r.profile == p && r.servo == servo) return r.median.rms;
  }
  return std::nullopt;
}

// The oracle's median true rms and receiver wander rms on profile `p`.
std::pair<double, double> oracle_of(const Runs& runs, std::size_t p) {
  std::vector<double> rms, wander;
  for (std::size_t i = 0; i < runs.tasks.size(); ++i) {
    if (runs.tasks[i].profile != p || runs.tasks[i].servo != kOracle) continue;
    rms.push_back(runs.outcomes[i].oracle.true_rms_ns);
    wander.push_back(runs.outcomes[i].oracle.wander_rms_ns);
  }
  return {median(rms), median(wander)};
}

// What a row is measured against, for both the table and the JSON: the profile's Kalman limit,
// the oracle, and the default servo's (kalman's) rms over each (NaN when one was not run).
struct Yardsticks {
  nanotime::bench::Limit limit;
  double oracle_rms = 0, oracle_wander = 0;
  double k_limit = 0, k_oracle = 0, k_pi = 0;
};

Yardsticks yardsticks_of(const Profile& profile, std::size_t p, const Runs& runs, const std::vector<Row>& rows) {
  Yardsticks y;
  y.limit = nanotime::bench::kalman_limit(profile);
  std::tie(y.oracle_rms, y.oracle_wander) = oracle_of(runs, p);
  const auto k = rms_of(rows, p, "kalman");
  const auto pi = rms_of(rows, p, "pi");
  y.k_limit = k ? *k / y.limit.limit_ns : std::nan("");
  y.k_oracle = k ? *k / y.oracle_rms : std::nan("");
  y.k_pi = k && pi ? *k / *pi : std::nan("");
  return y;
}

// The simulated time of the servos' runs, for the cost per simulated day.
double simulated_days_of(const Runs& runs) {
  double days = 0;
  const auto day_s = static_cast<double>(nanotime::util::kSPerDay);
  for (const auto& o : runs.outcomes) days += static_cast<double>(o.report.duration_s) / day_s;
  return days;
}

void print_table_header(const Options& o, std::size_t profiles, const Runs& runs, double simulated_days,
                        std::FILE* out) {
  fmt::print(out, "servo-bench: {} profiles x {} servos x {} seeds = {} runs of {} s (+ oracle), {} jobs: {:.1f} s wall\n",
             profiles, o.servos.size(), o.seeds, profiles * o.servos.size() * static_cast<std::size_t>(o.seeds),
             o.duration_s ? fmt::format("{:.0f}", *o.duration_s) : std::string("(profile duration)"),
             o.jobs, runs.elapsed_s);
  fmt::print(out, "cost: {:.2f} s of one core per simulated day (simulator + engine; oracle included)\n",
             runs.elapsed_s * static_cast<double>(std::min<std::size_t>(o.jobs, runs.tasks.size())) / simulated_days);
  fmt::print(out, "medians over seeds; true error = PHC - TAI from lock on (ns); "
                  "limit = steady-state Kalman prediction (+) receiver wander; "
                  "oracle = best linear filter knowing the profile, on the same noise\n");
  fmt::print(out, "{:<16} {:<7} {:>7} {:>7} {:>8} {:>7} {:>7} {:>9} {:>7} {:>9} {:>7} {:>7} {:>7} {:>8} {:>6} {:>6}\n",
             "profile", "servo", "rms", "p95", "max", "resid", "lock_s", "hold_max", "within",
             "chrony>1", "mislab", "limit", "oracle", "k/limit", "k/orc", "k/pi");
}

// The ratios to kalman are shown on kalman's line only.
void print_table_row(const Profile& profile, const Row& r, const Yardsticks& y, std::FILE* out) {
  const Figures& m = r.median;
  const bool is_k = r.servo == "kalman";
  auto cell = [](double v, int d) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, d) : std::string("-"); };
  fmt::print(out, "{:<16} {:<7} {:>7} {:>7} {:>8} {:>7} {:>7} {:>9} {:>7} {:>9} {:>7} {:>7} {:>7} {:>8} {:>6} {:>6}\n",
             profile.name, r.servo, cell(m.rms, 2), cell(m.p95, 2), cell(m.max, 1),
             cell(m.residual_rms, 2), cell(m.lock_s, 0), cell(m.holdover_max_ns, 1),
             cell(m.holdover_within, 3),
             fmt::format("{}({})", cell(m.chrony_over, 0), cell(r.worst.chrony_over, 0)),
             fmt::format("{}({})", cell(m.mislabelled, 0), cell(r.worst.mislabelled, 0)),
             cell(y.limit.limit_ns, 2), cell(y.oracle_rms, 2), is_k ? cell(y.k_limit, 2) : "",
             is_k ? cell(y.k_oracle, 2) : "", is_k ? cell(y.k_pi, 2) : "");
}

// One element of "results", with its leading comma unless it is the first.
std::string json_row(bool first, const Profile& profile, const Row& r, const Yardsticks& y) {
  const Figures& m = r.median;
  return fmt::format(
      "{}\n    {{\"profile\": \"{}\", \"servo\": \"{}\", \"median\": {{\"true_rms_ns\": {}, "
      "\"true_p95_ns\": {}, \"true_max_ns\": {}, \"residual_rms_ns\": {}, \"lock_time_s\": {}, "
      "\"holdover_max_true_error_ns\": {}, \"holdover_within_bound_fraction\": {}, "
      "\"chrony_samples_over_1us\": {}, \"mislabelled\": {}}}, \"worst\": {{\"chrony_samples_over_1us\": {}, "
      "\"mislabelled\": {}, \"holdover_within_bound_fraction\": {}, \"recovered_after_faults\": {}, "
      "\"leap_max_over_rms\": {}}}, \"limit_ns\": {}, \"limit\": {{\"measurement_sd_ns\": {}, "
      "\"prediction_sd_ns\": {}, \"wander_sd_ns\": {}}}, \"oracle_rms_ns\": {}, \"oracle_wander_rms_ns\": {}, "
      "\"kalman_over_limit\": {}, \"kalman_over_oracle\": {}, \"kalman_over_pi\": {}}}",
      first ? "" : ",", profile.name, r.servo, json_num(m.rms), json_num(m.p95), json_num(m.max),
      json_num(m.residual_rms), json_num(m.lock_s, 1), json_num(m.holdover_max_ns),
      json_num(m.holdover_within, 6), json_num(m.chrony_over, 1), json_num(m.mislabelled, 1),
      json_num(r.worst.chrony_over, 0), json_num(r.worst.mislabelled, 0),
      json_num(r.worst.holdover_within, 6), r.recovered ? "true" : "false", json_num(r.leap_excess),
      json_num(y.limit.limit_ns), json_num(y.limit.measurement_sd_ns), json_num(y.limit.prediction_sd_ns),
      json_num(y.limit.wander_sd_ns), json_num(y.oracle_rms), json_num(y.oracle_wander), json_num(y.k_limit),
      json_num(y.k_oracle), json_num(y.k_pi));
}

// Prints the table to `out` and returns the same results as JSON, built row by row alongside.
std::string print_table_and_json(const Options& o, const std::vector<Profile>& profiles, const Runs& runs,
                                 const std::vector<Row>& rows, std::FILE* out) {
  const double simulated_days = simulated_days_of(runs);
  print_table_header(o, profiles.size(), runs, simulated_days, out);
  std::string json = "{\n";
  json += fmt::format("  \"profiles_dir\": \"{}\", \"seeds\": {}, \"runs\": {}, \"elapsed_s\": {:.3f}, "
                      "\"simulated_days\": {:.3f},\n",
                      o.profiles_dir, o.seeds, runs.tasks.size(), runs.elapsed_s, simulated_days);
  json += "  \"results\": [";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    const Profile& profile = profiles[r.profile];
    const Yardsticks y = yardsticks_of(profile, r.profile, runs, rows);
    print_table_row(profile, r, y, out);
    json += json_row(i == 0, profile, r, y);
  }
  json += "\n  ]\n}\n";
  fmt::print(out, "chrony>1 and mislab: median(worst seed); lock_s '-' = did not lock; "
                  "hold_max/within: worst holdover per run\n");
  return json;
}

// --json: '-' is stdout (the table went to stderr then). Returns EX_IOERR if it cannot be written.
std::optional<int> write_json(const std::string& path, const std::string& json) {
  if (path.empty()) return std::nullopt;
  if (path == "-") {
    fmt::print("{}", json);
    return std::nullopt;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << json;
  if (!out) {
    fmt::print(stderr, "servo-bench: cannot write {}\n", path);
    return 74;
  }
  return std::nullopt;
}

// --svg: seed 1 of --svg-profile, every servo on one plot. Moves the series out of `runs`.
// Returns EX_USAGE when that profile was not run, EX_IOERR when the file cannot be written.
std::optional<int> write_svg(const Options& o, Runs& runs, std::FILE* table_out) {
  if (o.svg_path.empty()) return std::nullopt;
  std::vector<nanotime::bench::Series> series;
  for (std::size_t i = 0; i < runs.tasks.size(); ++i) {
    if (!runs.outcomes[i].true_error_ns.empty()) {
      series.push_back({runs.tasks[i].servo, std::move(runs.outcomes[i].true_error_ns)});
    }
  }
  if (series.empty()) {
    fmt::print(stderr, "servo-bench: --svg: profile {} was not run\n", o.svg_profile);
    return 64;
  }
  std::ofstream out(o.svg_path, std::ios::binary | std::ios::trunc);
  out << nanotime::bench::true_error_svg(o.svg_profile + ", seed 1: true error (PHC - TAI)", series);
  if (!out) {
    fmt::print(stderr, "servo-bench: cannot write {}\n", o.svg_path);
    return 74;
  }
  fmt::print(table_out, "wrote {}\n", o.svg_path);
  return std::nullopt;
}

// --check: the goals are on the default servo, so only kalman's rows are judged (against pi's
// and the oracle's). Returns 1 if a goal failed.
int check_rows(const std::vector<Profile>& profiles, const Runs& runs, const std::vector<Row>& rows,
               std::FILE* out) {
  GoalReport goals{out};
  for (const auto& r : rows) {
    if (r.servo == "kalman") {
      check_goals(r, profiles[r.profile], rms_of(rows, r.profile, "pi"), oracle_of(runs, r.profile).first, goals);
    }
  }
  fmt::print(out, "check: {}\n", goals.failed == 0 ? "all goals met" : fmt::format("{} goal(s) FAILED", goals.failed));
  return goals.failed > 0 ? 1 : 0;
}

}  // namespace

// --fit-profile: the recording's noise parameters as a profile (fit_profile.hpp), and the
// oracle on it. Exit 65 when the file is not a recording or has too few pulses.
int run_fit(const Options& o) {
  std::ifstream in(o.fit_recording, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    const nanotime::sim::Reconstruction rec = nanotime::sim::reconstruct(bytes);
    if (!rec.stop_message.empty()) fmt::print(stderr, "servo-bench: {}\n", rec.stop_message);
    const nanotime::bench::FittedNoise fit = nanotime::bench::fit_noise(rec);
    const std::string name = fs::path(o.fit_recording).stem().string();
    const std::string toml = nanotime::bench::profile_toml(fit, fs::path(o.fit_recording).filename().string());
    const Profile p = nanotime::bench::fitted_profile(fit, name);
    const auto duration_s = static_cast<std::int64_t>(std::min(fit.duration_s, 86400.0));
    const nanotime::bench::OracleResult oracle = nanotime::bench::oracle_run(p, 1, duration_s);
    fmt::print(stderr, "{}: {} edges, {:.0f} s: white FM {:.3f} ppb, flicker {:.3f} ppb, random walk "
               "{:.4f} ppb/sqrt(s), pulse noise {:.3f} ns (tick {} ns), sawtooth {:.2f} ns pp, "
               "qErr {}; oracle on it: {:.2f} ns rms\n", name, fit.edges, fit.duration_s,
               fit.white_fm_ppb, fit.flicker_fm_ppb, fit.random_walk_fm_ppb_per_sqrt_s,
               fit.white_pm_ns, fit.resolution_ns, fit.sawtooth_pp_ns, fit.qerr ? "yes" : "no",
               oracle.true_rms_ns);
    if (const auto status = write_json(o.fit_output, toml)) return *status;
  } catch (const nanotime::recording::FormatError& e) {
    fmt::print(stderr, "servo-bench: {}: {}\n", o.fit_recording, e.what());
    return 65;
  } catch (const std::runtime_error& e) {
    fmt::print(stderr, "servo-bench: {}: cannot fit: {}\n", o.fit_recording, e.what());
    return 65;
  }
  return 0;
}

int main(int argc, char** argv) {
  Options o;
  if (const auto status = parse_options(argc, argv, o)) return *status;
  if (!o.fit_recording.empty()) return run_fit(o);
  std::vector<Profile> profiles;
  if (const auto status = load_contract_profiles(o, profiles)) return *status;
  if (o.system) return run_system(o, std::move(profiles));
  if (profiles.empty()) {
    fmt::print(stderr, "servo-bench: no profiles in {}\n", o.profiles_dir);
    return 66;  // EX_NOINPUT
  }
  if (const auto status = check_servos(o, profiles[0])) return *status;

  Runs runs = run_tasks(o, profiles);
  const std::vector<Row> rows = rows_of(profiles.size(), o.servos, runs);
  // With the JSON on stdout, the table goes to stderr so that stdout stays parseable.
  std::FILE* table_out = o.json_path == "-" ? stderr : stdout;
  std::string json = print_table_and_json(o, profiles, runs, rows, table_out);
  int recorded_status = 0;
  if (!o.recordings.empty()) {
    const nanotime::bench::RecordedRows rec =
        nanotime::bench::run_recordings(o.recordings, o.servos, table_out);
    json.insert(json.rfind("\n}"), ",\n  \"recordings\": " + rec.json);
    recorded_status = rec.exit_status;
  }
  if (const auto status = write_json(o.json_path, json)) return *status;
  if (const auto status = write_svg(o, runs, table_out)) return *status;
  if (recorded_status != 0) return recorded_status;
  return o.check ? check_rows(profiles, runs, rows, table_out) : 0;
}
