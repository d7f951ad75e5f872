#include "chrony/query_schedule.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace nanotime::chrony {

QuerySchedule::QuerySchedule(std::int64_t first_ns, std::int64_t interval_ns, std::int64_t timeout_ns)
    : next_start_ns_(first_ns), interval_ns_(std::max<std::int64_t>(interval_ns, 1)),
      timeout_ns_(timeout_ns) {}

std::int64_t QuerySchedule::next_deadline_ns() const {
  return running_ ? started_ns_ + timeout_ns_ : next_start_ns_;
}

bool QuerySchedule::start_due(std::int64_t now_ns) {
  if (running_ || now_ns < next_start_ns_) return false;
  // The next slot of the grid after now: late wake-ups and slow answers do not drift it.
  const std::int64_t missed = (now_ns - next_start_ns_) / interval_ns_;
  next_start_ns_ += (missed + 1) * interval_ns_;
  started_ns_ = now_ns;
  running_ = true;
  return true;
}

bool QuerySchedule::timed_out(std::int64_t now_ns) {
  if (!running_ || now_ns < started_ns_ + timeout_ns_) return false;
  running_ = false;
  // Slots that fell while it hung are skipped.
  while (next_start_ns_ <= now_ns) next_start_ns_ += interval_ns_;
  return true;
}

void QuerySchedule::finished() {
  running_ = false;
}

std::optional<std::string> ReachLog::on_result(bool reachable, std::int64_t now_ns,
                                               const std::string& why) {
  if (reachable) {
    if (!failing_) return std::nullopt;
    failing_ = false;
    return fmt::format("chronyd answers again (after {} failed queries)", failures_);
  }
  ++failures_;
  if (!failing_) {
    failing_ = true;
    failures_ = 1;
    last_log_ns_ = now_ns;
    return fmt::format("cannot ask chronyd: {} (nanotime_chronyd_reachable 0; chronyd's other "
                       "metrics absent until it answers)", why);
  }
  if (now_ns - last_log_ns_ < every_ns_) return std::nullopt;
  last_log_ns_ = now_ns;
  return fmt::format("still cannot ask chronyd ({} failed queries): {}", failures_, why);
}

}  // namespace nanotime::chrony
