#pragma once
// The accuracy limit of a profile, computed from the profile alone (independently of any servo
// code): how close to TAI the best linear filter could keep the PHC.
//
// Model, per 1 s pulse: state (x = PHC − TAI in ns, y = frequency in ns/s),
//   x(k+1) = x(k) + y(k) + w,   y(k+1) = y(k) + v,   measurement z = x + r,
//   var w = white_fm² + flicker_fm²   (white FM as the simulator makes it: the 1 s mean
//                                      frequency; flicker approximated by white FM of the same
//                                      1 s level — optimistic at long τ),
//   var v = random_walk_fm²           (the simulator's discrete random walk, exactly),
//   var r = jitter² + (qerr ? qerr_residual² : sawtooth_pp²/12) + resolution²/12.
// The steady-state prediction variance P solves the discrete Riccati equation (iterated to
// convergence). The receiver's slow wander cannot be told apart from the PHC's and is
// followed in full: it adds Σ AR(1) σ² + Σ sinusoid amp²/2. The limit is the root sum square:
//   limit_ns = √(P_xx + wander).

#include "sim/profile.hpp"

namespace nanotime::bench {

struct Limit {
  double measurement_sd_ns = 0;   // √R
  double prediction_sd_ns = 0;    // √P_xx of the steady-state Kalman prediction
  double wander_sd_ns = 0;        // receiver AR(1) and sinusoids
  double limit_ns = 0;            // √(P_xx + wander²)
};

Limit kalman_limit(const sim::Profile& profile);

// The steady-state prediction variance of x for the model above (exposed for tests).
double riccati_prediction_variance(double q_phase, double q_freq, double r);

}  // namespace nanotime::bench
