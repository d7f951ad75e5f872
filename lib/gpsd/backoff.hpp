#pragma once
// Reconnect delays: 1 s, 2 s, 4 s ... capped at 30 s; back to 1 s once a connection has proved
// itself (delivered a report). Pure: the caller passes monotonic nanoseconds.

#include <cstdint>

#include "util/units.hpp"

namespace nanotime::gpsd {

class Backoff {
 public:
  static constexpr std::int64_t kMinDelayNs = util::kNsPerS;
  static constexpr std::int64_t kMaxDelayNs = 30 * util::kNsPerS;

  // A connection attempt failed, or a connection was lost, at `now_ns`.
  void failed(std::int64_t now_ns) {
    next_attempt_ns_ = now_ns + delay_ns_;
    delay_ns_ = delay_ns_ * 2 > kMaxDelayNs ? kMaxDelayNs : delay_ns_ * 2;
  }
  // The connection works: the next failure waits the minimum again.
  void succeeded() { delay_ns_ = kMinDelayNs; }

  bool due(std::int64_t now_ns) const { return now_ns >= next_attempt_ns_; }
  std::int64_t next_attempt_ns() const { return next_attempt_ns_; }
  std::int64_t current_delay_ns() const { return delay_ns_; }

 private:
  std::int64_t delay_ns_ = kMinDelayNs;
  std::int64_t next_attempt_ns_ = 0;  // the first attempt is immediate
};

}  // namespace nanotime::gpsd
