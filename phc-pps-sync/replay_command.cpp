#include "replay_command.hpp"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "conductor/conductor.hpp"
#include "conductor/recording_replay.hpp"
#include "daemon/recording_header.hpp"
#include "discipline/engine.hpp"
#include "recording/chain.hpp"
#include "recording/file.hpp"

namespace nanotime::phc_pps_sync {
namespace {

constexpr int kExitDiffers = 1;
constexpr int kExitDataErr = 65;  // EX_DATAERR

double cpu_s() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

}  // namespace

int run_replay(const ReplayOptions& options) {
  std::vector<recording::Part> parts;
  for (const std::string& path : options.paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      fmt::print(stderr, "phc-pps-sync: --replay {}: cannot open it\n", path);
      return kExitDataErr;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    parts.push_back({path, buf.str()});
  }
  if (parts.empty()) {
    fmt::print(stderr, "phc-pps-sync: --replay needs a FILE\n");
    return kExitDataErr;
  }
  const std::string name = parts.size() == 1
                               ? parts[0].name
                               : fmt::format("{} (+{} parts)", parts[0].name, parts.size() - 1);
  try {
    recording::Chain reader(std::move(parts));
    ppsd::RecordedRun run = ppsd::recorded_run(reader.header());
    const auto origin = reader.header().find("origin");
    if (origin == reader.header().end() || origin->second != "start") {
      fmt::print(stderr,
                 "phc-pps-sync: {}: the recording began on a running daemon (origin \"{}\"): "
                 "the engine's state at its start is not in it, so it cannot replay exactly "
                 "(record with [phc-pps-sync.record] enabled from the start{})\n",
                 options.paths[0], origin == reader.header().end() ? "" : origin->second,
                 origin != reader.header().end() && origin->second == "continued"
                     ? "; or give the run's parts in order, part 0 first"
                     : "");
      return kExitDataErr;
    }
    if (options.servo) run.engine.servo = *options.servo;
    auto engine = discipline::make_engine(run.engine);
    conductor::Replay replay(reader);
    conductor::Conductor c(*engine, replay.clock(), replay.clocks(),
                           run.chrony ? &replay.chrony() : nullptr, nullptr, run.conductor);
    c.set_observer(&replay.observer());
    if (run.gpio) c.set_gpio_pps(&replay.gpio());
    const double cpu0 = cpu_s();
    const conductor::ReplayResult res = replay.run(c);
    const double cpu = cpu_s() - cpu0;
    const double span_s = static_cast<double>(res.last_mono_ns - res.first_mono_ns) * 1e-9;
    if (!reader.stop_message().empty()) {
      fmt::print(stderr, "phc-pps-sync: {}\n", reader.stop_message());
    }
    fmt::print("{}: {} records, {:.1f} s recorded, replayed in {:.3f} s CPU\n", name,
               res.records, span_s, cpu);
    fmt::print("compared: {} commands, {} chronyd samples, {} quality changes\n", res.commands,
               res.chrony_samples, res.quality_changes);
    if (res.mismatch) {
      const conductor::ReplayMismatch& m = *res.mismatch;
      fmt::print("DIFFERS at {:.6f} s (mono {} ns):\n  recorded: {}\n  replayed: {}\n",
                 static_cast<double>(m.mono_ns - res.first_mono_ns) * 1e-9, m.mono_ns,
                 m.recorded, m.replayed);
      return kExitDiffers;
    }
    fmt::print("identical{}\n", res.ended_inside_handler ? " (the recording ends mid-event)" : "");
    return 0;
  } catch (const recording::ChainError& e) {
    // Names the part itself.
    fmt::print(stderr, "phc-pps-sync: --replay: {}\n", e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "phc-pps-sync: {}: {}\n", name, e.what());
  }
  return kExitDataErr;
}

}  // namespace nanotime::phc_pps_sync
