#pragma once
// The discipline engine: pure (no clocks, sleeps, files or threads). Feed it events in the order
// they happened; apply what each call returns. The daemon (phc-pps-sync/) and the simulator
// (sim/) drive the same engine.

#include <cstdint>
#include <memory>
#include <string>

#include "discipline/events.hpp"

namespace nanotime::discipline {

struct EngineConfig {
  std::string servo = "kalman";          // "pi" (linuxptp baseline) or "kalman" (default)
  double cable_delay_ns = 0;             // antenna + cable + receiver delay to compensate
  double holdover_limit_ns = 1000;       // clockClass 7 while the error bound is below this
  double max_freq_ppb = 500000;          // clamp, far below the driver's max_adj
  int tai_utc_s = 37;                    // fallback TAI − UTC (leap-seconds.list) until gpsd says
  double nominal_pulse_period_s = 1.0;
  bool both_edges = false;               // driver reports both edges (i210/i226)
  double pulse_width_s = 0.1;            // with both_edges: the falling edge comes this late
};

// Counters and the latest estimates, for status, metrics and the simulator's report.
struct EngineStatus {
  LockState state = LockState::acquiring;
  double last_offset_ns = 0;       // last measured PHC − TAI
  double freq_ppb = 0;             // current frequency adjustment
  double error_bound_ns = 0;
  std::uint64_t pulses_seen = 0;
  std::uint64_t pulses_used = 0;
  std::uint64_t pulses_lost = 0;          // expected edges that never came
  std::uint64_t pulses_ambiguous = 0;     // dropped: could not be labelled with certainty
  std::uint64_t pulses_stale = 0;         // duplicates / carrier-loss repeats
  std::uint64_t outliers_rejected = 0;
  std::uint64_t steps = 0;
  ClockQuality quality;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual Output handle(const Event& event) = 0;
  virtual EngineStatus status() const = 0;
};

// Throws std::invalid_argument for an unknown servo name.
std::unique_ptr<Engine> make_engine(const EngineConfig& config);

}  // namespace nanotime::discipline
