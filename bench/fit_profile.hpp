#pragma once
// servo-bench --fit-profile FILE: a simulation profile's noise parameters estimated from a field
// recording (docs/recording.md#fit), so that the oracle (oracle_limit.hpp) and the servos can
// run on a profile of that very box.
//
// From the recording: the free-running PHC at each edge (sim/reservo.hpp: the recorded steering
// taken out), minus gpsd's qErr of that edge when the receiver sends it, is the phase
//   x(k) = oscillator phase(k) + measurement noise(k)   (k: whole seconds from the first edge).
// Its overlapping Allan variance at τ = 1, 2, 3, 4, 6, … s is fitted (non-negative least
// squares on relative errors, each τ weighted by 1/τ, its estimate's confidence) with the four
// terms the simulator's models give (sim/phc.hpp):
//   white PM (the pulse's own noise)  3·σx²/τ²,   white FM  w²/τ,
//   flicker FM f² × the simulator's own flicker at τ (a flat floor from τ ≈ 16 s, lower below),
//   random-walk FM  r²·τ/3.
// σx² is then split as the simulator draws it: the PHC's tick (res²/12, the tick being the
// largest power of two dividing every recorded EXTTS value, at most 1024 ns), the sawtooth
// (pp²/12, only without qErr) and the rest, reported as jitter_ns. The sawtooth's
// peak-to-peak comes from the qErr values (their sd·√12) when the receiver sends them.
// Pulses whose second difference is beyond 10 robust sigmas (outliers, stale duplicates) are
// left out. Not fitted (left out of the written profile, and said so in it): the receiver's slow
// wander (AR(1), sinusoids: below the white PM at every τ an Allan variance resolves),
// temperature, aging, faults.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/profile.hpp"
#include "sim/reservo.hpp"

namespace nanotime::bench {

struct FittedNoise {
  double white_fm_ppb = 0;
  double flicker_fm_ppb = 0;
  double random_walk_fm_ppb_per_sqrt_s = 0;
  double white_pm_ns = 0;     // σx: everything white in the pulse
  double jitter_ns = 0;       // σx without the tick's and the sawtooth's share
  double sawtooth_pp_ns = 0;
  bool qerr = false;
  std::int64_t resolution_ns = 1;
  double freq_offset_ppb = 0;  // the free-running mean frequency
  // Not noise, but what makes the profile run like the box: EXTTS delivery after the edge
  // (5th and 95th percentiles) and gpsd's time report after it (median).
  double delivery_min_s = 0, delivery_max_s = 0;
  double tod_delay_s = 0;
  std::size_t outliers = 0;    // pulses left out of the Allan variance (robust rejection)
  std::size_t edges = 0;
  double duration_s = 0;
  std::vector<std::pair<double, double>> adev;  // (τ s, σ_y ppb) measured
};

// Throws std::runtime_error when the recording has too few edges (under 1000 s of them).
FittedNoise fit_noise(const sim::Reconstruction& rec);

// The profile the fit describes (named `name`); its TOML text for a file.
sim::Profile fitted_profile(const FittedNoise& fit, const std::string& name);
std::string profile_toml(const FittedNoise& fit, const std::string& source);

}  // namespace nanotime::bench
