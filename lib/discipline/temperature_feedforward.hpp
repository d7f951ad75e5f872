#pragma once
// Temperature feed-forward (see engine.hpp): once the temperature coefficient c has been
// identified, every frequency command carries ff = Σ −w·c·ΔT_f over the filtered readings, so
// that the servo sees an oscillator without the temperature effect. Pure: the engine feeds the
// readings and adds ppb() to its commands.

#include <cstdint>
#include <optional>

#include "discipline/temperature_filter.hpp"
#include "discipline/temperature_model.hpp"

namespace nanotime::discipline {

// What a change of ff leaves uncertain, for Control::disturbance.
struct FeedForwardChange {
  double phase_var_ns2 = 0;
  double freq_var_ppb2 = 0;
};

class TemperatureFeedForward {
 public:
  explicit TemperatureFeedForward(double smoothing_s)
      : filter_(TemperatureFilter::Config{smoothing_s}) {}

  // A reading at monotonic time now; holding: no pulses correct what ff gets wrong. Returns
  // the disturbance to tell the servo when ff changed.
  std::optional<FeedForwardChange> on_reading(std::int64_t now, double celsius,
                                              const TemperatureModel& model, bool holding);
  bool active() const { return active_; }
  double ppb() const { return ppb_; }

 private:
  TemperatureFilter filter_;
  bool active_ = false;   // the coefficient was identified once: ff is in every command
  double ppb_ = 0;        // current feed-forward, added to every command
  std::optional<std::int64_t> last_mono_;
  std::optional<double> last_c_;   // filtered temperature at the last update
};

}  // namespace nanotime::discipline
