#pragma once
// What frequency adjustment was in force when: lets a servo separate the PHC's own drift from
// the drift it commanded, even though a new frequency takes effect some time after the edge
// it was computed from (EXTTS is delivered up to 250 ms late on CM4).

#include <cstdint>
#include <deque>

namespace nanotime::servo {

class ControlLog {
 public:
  explicit ControlLog(double initial_ppb = 0) { changes_.push_back({INT64_MIN, initial_ppb}); }

  void set(double freq_ppb, std::int64_t at_ns) {
    while (changes_.size() > 1 && changes_.back().at_ns >= at_ns) changes_.pop_back();
    if (changes_.back().at_ns >= at_ns) changes_.back().freq_ppb = freq_ppb;
    else changes_.push_back({at_ns, freq_ppb});
    // Keep a bounded history: integrals are only asked over the last few pulse intervals.
    while (changes_.size() > 64) changes_.pop_front();
  }

  double current_ppb() const { return changes_.back().freq_ppb; }
  double at(std::int64_t t_ns) const {
    double f = changes_.front().freq_ppb;
    for (const auto& c : changes_) {
      if (c.at_ns > t_ns) break;
      f = c.freq_ppb;
    }
    return f;
  }

  // Phase (ns) added by the adjustments over [from_ns, to_ns] (negative if to < from).
  double integral_ns(std::int64_t from_ns, std::int64_t to_ns) const {
    if (to_ns < from_ns) return -integral_ns(to_ns, from_ns);
    double sum = 0;
    for (std::size_t i = 0; i < changes_.size(); ++i) {
      std::int64_t start = changes_[i].at_ns;
      std::int64_t end = i + 1 < changes_.size() ? changes_[i + 1].at_ns : INT64_MAX;
      std::int64_t a = start > from_ns ? start : from_ns;
      std::int64_t b = end < to_ns ? end : to_ns;
      if (b > a) sum += changes_[i].freq_ppb * static_cast<double>(b - a) * 1e-9;
    }
    return sum;
  }

 private:
  struct Change {
    std::int64_t at_ns;
    double freq_ppb;
  };
  std::deque<Change> changes_;
};

}  // namespace nanotime::servo
