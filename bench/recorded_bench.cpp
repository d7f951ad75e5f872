#include "recorded_bench.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "discipline/engine.hpp"
#include "recording/file.hpp"
#include "sim/reservo.hpp"

namespace nanotime::bench {
namespace {

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

RecordedRows run_recordings(const std::vector<std::string>& files,
                            const std::vector<std::string>& servos, std::FILE* out) {
  RecordedRows rows;
  rows.json = "[";
  bool first = true;
  fmt::print(out, "\nRecorded runs (no truth: residuals are against the qErr-corrected pulses)\n");
  fmt::print(out, "{:<28} {:<7} {:>8} {:>9} {:>9} {:>10} {:>9} {:>6}  {}\n", "recording", "servo",
             "lock_s", "res_rms", "res_p95", "gpio_rms", "pulses", "steps", "holdover drift");
  for (const std::string& file : files) {
    const std::string name = std::filesystem::path(file).filename().string();
    const std::optional<std::string> bytes = slurp(file);
    if (!bytes) {
      fmt::print(stderr, "servo-bench: {}: cannot be read\n", file);
      rows.exit_status = 66;  // EX_NOINPUT
      continue;
    }
    std::optional<sim::Reconstruction> rec;
    try {
      rec = sim::reconstruct(*bytes);
    } catch (const recording::FormatError& e) {
      fmt::print(stderr, "servo-bench: {}: {}\n", file, e.what());
      rows.exit_status = 65;  // EX_DATAERR
      continue;
    }
    if (!rec->stop_message.empty()) fmt::print(stderr, "servo-bench: {}: {}\n", file, rec->stop_message);
    for (const std::string& servo : servos) {
      const sim::ReservoReport rep = sim::make_reservo_report(
          sim::run_reservo(*rec, sim::recorded_engine_config(rec->header, servo)), name);
      std::string drift;
      for (const sim::HoldoverDrift& h : rep.holdover) {
        drift += fmt::format("{}{:.0f} ns/{:.0f} s", drift.empty() ? "" : ", ", h.drift_ns, h.duration_s);
      }
      fmt::print(out, "{:<28} {:<7} {:>8} {:>9.2f} {:>9.2f} {:>10.1f} {:>9} {:>6}  {}\n", name, servo,
                 rep.lock_time_s ? fmt::format("{:.0f}", *rep.lock_time_s) : "never",
                 rep.residual_ns.rms, rep.residual_ns.p95, rep.gpio_difference_ns.rms, rep.pulses,
                 rep.steps, drift.empty() ? "-" : drift);
      rows.json += (first ? "\n    " : ",\n    ") + sim::reservo_report_json(rep);
      first = false;
    }
  }
  rows.json += "\n  ]";
  return rows;
}

}  // namespace nanotime::bench
