#include "discipline/temperature_feedforward.hpp"

#include <algorithm>
#include <cmath>

namespace nanotime::discipline {

// ff follows the filtered temperature in increments −c·ΔT_f, counted only while c is
// identified: an unidentified coefficient adds nothing more (as holdover without ff), and
// what ff already holds stays (dropping it would itself be a frequency step). A refined c
// changes only the increments that follow, never ff at once.
std::optional<FeedForwardChange> TemperatureFeedForward::on_reading(
    std::int64_t now, double celsius, const TemperatureModel& model, bool holding) {
  const double interval_s =
      last_mono_ ? std::clamp(static_cast<double>(now - *last_mono_) * 1e-9, 0.0, 10.0) : 1.0;
  last_mono_ = now;
  filter_.add(now, celsius);
  const double t_f = *filter_.value();
  const double dtemp = last_c_ ? t_f - *last_c_ : 0.0;
  last_c_ = t_f;
  if (model.identified()) active_ = true;
  if (!active_) return std::nullopt;
  // Once identified, the coefficient keeps being used, shrunk by c²/(c² + sd²) (the
  // least-squares weight of an estimate known to sd): an identification that comes and goes
  // with the daily cycle neither switches ff off nor lets a poor coefficient through whole.
  // In holdover no pulse corrects what ff gets wrong: only an identified coefficient there.
  if (holding && !model.identified()) return std::nullopt;
  const double c = model.coefficient();
  const double sd = model.coefficient_sd();
  const double weight = c * c + sd * sd > 0 ? c * c / (c * c + sd * sd) : 0.0;
  const double change = -weight * c * dtemp;
  if (change == 0) return std::nullopt;
  ppb_ += change;
  // The real change came up to one reading interval before this reading (uniform: second
  // moment interval²/3): the phase moved by that much which nobody measured. And what the
  // coefficient leaves of the change (variance weight·sd² per °C²) is left for the servo.
  const double left_ppb = std::sqrt(weight) * sd * dtemp;
  return FeedForwardChange{change * change * interval_s * interval_s / 3, left_ppb * left_ppb};
}

}  // namespace nanotime::discipline
