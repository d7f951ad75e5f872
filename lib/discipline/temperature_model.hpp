#pragma once
// Learns how the PHC's frequency depends on board temperature while pulses discipline it, to
// predict the frequency in holdover and cancel it in every command (the engine's temperature
// feed-forward; the engine then feeds add_frequency the whole oscillator error, servo's
// estimate minus the feed-forward, so the feed-forward does not bias what is learned).
//
// The oscillator also random-walks (hundreds of ppb a day on a CM4), so an absolute regression
// of frequency on temperature would mostly fit the walk. Instead, window means (window_s) of
// the servo's frequency estimate and of the smoothed temperature are differenced between
// consecutive windows, and Δfrequency is regressed on Δtemperature (least squares through 0,
// exponential forgetting). The random walk only adds noise to each difference, which the
// residual variance measures; the coefficient is used only once it is identified
// (sd < 30 % of it, or < 2 ppb/°C).

#include <cstdint>
#include <optional>

namespace nanotime::discipline {

class TemperatureModel {
 public:
  struct Config {
    double smoothing_s = 30;       // the readings are noisy (0.1 °C): low-pass them for
                                   // holdover (window means use the raw readings)
    double window_s = 300;
    double forgetting = 0.995;     // per window (memory ≈ 200 windows ≈ 17 h)
    double prior_coeff_sd = 50;    // ppb/°C assumed while not identified (honest bounds)
  };
  TemperatureModel() : TemperatureModel(Config{}) {}
  explicit TemperatureModel(const Config& config) : config_(config) {}

  void add_temperature(std::int64_t mono_ns, double celsius);
  // One frequency estimate (ppb, the oscillator's own error) while tracking.
  void add_frequency(std::int64_t mono_ns, double freq_ppb);
  void interrupt();  // holdover: the current window is not comparable any more

  std::optional<double> temperature_c() const { return smoothed_; }
  bool identified() const;
  double coefficient() const { return sxx_ > 0 ? sxy_ / sxx_ : 0; }     // ppb/°C
  double coefficient_sd() const;                                       // ppb/°C
  // What holdover may use: the coefficient if identified, else 0; and its uncertainty.
  double usable_coefficient() const { return identified() ? coefficient() : 0.0; }
  double usable_coefficient_sd() const {
    return identified() ? coefficient_sd() : config_.prior_coeff_sd;
  }
  std::uint64_t windows() const { return windows_; }

 private:
  Config config_;
  std::optional<double> smoothed_;
  std::int64_t last_temp_mono_ = 0;
  // current window
  std::optional<std::int64_t> window_start_;
  double sum_f_ = 0, sum_t_ = 0;
  std::uint64_t n_ = 0, n_t_ = 0;
  std::optional<double> prev_f_, prev_t_;
  // regression through 0 of Δf on ΔT
  double sxx_ = 0, sxy_ = 0, syy_ = 0, weight_ = 0;
  std::uint64_t windows_ = 0;
};

}  // namespace nanotime::discipline
