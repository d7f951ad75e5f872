#pragma once
// A step-preserving low-pass filter of the board temperature readings, for the temperature
// feed-forward (engine.cpp). The readings are noisy (0.1 °C on a CM4; × 60 ppb/°C that would be
// 6 ppb of frequency noise per reading), so they are averaged over smoothing_s; but a real step
// (a fan stopping) must be followed at once, or the PHC runs off by the whole step's ppb for the
// filter's time constant. A reading beyond step_sigmas × the learned reading noise restarts the
// average from that reading; if the next reading is back at the old level it was a glitch and
// the old average is restored (one period of a wrong value, rare: 5σ).

#include <cstdint>
#include <optional>

namespace nanotime::discipline {

class TemperatureFilter {
 public:
  struct Config {
    double smoothing_s = 30;     // averaging time of the readings between steps
    double step_sigmas = 5;      // a reading this many noise σ off is a step
    double min_step_c = 0.05;    // never a step below this (quantised sensors: σ ≈ 0)
    int learn_readings = 20;     // readings before steps are detected (noise σ learned)
  };
  TemperatureFilter() : TemperatureFilter(Config{}) {}
  explicit TemperatureFilter(const Config& config) : config_(config) {}

  void add(std::int64_t mono_ns, double celsius);
  std::optional<double> value() const { return value_; }
  double noise_sd_c() const;     // learned reading noise (1σ)
  std::uint64_t steps() const { return steps_; }

 private:
  Config config_;
  std::optional<double> value_;
  std::int64_t last_mono_ = 0;
  double count_ = 0;             // readings averaged since the last restart
  double var_ = 0;               // reading noise variance
  double var_count_ = 0;
  bool pending_ = false;         // the last reading restarted the average …
  double before_value_ = 0;      // … from this average (restored on a glitch)
  double before_count_ = 0;
  std::uint64_t steps_ = 0;
};

}  // namespace nanotime::discipline
