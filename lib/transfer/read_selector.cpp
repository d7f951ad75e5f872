#include "transfer/read_selector.hpp"

#include <algorithm>
#include <vector>

namespace nanotime::transfer {

std::optional<double> ReadSelector::usual_width_ns() const {
  if (sorted_.size() < kWarmup) return std::nullopt;
  return static_cast<double>(sorted_[sorted_.size() / 2]);
}

std::optional<double> ReadSelector::slow_threshold_ns() const {
  const auto usual = usual_width_ns();
  if (!usual) return std::nullopt;
  return *usual + std::max(config_.slow_margin_ns, config_.slow_margin_fraction * *usual);
}

void ReadSelector::remember(std::int64_t width_ns) {
  // The same widths in arrival order (to forget the oldest) and sorted (for the median): a
  // select per pulse must cost little, a simulated day runs 86 400 of them.
  widths_.push_back(width_ns);
  sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), width_ns), width_ns);
  if (widths_.size() <= kHistory) return;
  sorted_.erase(std::lower_bound(sorted_.begin(), sorted_.end(), widths_.front()));
  widths_.pop_front();
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
    sorted_.clear();
    ++counters_.relearned;
  }
  slow_in_a_row_ = 0;
  remember(best->width_ns());
  return best;
}

}  // namespace nanotime::transfer
