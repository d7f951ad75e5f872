#pragma once
// Online estimate of the noise levels a Kalman servo needs, from the PHC's free-running phase
// x (measured offset minus the phase the servo itself commanded). For second differences at
// lag m samples (τ = m·period):
//   E[(x[n] − 2x[n−m] + x[n−2m])²] = 6·R + 2·q1·τ + (2/3)·q2·τ³
// with R the white phase (measurement) variance, q1 the white-FM phase diffusion and q2 the
// random-walk-FM frequency diffusion. This is an Allan-variance-type statistic (Allan variance
// = that / 2τ²). Exponentially weighted means at lags 1, 2, 4 … 64 are fitted by weighted,
// non-negative least squares.

#include <array>
#include <cstdint>

#include "servo/servo.hpp"

namespace nanotime::servo {

class NoiseEstimator {
 public:
  explicit NoiseEstimator(double period_s = 1.0, NoiseModel prior = default_prior());
  // A hand-set model: add() still keeps the statistics, but the model stays as given.
  void freeze() { frozen_ = true; }
  static NoiseModel default_prior();

  // index = pulse number (consecutive seconds differ by 1); x_ns = free-running phase.
  void add(std::int64_t index, double x_ns);
  void clear_history();  // after a step: old phases are no longer comparable
  NoiseModel model() const { return model_; }
  // Mean squared second difference at lag 1 (ns²), for the PTP variance.
  double lag1_mean_square() const { return mean_sq_[0]; }
  std::uint64_t samples() const { return count_[0]; }

 private:
  static constexpr int kLags = 7;
  static constexpr std::size_t kHistory = 256;  // > 2 × largest lag
  void refit();
  double period_s_;
  std::array<std::int64_t, kHistory> index_{};
  std::array<double, kHistory> x_{};
  std::array<bool, kHistory> valid_{};
  std::array<double, kLags> mean_sq_{};
  std::array<std::uint64_t, kLags> count_{};
  NoiseModel model_;
  std::uint64_t adds_ = 0;
  bool frozen_ = false;
};

}  // namespace nanotime::servo
