#pragma once
// Board temperature: the true value is a closed form of time (mean + daily sinusoid + steps),
// so the oscillator can use it at any instant; readings add independent noise (the sensor's).

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "sim/profile.hpp"
#include "sim/random.hpp"

namespace nanotime::sim {

class TemperatureModel {
 public:
  TemperatureModel(const TemperatureSection& t, const std::vector<TemperatureStep>& fault_steps,
                   std::uint64_t seed)
      : cfg_(t), steps_(t.steps), rng_(seed, Stream::temperature_noise) {
    steps_.insert(steps_.end(), fault_steps.begin(), fault_steps.end());
  }

  double mean_c() const { return cfg_.mean_c; }

  // True board temperature at t_s seconds from the start.
  double true_c(double t_s) const {
    double c = cfg_.mean_c + cfg_.daily_amp_c * std::sin(2 * std::numbers::pi * t_s / 86400.0);
    for (const auto& s : steps_) {
      if (t_s >= s.at_s) c += s.delta_c;
    }
    return c;
  }

  // What the sensor reports at t_s (call in time order: one noise draw per reading).
  double reading_c(double t_s) { return true_c(t_s) + rng_.gaussian(cfg_.noise_c); }

 private:
  TemperatureSection cfg_;
  std::vector<TemperatureStep> steps_;
  Rng rng_;
};

}  // namespace nanotime::sim
