#include "transfer/gpio_cross_check.hpp"

#include <algorithm>
#include <cmath>

namespace nanotime::transfer {

const char* method_name(TransferMethod m) {
  switch (m) {
    case TransferMethod::latch_model: return "latch-model";
    case TransferMethod::gpio_calibrated: return "gpio-calibrated";
  }
  return "?";
}

double CheckedTransfer::bound_ns() const { return std::max(-error_min_ns, error_max_ns); }

std::optional<double> gpio_difference_ns(std::int64_t gpio_system_ns, std::int64_t edge_phc_ns,
                                         const Transfer& read, double system_rate) {
  // Integer parts first: the times are ~1.8e18 ns, beyond a double's exact range.
  const std::int64_t phc_since_edge = read.phc_ns - edge_phc_ns;
  const std::int64_t coarse = gpio_system_ns - read.system_ns + phc_since_edge;
  const double d = static_cast<double>(coarse) + static_cast<double>(phc_since_edge) * system_rate;
  if (!std::isfinite(d) || std::abs(d) >= 5e8) return std::nullopt;
  return d;
}

GpioCrossCheck::GpioCrossCheck(const LatchModel& model, GpioCheckConfig config)
    : spread_ns_(model.spread_ns), config_(config) {}

void GpioCrossCheck::add(double difference_ns) {
  if (!std::isfinite(difference_ns)) return;
  window_.push_back(difference_ns);
  if (window_.size() > config_.window) window_.pop_front();
}

std::optional<double> GpioCrossCheck::min_difference_ns() const {
  if (window_.empty()) return std::nullopt;
  return *std::min_element(window_.begin(), window_.end());
}

CheckedTransfer GpioCrossCheck::check(const Transfer& t, double phc_bound_ns) const {
  CheckedTransfer c;
  // The bracket's interval, widened by the PHC's own error bound.
  const double lo_bracket = t.error_min_ns - phc_bound_ns;
  const double hi_bracket = t.error_max_ns + phc_bound_ns;
  c.error_min_ns = lo_bracket;
  c.error_max_ns = hi_bracket;
  const auto d_min = min_difference_ns();
  if (!d_min || window_.size() < config_.min_pulses) return c;

  const double hi_gpio = *d_min + spread_ns_;
  const double lo_gpio = *d_min - config_.latency_floor_max_ns - spread_ns_;
  if (hi_gpio < lo_bracket || lo_gpio > hi_bracket) {
    c.alarm = true;
    c.disagreement_ns = hi_gpio < lo_bracket ? hi_gpio - lo_bracket : lo_gpio - hi_bracket;
    return c;  // one of the two is wrong: the bracket, which needs no assumption, stands
  }
  const double lo = std::max(lo_bracket, lo_gpio);
  const double hi = std::min(hi_bracket, hi_gpio);
  c.method = TransferMethod::gpio_calibrated;
  // Keep the model's estimate when the interval allows it; otherwise the model is wrong for this
  // box and the interval's middle is the best estimate there is.
  if (lo > 0 || hi < 0) c.shift_ns = (lo + hi) / 2;
  c.error_min_ns = lo - c.shift_ns;
  c.error_max_ns = hi - c.shift_ns;
  return c;
}

}  // namespace nanotime::transfer
