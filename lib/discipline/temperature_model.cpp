#include "discipline/temperature_model.hpp"

#include <algorithm>
#include <cmath>

namespace nanotime::discipline {

void TemperatureModel::add_temperature(std::int64_t mono_ns, double celsius) {
  if (!smoothed_) {
    smoothed_ = celsius;
  } else {
    double dt = std::max(0.0, static_cast<double>(mono_ns - last_temp_mono_) * 1e-9);
    double a = 1 - std::exp(-dt / config_.smoothing_s);
    *smoothed_ += a * (celsius - *smoothed_);
  }
  last_temp_mono_ = mono_ns;
  if (window_start_) {  // raw readings for the window mean: no smoothing lag, noise averages
    sum_t_ += celsius;
    ++n_t_;
  }
}

void TemperatureModel::interrupt() {
  window_start_.reset();
  sum_f_ = sum_t_ = 0;
  n_ = n_t_ = 0;
  prev_f_.reset();
  prev_t_.reset();
}

void TemperatureModel::add_frequency(std::int64_t mono_ns, double freq_ppb) {
  if (!smoothed_) return;  // no thermometer: nothing to learn
  if (!window_start_) window_start_ = mono_ns;
  sum_f_ += freq_ppb;
  ++n_;
  if (static_cast<double>(mono_ns - *window_start_) * 1e-9 < config_.window_s) return;
  if (n_t_ == 0) {  // no readings in this window (thermometer gone): start over
    interrupt();
    return;
  }
  double f = sum_f_ / static_cast<double>(n_);
  double t = sum_t_ / static_cast<double>(n_t_);
  if (prev_f_) {
    double df = f - *prev_f_;
    double dtemp = t - *prev_t_;
    sxx_ = config_.forgetting * sxx_ + dtemp * dtemp;
    sxy_ = config_.forgetting * sxy_ + dtemp * df;
    syy_ = config_.forgetting * syy_ + df * df;
    weight_ = config_.forgetting * weight_ + 1;
    ++windows_;
  }
  prev_f_ = f;
  prev_t_ = t;
  window_start_ = mono_ns;
  sum_f_ = sum_t_ = 0;
  n_ = n_t_ = 0;
}

double TemperatureModel::coefficient_sd() const {
  if (sxx_ <= 0 || weight_ < 2) return config_.prior_coeff_sd;
  double b = sxy_ / sxx_;
  double resid = std::max(0.0, syy_ - 2 * b * sxy_ + b * b * sxx_);
  double var_e = resid / std::max(weight_ - 1, 1.0);
  return std::sqrt(var_e / sxx_);
}

bool TemperatureModel::identified() const {
  if (windows_ < 4) return false;
  double sd = coefficient_sd();
  return sd < std::max(0.3 * std::fabs(coefficient()), 2.0);
}

}  // namespace nanotime::discipline
