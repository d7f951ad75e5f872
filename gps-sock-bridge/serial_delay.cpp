#include "serial_delay.hpp"

#include <algorithm>
#include <vector>

#include "offset_gate.hpp"
#include "util/units.hpp"

namespace nanotime::bridge {
namespace {
using util::kNsPerS;
constexpr std::size_t kUnpairedKept = 4;

// Floor division: the GNSS second a report's `real` falls in.
std::int64_t second_of(std::int64_t ns) {
  return ns >= 0 ? ns / kNsPerS : -((-ns + kNsPerS - 1) / kNsPerS);
}
}  // namespace

SerialDelayEstimator::SerialDelayEstimator(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)) {}

bool SerialDelayEstimator::pair(std::deque<Stamp>& mine, std::deque<Stamp>& other,
                                std::int64_t second, std::int64_t clock_ns, bool mine_is_time) {
  const auto it = std::find_if(other.begin(), other.end(),
                               [&](const Stamp& s) { return s.first == second; });
  if (it == other.end()) {
    mine.emplace_back(second, clock_ns);
    while (mine.size() > kUnpairedKept) mine.pop_front();
    return false;
  }
  const std::int64_t time_clock = mine_is_time ? clock_ns : it->second;
  const std::int64_t pulse_clock = mine_is_time ? it->second : clock_ns;
  other.erase(it);
  const std::int64_t delay = time_clock - pulse_clock;
  if (delay < 0 || delay >= kNsPerS) return false;
  delays_.push_back(static_cast<double>(delay));
  while (delays_.size() > capacity_) delays_.pop_front();
  return true;
}

bool SerialDelayEstimator::add_time(std::int64_t real_ns, std::int64_t clock_ns) {
  return pair(times_, pulses_, second_of(real_ns), clock_ns, true);
}

bool SerialDelayEstimator::add_pulse(std::int64_t real_ns, std::int64_t clock_ns) {
  return pair(pulses_, times_, second_of(real_ns), clock_ns, false);
}

std::optional<double> SerialDelayEstimator::estimate_ns() const {
  if (delays_.size() < kMinPairs) return std::nullopt;
  return median_of(std::vector<double>(delays_.begin(), delays_.end()));
}

}  // namespace nanotime::bridge
