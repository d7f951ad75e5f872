#pragma once
// A simulated GNSS receiver: the error of each PPS edge against true time.
//
// SIGN CONVENTION (shared with the engine, lib/discipline/events.hpp PulseReport):
//   the edge of pulse k leaves the receiver at   true second k + edge_error_ns,
//   edge_error_ns = sawtooth + jitter + Σ AR(1) + Σ sinusoids + navigation wander,
//   and reaches the PHC pin cable_delay_ns later still.
//   qerr_ns = sawtooth + N(0, qerr_residual_ns)   (reported only when gnss.qerr),
// so the engine corrects a pulse by SUBTRACTING qerr_ns (and cable_delay_ns):
//   PHC − TAI at the edge = phc_ns(edge) − tai_s·1e9 − qerr_ns − cable_delay_ns.
// After the correction qerr_residual_ns remains (plus jitter, AR(1) and sinusoids).
//
// The sawtooth is drawn uniformly in ±sawtooth_pp_ns/2, independently for every pulse: the
// receiver's clock drifts by many ticks per second, so consecutive quantisation errors are
// effectively uncorrelated (the worst case — "hanging bridges" — is not modelled).
// AR(1): x(k+1) = a·x(k) + √(1−a²)·N(0, σ), a = exp(−1 s/τ), started stationary.
// Sinusoids: amp_ns·sin(2π·k/period_s), zero phase at t = 0.

#include <cstdint>
#include <optional>
#include <vector>

#include "sim/profile.hpp"
#include "sim/random.hpp"
#include "sim/receiver_mode.hpp"

namespace nanotime::sim {

struct PulseError {
  double edge_error_ns = 0;        // everything above except cable delay and faults
  double sawtooth_ns = 0;
  std::optional<double> qerr_ns;   // what the receiver reports (gnss.qerr)
};

class SimulatedReceiver {
 public:
  // rx: the time mode ([receiver]): its navigation wander is added while it surveys.
  SimulatedReceiver(const GnssSection& config, std::uint64_t seed,
                    const ReceiverSection& rx = {});

  // The error of pulse k (k = whole seconds from the start). Call once per k, in order:
  // every model draws each second whether or not the pulse is later lost.
  PulseError next(std::int64_t k);

  const GnssSection& config() const { return cfg_; }

 private:
  GnssSection cfg_;
  Rng jitter_rng_, sawtooth_rng_, qerr_rng_;
  std::vector<Rng> ar1_rng_;
  std::vector<double> ar1_state_;
  bool first_ = true;
  NavigationWander navigation_;
};

}  // namespace nanotime::sim
