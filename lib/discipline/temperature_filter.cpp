#include "discipline/temperature_filter.hpp"

#include <algorithm>
#include <cmath>

namespace nanotime::discipline {

double TemperatureFilter::noise_sd_c() const { return std::sqrt(std::max(var_, 0.0)); }

void TemperatureFilter::add(std::int64_t mono_ns, double celsius) {
  if (!value_) {
    value_ = celsius;
    count_ = 1;
    last_mono_ = mono_ns;
    return;
  }
  const double dt = std::max(0.0, static_cast<double>(mono_ns - last_mono_) * 1e-9);
  last_mono_ = mono_ns;
  const double d = celsius - *value_;
  const bool learned = var_count_ >= config_.learn_readings;
  const double threshold = std::max(config_.step_sigmas * noise_sd_c(), config_.min_step_c);
  if (learned && std::fabs(d) > threshold) {
    if (pending_ && std::fabs(celsius - before_value_) <= threshold) {
      // Back at the level before: the previous reading was a glitch.
      value_ = before_value_;
      count_ = before_count_;
      pending_ = false;
      --steps_;
      return;
    }
    if (!pending_) {
      before_value_ = *value_;
      before_count_ = count_;
    }
    pending_ = true;
    value_ = celsius;
    count_ = 1;
    ++steps_;
    return;
  }
  pending_ = false;
  // Running mean right after a (re)start, then exponential over smoothing_s.
  count_ += 1;
  const double a = std::max(1.0 / count_, 1.0 - std::exp(-dt / config_.smoothing_s));
  if (count_ > 2) {  // d includes the average's own error: small once a few readings are in
    var_count_ += 1;
    const double w = std::max(1.0 / var_count_, 1.0 / 300.0);
    var_ += w * (d * d - var_);
  }
  *value_ += a * d;
}

}  // namespace nanotime::discipline
