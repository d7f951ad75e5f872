#include "discipline/quality.hpp"

#include <array>
#include <cmath>
#include <limits>

namespace nanotime::discipline {

namespace {
constexpr std::array<double, 17> kLimits_ns = {
    25, 100, 250, 1e3, 2.5e3, 1e4, 2.5e4, 1e5, 2.5e5, 1e6, 2.5e6, 1e7, 2.5e7, 1e8, 2.5e8, 1e9, 1e10};
}

std::uint8_t clock_accuracy_for_bound(double bound_ns) {
  if (!std::isfinite(bound_ns) || bound_ns < 0) return 0xfe;
  for (std::size_t i = 0; i < kLimits_ns.size(); ++i) {
    if (bound_ns <= kLimits_ns[i]) return static_cast<std::uint8_t>(0x20 + i);
  }
  return 0x31;
}

double accuracy_limit_ns(std::uint8_t accuracy) {
  if (accuracy >= 0x20 && accuracy < 0x20 + kLimits_ns.size()) return kLimits_ns[accuracy - 0x20];
  return std::numeric_limits<double>::infinity();
}

std::uint16_t scaled_log_variance(double variance_s2) {
  if (!std::isfinite(variance_s2) || variance_s2 <= 0) return 0xffff;
  double v = std::round(std::log2(variance_s2) * 256.0) + 0x8000;
  if (v < 0) return 0;
  if (v > 0xffff) return 0xffff;
  return static_cast<std::uint16_t>(v);
}

}  // namespace nanotime::discipline
