#pragma once
// The oracle: what the best causal linear filter could do on one seed's very noise.
//
// kalman_limit() is a formula for the average seed; this is a measurement. It runs the
// simulator's own noise models (SimulatedPhc, SimulatedReceiver) for the seed — the same draws
// the bench's runs see, because every model has its own random stream — and filters the pulses
// with a Kalman filter that KNOWS the profile: every noise level, the flicker poles, each AR(1)
// of the receiver and the periods of its sinusoids (not their phases). Its state:
//   θ  PHC − TAI (the deterministic frequency offset and aging removed: the oracle knows them),
//   y  random-walk FM, f_i the 19 flicker-FM poles (the simulator's AR(1) sum),
//   a_j the receiver's AR(1) wander, (c, d) per sinusoid: amp·sin(ωk + φ) = c·sin ωk + d·cos ωk,
// with θ(k+1) = θ(k) + y(k) + Σf_i(k) + white FM, and each pulse measured as
//   z(k) = floor((θ + receiver error)/res)·res + res/2 − qErr   (exactly as the engine sees it).
// A servo that applies each estimate at once (deadbeat) leaves the one-step prediction error
// θ(k) − θ̂(k|k−1) as true error; its rms over the pulses after warmup_s is the result. No
// servo that only sees the pulses can beat it by more than chance, except by exploiting the
// non-Gaussian shape of the sawtooth (see bench/README.md: that gains nothing measurable).
// The oracle sees the noise only: no faults, no temperature (it would know those too).

#include <cstddef>
#include <cstdint>

#include "sim/phc.hpp"
#include "sim/profile.hpp"
#include "sim/receiver.hpp"

namespace nanotime::bench {

// One seed's noise pulse by pulse, as the simulator draws it (the same streams as a simulation
// of that seed), for estimators that run outside the engine: the oracle and sawtooth-study.
class NoiseReplay {
 public:
  struct Pulse {
    double theta_ns = 0;    // PHC − TAI, the profile's constant frequency offset and aging removed
    double reading_ns = 0;  // what the engine measures: floored to the tick, centred, − qErr
    double wander_ns = 0;   // the receiver's AR(1) + sinusoids in this pulse's error
  };
  NoiseReplay(const sim::Profile& profile, std::uint64_t seed);
  Pulse pulse(std::int64_t k);  // k = 0, 1, 2 … in order
  double resolution_ns() const { return res_ns_; }

 private:
  static sim::PhcSection free_running(sim::PhcSection phc);
  static sim::GnssSection wander_only(sim::GnssSection gnss);
  sim::PhcSection phc_cfg_;
  double res_ns_;
  sim::SimulatedPhc phc_;
  sim::SimulatedReceiver receiver_;
  sim::SimulatedReceiver wander_;
};

struct OracleResult {
  double true_rms_ns = 0;     // rms of θ(k) − θ̂(k|k−1), k ≥ warmup_s
  double wander_rms_ns = 0;   // rms of the receiver's AR(1) + sinusoids over the same pulses
  std::size_t n = 0;
};

OracleResult oracle_run(const sim::Profile& profile, std::uint64_t seed, std::int64_t duration_s,
                        std::int64_t warmup_s = 600);

}  // namespace nanotime::bench
