#include "offset_gate.hpp"

#include <algorithm>
#include <cmath>

namespace nanotime::bridge {

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

OffsetGate::OffsetGate(double tolerance_ns, std::size_t confirm, std::size_t window)
    : tolerance_ns_(tolerance_ns),
      confirm_(std::max<std::size_t>(confirm, 1)),
      window_size_(std::max<std::size_t>(window, 1)) {}

void OffsetGate::reset() {
  window_.clear();
  run_.clear();
}

double OffsetGate::median_ns() const {
  return median_of(std::vector<double>(window_.begin(), window_.end()));
}

bool OffsetGate::extend_run(double offset_ns) {
  if (!run_.empty() && std::fabs(offset_ns - median_of(run_)) > tolerance_ns_) run_.clear();
  run_.push_back(offset_ns);
  return run_.size() >= confirm_;
}

GateVerdict OffsetGate::submit(double offset_ns) {
  if (!std::isfinite(offset_ns)) return GateVerdict::held;
  if (!window_.empty() && std::fabs(offset_ns - median_ns()) <= tolerance_ns_) {
    window_.push_back(offset_ns);
    while (window_.size() > window_size_) window_.pop_front();
    run_.clear();
    return GateVerdict::pass;
  }
  if (!extend_run(offset_ns)) return GateVerdict::held;
  // A confirmed new level: start the window afresh from the run that proved it.
  window_.assign(run_.begin(), run_.end());
  while (window_.size() > window_size_) window_.pop_front();
  run_.clear();
  return GateVerdict::confirmed;
}

}  // namespace nanotime::bridge
