#pragma once
// The simulated receiver's time mode ([receiver], docs/simulation.md#receiver): survey-in for
// survey_duration_s from t = 0, then fixed. While it surveys it navigates, and the position
// solution's error moves the pulse: bounded noise, an AR(1) with 1σ navigation_wander_ns and
// correlation time navigation_wander_tau_s (a random walk would grow without bound; a
// navigation solution's error does not). Once fixed, the wander is gone.

#include <cstdint>

#include "conductor/receiver_status.hpp"
#include "sim/profile.hpp"
#include "sim/random.hpp"

namespace nanotime::sim {

class NavigationWander {
 public:
  NavigationWander(const ReceiverSection& config, std::uint64_t seed);
  // The extra edge error (ns) of pulse k; call once per k, in order. 0 once fixed.
  double next(std::int64_t k);

 private:
  ReceiverSection cfg_;
  Rng rng_;
  double state_ns_ = 0;
  bool first_ = true;
};

// What the receiver's own messages (TIM-SVIN, MON-HW) say at t_s seconds from the start.
// Survey accuracy: the navigation error (1 m ≈ 3.336 ns) averaged over the survey's
// independent stretches of one correlation time each, σ/√(t/τ).
conductor::ReceiverStatus simulated_receiver_state(const ReceiverSection& config, double t_s);

}  // namespace nanotime::sim
