#pragma once
// SerialDelayEstimator: how long after the PPS edge the serial time message arrives.
//
// gpsd reports the edge of GNSS second S (PPS: real = S, clock = system time of the edge) and
// the serial message for the same second (TOFF: real = S, clock = system time of arrival).
// For each second seen in both, delay = TOFF.clock − PPS.clock: both are system-clock times
// taken within a second of each other, so the system clock's own error cancels. The estimate is
// the median of the last `capacity` delays (robust to a late message or a lost pulse); pairs
// outside [0, 1) s are not delays and are dropped. Reports may come in either order.
// Pure: no clock, no I/O.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

namespace nanotime::bridge {

class SerialDelayEstimator {
 public:
  static constexpr std::size_t kDefaultCapacity = 64;
  static constexpr std::size_t kMinPairs = 5;  // no estimate from fewer pairs

  explicit SerialDelayEstimator(std::size_t capacity = kDefaultCapacity);

  // Returns true when the report completed a pair.
  bool add_time(std::int64_t real_ns, std::int64_t clock_ns);
  bool add_pulse(std::int64_t real_ns, std::int64_t clock_ns);

  // Median delay in ns once kMinPairs pairs were seen.
  std::optional<double> estimate_ns() const;
  std::size_t pairs() const { return delays_.size(); }

 private:
  using Stamp = std::pair<std::int64_t, std::int64_t>;  // (GNSS second, system clock ns)
  bool pair(std::deque<Stamp>& mine, std::deque<Stamp>& other, std::int64_t second,
            std::int64_t clock_ns, bool mine_is_time);

  std::size_t capacity_;
  std::deque<Stamp> times_;   // unpaired TOFF reports (a few seconds)
  std::deque<Stamp> pulses_;  // unpaired PPS reports
  std::deque<double> delays_;
};

}  // namespace nanotime::bridge
