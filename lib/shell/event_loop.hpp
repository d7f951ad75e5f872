#pragma once
// One poll() loop for a daemon, after chrony's sched.c: fd watchers, timers by monotonic
// deadline (one-shot and periodic), wake providers (someone else's next deadline, e.g. a gpsd
// reconnect or the HTTP server's timeouts) and a stop flag.
//
// One pass (run_once):
//   1. pass hooks (e.g. a simulation catching up with the host clock);
//   2. the clock is read once: `now`;
//   3. due wake providers (deadline <= now) get on_due(now), in the order they were added;
//   4. due timers fire in deadline order (ties: the order they were added);
//   5. pre-poll hooks get now (e.g. flushing what this pass's callbacks queued);
//   6. poll() waits until the nearest deadline (at most max_wait_ns) or an fd is ready;
//   7. ready watchers' callbacks run, in the order they were added.
// Time is read only through the injected Clock and poll() is injected too, so the tests run
// this in virtual time. Callbacks may add and remove anything, and throw (run() passes it on).

#include <poll.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "shell/clock.hpp"

namespace nanotime::shell {

using PollFn = std::function<int(pollfd* fds, nfds_t count, int timeout_ms)>;

struct LoopOptions {
  // Longest poll() wait: a bound on how stale a forgotten deadline can get.
  std::int64_t max_wait_ns = 1'000'000'000;
};

class EventLoop {
 public:
  using Id = std::uint64_t;                              // watchers, timers, wakes, hooks
  using FdSource = std::function<int()>;                 // the fd to poll now; < 0: none
  using FdCallback = std::function<void(short revents)>;
  using TimeCallback = std::function<void(std::int64_t now_mono_ns)>;
  using DeadlineSource = std::function<std::optional<std::int64_t>()>;

  // `poll` empty: ::poll.
  explicit EventLoop(Clock& clock, PollFn poll = {}, LoopOptions options = {});
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Calls `on_ready` when `fd` has events (POLLIN, or an error/hang-up).
  Id watch_fd(int fd, FdCallback on_ready);
  // The same for an fd that changes (a client reconnecting, an object a reload replaces): the
  // source is asked on every pass.
  Id watch(FdSource fd, FdCallback on_ready);
  // Points a watch_fd() watcher at another fd (a reload replaced the socket).
  void set_fd(Id watcher, int fd);

  Id add_timer(std::int64_t deadline_mono_ns, TimeCallback on_due);  // one-shot
  // Fires at first, first + period, first + 2 period, ...: the grid does not drift with late
  // wake-ups, and a wake-up that missed several deadlines fires once (no burst).
  Id add_periodic(std::int64_t first_mono_ns, std::int64_t period_ns, TimeCallback on_due);
  std::optional<std::int64_t> deadline_of(Id timer) const;

  // `next` says when `on_due` wants to run (nullopt: not now); the loop wakes for it. An empty
  // `on_due` only wakes the loop (for work a pass hook or a watcher does).
  Id add_wake(DeadlineSource next, TimeCallback on_due = {});
  // Runs at the start of every pass, before the clock is read.
  Id add_pass_hook(std::function<void()> hook);
  // Runs on every pass after the due work, just before poll().
  Id add_pre_poll_hook(TimeCallback hook);

  // Removes a watcher, timer, wake or hook; it is never called again, even later in the pass
  // that removes it. Unknown ids are ignored.
  void remove(Id id);

  // Readiness gathered by this pass's poll() is stale (a reload replaced sockets): the rest of
  // the pass's fd callbacks are skipped; the next poll() reports them afresh.
  void refresh() { ++generation_; }

  void stop() { stop_ = true; }
  bool stopping() const { return stop_; }

  std::int64_t now_ns() { return clock_.mono_ns(); }
  void run_once();
  void run() {
    while (!stop_) run_once();
  }

  // The timeout the last poll() was given (tests, diagnostics).
  int last_timeout_ms() const { return last_timeout_ms_; }

 private:
  struct Watcher {
    Id id;
    FdSource fd;
    FdCallback on_ready;
  };
  struct Timer {
    Id id;
    std::int64_t deadline_ns;
    std::int64_t period_ns;  // 0: one-shot
    TimeCallback on_due;
  };
  struct Wake {
    Id id;
    DeadlineSource next;
    TimeCallback on_due;
  };
  struct Hook {
    Id id;
    bool before_poll;  // false: at the start of the pass
    TimeCallback run;
  };

  void run_hooks(bool before_poll, std::int64_t now);
  void run_due_wakes(std::int64_t now);
  void run_due_timers(std::int64_t now);
  std::optional<std::int64_t> nearest_deadline() const;
  int timeout_ms(std::int64_t now) const;
  void poll_and_dispatch(int timeout_ms);
  template <typename T>
  static T* find(std::vector<T>& v, Id id);

  Clock& clock_;
  PollFn poll_;
  LoopOptions options_;
  Id next_id_ = 1;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
  int last_timeout_ms_ = -1;
  std::vector<Watcher> watchers_;
  std::vector<Timer> timers_;
  std::vector<Wake> wakes_;
  std::vector<Hook> hooks_;
};

}  // namespace nanotime::shell
