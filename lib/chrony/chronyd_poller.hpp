#pragma once
// Asks chronyd what it thinks, every `interval_ns`, without blocking the daemon's event loop:
// one batch chronyc (tracking + sources) per query, its stdout watched by the loop, killed at
// the time limit. Each finished query hands a ChronydView to `on_view` (reachable false when
// chronyc could not be started, printed nothing usable, or ran out of time) and logs, rate
// limited, when chronyd cannot be asked.
//
// Why chronyc and not chronyd's UDP command protocol: the same parser as nanotime-status, and
// chronyc negotiates the protocol version and picks the transport itself (the Unix socket when
// it may, else UDP 323 on loopback, which is what the hardened unit allows), at the cost of
// one short-lived process per query.
//
// The loop drives it: watch fd() (may change per query), wake at next_deadline_ns() and call
// on_due(); call on_readable() when fd() is ready. Time only comes in as arguments.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chrony/chronyc_process.hpp"
#include "chrony/chronyd_view.hpp"
#include "chrony/query_schedule.hpp"

namespace nanotime::chrony {

struct PollerOptions {
  std::string chronyc = "chronyc";
  std::string command_socket;       // chronyc -h; "" = chronyc's default (socket, then UDP 323)
  std::string phc_refid = "PHC0";
  std::int64_t interval_ns = 16'000'000'000;
  std::int64_t timeout_ns = 5'000'000'000;
  std::int64_t log_every_ns = 3600'000'000'000;
};

// The argv of one query: chronyc -c -n [-h socket] (commands on stdin).
std::vector<std::string> chronyc_argv(const PollerOptions& o);

class ChronydPoller {
 public:
  using Spawn = std::function<std::unique_ptr<Child>(const std::vector<std::string>& argv,
                                                     std::string_view input)>;
  using OnView = std::function<void(const ChronydView&)>;
  using LogFn = std::function<void(const std::string&)>;

  // The first query starts at now_ns. `spawn` empty: the real chronyc; `log` empty: log::warning.
  ChronydPoller(PollerOptions options, std::int64_t now_ns, OnView on_view, Spawn spawn = {},
                LogFn log = {});

  int fd() const { return child_ ? child_->fd() : -1; }
  std::int64_t next_deadline_ns() const { return schedule_.next_deadline_ns(); }
  void on_due(std::int64_t now_ns);
  void on_readable(std::int64_t now_ns);

 private:
  void start(std::int64_t now_ns);
  void finish(std::int64_t now_ns, const std::string& why_if_unreachable);

  PollerOptions options_;
  OnView on_view_;
  Spawn spawn_;
  LogFn log_;
  QuerySchedule schedule_;
  ReachLog reach_log_;
  std::unique_ptr<Child> child_;
  std::string output_;
};

}  // namespace nanotime::chrony
