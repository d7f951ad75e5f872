#include "sim/phc.hpp"
#include "util/units.hpp"

#include <algorithm>
#include <cmath>

namespace nanotime::sim {
namespace {
using util::kNsPerS;
constexpr double kScaledPpmPerPpb = 65.536;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
}  // namespace

SimulatedPhc::SimulatedPhc(const PhcSection& config, std::uint64_t seed, double mean_temperature_c,
                           std::function<double(double t_s)> temperature_c)
    : cfg_(config),
      temperature_c_(std::move(temperature_c)),
      mean_temperature_c_(mean_temperature_c),
      white_rng_(seed, Stream::phc_white_fm),
      flicker_rng_(seed, Stream::phc_flicker_fm),
      rw_rng_(seed, Stream::phc_random_walk_fm),
      step_rng_(seed, Stream::phc_step),
      offset_int_ns_(std::llround(config.initial_offset_s * 1e9)) {
  if (cfg_.flicker_fm_ppb > 0) {
    const double ln_r = std::log(10.0) / 3.0;
    flicker_sd_ = cfg_.flicker_fm_ppb * std::sqrt(ln_r / (2.0 * std::log(2.0)));
    for (int i = 0; i < kFlickerPoles; ++i) {
      const double tau_s = std::pow(10.0, i / 3.0);
      flicker_a_.push_back(std::exp(-1.0 / tau_s));
      flicker_.push_back(flicker_rng_.gaussian(flicker_sd_));  // start stationary
    }
  }
  begin_second(0);
}


double SimulatedPhc::own_frequency_ppb() const {
  const double t_s = static_cast<double>(t_ns_) * 1e-9;
  return cfg_.freq_offset_ppb + cfg_.aging_ppb_per_day * t_s / 86400.0 + y_white_ +
         y_flicker_ + y_rw_ + y_temp_;
}

void SimulatedPhc::begin_second(std::int64_t second) {
  // Second 0 starts with the initial (stationary) draws; later seconds evolve them.
  if (second > 0) {
    y_rw_ += rw_rng_.gaussian(cfg_.random_walk_fm_ppb_per_sqrt_s);
    for (std::size_t i = 0; i < flicker_.size(); ++i) {
      const double a = flicker_a_[i];
      flicker_[i] = a * flicker_[i] + std::sqrt(1 - a * a) * flicker_rng_.gaussian(flicker_sd_);
    }
  }
  y_flicker_ = 0;
  for (double v : flicker_) y_flicker_ += v;
  y_white_ = white_rng_.gaussian(cfg_.white_fm_ppb);
  y_temp_ = 0;
  if (temperature_c_ && cfg_.temp_coeff_ppb_per_c != 0) {
    y_temp_ = cfg_.temp_coeff_ppb_per_c *
              (temperature_c_(static_cast<double>(second)) - mean_temperature_c_);
  }
  second_ = second;
}

void SimulatedPhc::integrate(std::int64_t from_ns, std::int64_t to_ns) {
  if (to_ns <= from_ns) return;
  const double dt_s = static_cast<double>(to_ns - from_ns) * 1e-9;
  const double y = cfg_.freq_offset_ppb + y_white_ + y_flicker_ + y_rw_ + y_temp_ + adj_ppb_;
  phase_ns_ += y * dt_s;
  if (cfg_.aging_ppb_per_day != 0) {
    const double a = static_cast<double>(from_ns) * 1e-9;
    const double b = static_cast<double>(to_ns) * 1e-9;
    phase_ns_ += cfg_.aging_ppb_per_day / 86400.0 * 0.5 * (b - a) * (b + a);
  }
}

void SimulatedPhc::advance_to(std::int64_t t_ns) {
  while (t_ns >= (second_ + 1) * kNsPerS) {
    const std::int64_t boundary = (second_ + 1) * kNsPerS;
    integrate(t_ns_, boundary);
    t_ns_ = boundary;
    begin_second(second_ + 1);
  }
  integrate(t_ns_, t_ns);
  t_ns_ = std::max(t_ns_, t_ns);
}

std::int64_t SimulatedPhc::read_ns(std::int64_t tai_ns, double extra_ns) const {
  const double frac = phase_ns_ + extra_ns;
  const double whole = std::floor(frac);
  const std::int64_t exact_floor = tai_ns + offset_int_ns_ + static_cast<std::int64_t>(whole);
  return floor_div(exact_floor, cfg_.resolution_ns) * cfg_.resolution_ns;
}

double SimulatedPhc::set_frequency(double freq_ppb) {
  const double clamped = std::clamp(freq_ppb, -cfg_.max_adj_ppb, cfg_.max_adj_ppb);
  adj_ppb_ = std::round(clamped * kScaledPpmPerPpb) / kScaledPpmPerPpb;
  return adj_ppb_;
}

double SimulatedPhc::step(std::int64_t delta_ns) {
  offset_int_ns_ += delta_ns;
  double error = 0;
  if (cfg_.step_error_ns > 0) error = step_rng_.uniform(-cfg_.step_error_ns, cfg_.step_error_ns);
  phase_ns_ += error;
  return static_cast<double>(delta_ns) + error;
}

}  // namespace nanotime::sim
