#pragma once
// When phc-pps-sync asks chronyd (pure, monotonic ns, tested in virtual time):
//   - a query starts every `interval_ns` on a fixed grid (a slow answer does not shift it);
//   - at most one query runs; one still running `timeout_ns` after its start is abandoned
//     (the caller kills chronyc) and counts as "could not ask";
//   - a grid slot that falls while a query runs is skipped, not queued.
// And the log line for "chronyd cannot be asked": the first failure, then at most one reminder
// per `log_every_ns` while it lasts, and one line when chronyd answers again.

#include <cstdint>
#include <optional>
#include <string>

namespace nanotime::chrony {

class QuerySchedule {
 public:
  QuerySchedule(std::int64_t first_ns, std::int64_t interval_ns, std::int64_t timeout_ns);

  // The next instant the caller must act: the running query's time limit, else the next start.
  std::int64_t next_deadline_ns() const;
  bool running() const { return running_; }
  // True when a query should start now (it is then marked running).
  bool start_due(std::int64_t now_ns);
  // True when the running query has passed its time limit (it is then no longer running).
  bool timed_out(std::int64_t now_ns);
  void finished();

 private:
  std::int64_t next_start_ns_;
  std::int64_t interval_ns_;
  std::int64_t timeout_ns_;
  std::int64_t started_ns_ = 0;
  bool running_ = false;
};

class ReachLog {
 public:
  explicit ReachLog(std::int64_t log_every_ns) : every_ns_(log_every_ns) {}
  // The line to log after a query (nullopt: nothing). `why` says what went wrong.
  std::optional<std::string> on_result(bool reachable, std::int64_t now_ns, const std::string& why);

 private:
  std::int64_t every_ns_;
  bool failing_ = false;
  std::int64_t last_log_ns_ = 0;
  std::uint64_t failures_ = 0;
};

}  // namespace nanotime::chrony
