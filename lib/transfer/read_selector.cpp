#include "transfer/read_selector.hpp"

#include <algorithm>
#include <vector>

namespace nanotime::transfer {

std::optional<double> ReadSelector::usual_width_ns() const {
  if (widths_.size() < kWarmup) return std::nullopt;
  std::vector<std::int64_t> sorted(widths_.begin(), widths_.end());
  const auto mid = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
  std::nth_element(sorted.begin(), mid, sorted.end());
  return static_cast<double>(*mid);
}

std::optional<double> ReadSelector::slow_threshold_ns() const {
  const auto usual = usual_width_ns();
  if (!usual) return std::nullopt;
  return *usual + std::max(config_.slow_margin_ns, config_.slow_margin_fraction * *usual);
}

std::optional<Bracket> ReadSelector::select(std::span<const Bracket> reads) {
  ++counters_.requests;
  std::optional<Bracket> best;
  for (const Bracket& r : reads) {
    ++counters_.reads;
    if (r.width_ns() < 0) {
      ++counters_.invalid_reads;
      continue;
    }
    if (!best || r.width_ns() < best->width_ns()) best = r;
  }
  if (!best) return std::nullopt;
  if (const auto limit = slow_threshold_ns();
      limit && static_cast<double>(best->width_ns()) > *limit) {
    if (++slow_in_a_row_ < kRelearnAfter) {
      ++counters_.slow_rejected;
      return std::nullopt;  // not learnt from: a few slow reads must not become usual
    }
    widths_.clear();
    ++counters_.relearned;
  }
  slow_in_a_row_ = 0;
  widths_.push_back(best->width_ns());
  if (widths_.size() > kHistory) widths_.pop_front();
  return best;
}

}  // namespace nanotime::transfer
