#include "shell/event_loop.hpp"

#include <algorithm>
#include <stdexcept>
#include <cerrno>
#include <system_error>

namespace nanotime::shell {
namespace {

constexpr std::int64_t kNsPerMs = 1'000'000;

// Ids of a snapshot: callbacks may add or remove entries while we walk them.
template <typename T>
std::vector<EventLoop::Id> ids_of(const std::vector<T>& v) {
  std::vector<EventLoop::Id> ids;
  ids.reserve(v.size());
  for (const auto& e : v) ids.push_back(e.id);
  return ids;
}

template <typename T>
void erase_id(std::vector<T>& v, EventLoop::Id id) {
  std::erase_if(v, [id](const T& e) { return e.id == id; });
}

}  // namespace

EventLoop::EventLoop(Clock& clock, PollFn poll, LoopOptions options)
    : clock_(clock), poll_(std::move(poll)), options_(options) {
  if (!poll_) poll_ = [](pollfd* fds, nfds_t n, int timeout) { return ::poll(fds, n, timeout); };
}

template <typename T>
T* EventLoop::find(std::vector<T>& v, Id id) {
  const auto it = std::find_if(v.begin(), v.end(), [id](const T& e) { return e.id == id; });
  return it == v.end() ? nullptr : &*it;
}

EventLoop::Id EventLoop::watch_fd(int fd, FdCallback on_ready) {
  return watch([fd] { return fd; }, std::move(on_ready));
}

EventLoop::Id EventLoop::watch(FdSource fd, FdCallback on_ready) {
  watchers_.push_back({next_id_, std::move(fd), std::move(on_ready)});
  return next_id_++;
}

void EventLoop::set_fd(Id watcher, int fd) {
  if (Watcher* w = find(watchers_, watcher)) w->fd = [fd] { return fd; };
}

EventLoop::Id EventLoop::add_timer(std::int64_t deadline_mono_ns, TimeCallback on_due) {
  timers_.push_back({next_id_, deadline_mono_ns, 0, std::move(on_due)});
  return next_id_++;
}

EventLoop::Id EventLoop::add_periodic(std::int64_t first_mono_ns, std::int64_t period_ns,
                                      TimeCallback on_due) {
  if (period_ns <= 0) throw std::invalid_argument("EventLoop::add_periodic: period must be > 0");
  timers_.push_back({next_id_, first_mono_ns, period_ns, std::move(on_due)});
  return next_id_++;
}

std::optional<std::int64_t> EventLoop::deadline_of(Id timer) const {
  for (const Timer& t : timers_) {
    if (t.id == timer) return t.deadline_ns;
  }
  return std::nullopt;
}

EventLoop::Id EventLoop::add_wake(DeadlineSource next, TimeCallback on_due) {
  wakes_.push_back({next_id_, std::move(next), std::move(on_due)});
  return next_id_++;
}

EventLoop::Id EventLoop::add_pass_hook(std::function<void()> hook) {
  hooks_.push_back({next_id_, false, [hook = std::move(hook)](std::int64_t) { hook(); }});
  return next_id_++;
}

EventLoop::Id EventLoop::add_pre_poll_hook(TimeCallback hook) {
  hooks_.push_back({next_id_, true, std::move(hook)});
  return next_id_++;
}

void EventLoop::remove(Id id) {
  erase_id(watchers_, id);
  erase_id(timers_, id);
  erase_id(wakes_, id);
  erase_id(hooks_, id);
}

void EventLoop::run_once() {
  run_hooks(false, 0);  // pass hooks do not get a time: they run before it is read
  const std::int64_t now = clock_.mono_ns();
  run_due_wakes(now);
  run_due_timers(now);
  if (stop_) return;
  run_hooks(true, now);
  if (stop_) return;
  poll_and_dispatch(timeout_ms(clock_.mono_ns()));
}

void EventLoop::run_hooks(bool before_poll, std::int64_t now) {
  for (const Id id : ids_of(hooks_)) {
    Hook* h = find(hooks_, id);
    if (h == nullptr || h->before_poll != before_poll) continue;
    const TimeCallback run = h->run;  // a copy: the hook may remove itself
    run(now);
  }
}

void EventLoop::run_due_wakes(std::int64_t now) {
  for (const Id id : ids_of(wakes_)) {
    Wake* w = find(wakes_, id);
    if (w == nullptr || !w->on_due || stop_) continue;
    const auto due = w->next();
    if (!due || now < *due) continue;
    const TimeCallback on_due = w->on_due;  // a copy: the callback may remove its wake
    on_due(now);
  }
}

// The earliest due timer first, again and again: a callback may add, move or remove timers.
void EventLoop::run_due_timers(std::int64_t now) {
  while (!stop_) {
    Timer* next = nullptr;
    for (Timer& t : timers_) {
      if (t.deadline_ns <= now && (next == nullptr || t.deadline_ns < next->deadline_ns)) next = &t;
    }
    if (next == nullptr) return;
    const TimeCallback on_due = next->on_due;
    if (next->period_ns == 0) {
      erase_id(timers_, next->id);
    } else {
      // Next grid point after now: late by several periods still fires only once.
      const std::int64_t missed = (now - next->deadline_ns) / next->period_ns;
      next->deadline_ns += (missed + 1) * next->period_ns;
    }
    on_due(now);
  }
}

std::optional<std::int64_t> EventLoop::nearest_deadline() const {
  std::optional<std::int64_t> nearest;
  const auto consider = [&nearest](std::int64_t d) { nearest = nearest ? std::min(*nearest, d) : d; };
  for (const Timer& t : timers_) consider(t.deadline_ns);
  for (const Wake& w : wakes_) {
    if (const auto d = w.next()) consider(*d);
  }
  return nearest;
}

// Rounded up: waking a little after a deadline is fine, a little before costs another pass.
int EventLoop::timeout_ms(std::int64_t now) const {
  std::int64_t wait_ns = options_.max_wait_ns;
  if (const auto d = nearest_deadline()) wait_ns = std::clamp<std::int64_t>(*d - now, 0, wait_ns);
  return static_cast<int>((wait_ns + kNsPerMs - 1) / kNsPerMs);
}

void EventLoop::poll_and_dispatch(int timeout_ms) {
  std::vector<pollfd> fds;
  std::vector<Id> owners;
  for (const Watcher& w : watchers_) {
    const int fd = w.fd();
    if (fd < 0) continue;
    fds.push_back({fd, POLLIN, 0});
    owners.push_back(w.id);
  }
  last_timeout_ms_ = timeout_ms;
  const int n = poll_(fds.data(), static_cast<nfds_t>(fds.size()), timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return;
    throw std::system_error(errno, std::generic_category(), "poll");
  }
  const std::uint64_t generation = generation_;
  for (std::size_t i = 0; i < fds.size() && n > 0; ++i) {
    if (fds[i].revents == 0) continue;
    if (stop_ || generation_ != generation) return;
    Watcher* w = find(watchers_, owners[i]);
    // Removed, or now pointing at another fd: this readiness is not its.
    if (w == nullptr || w->fd() != fds[i].fd) continue;
    const FdCallback on_ready = w->on_ready;
    on_ready(fds[i].revents);
  }
}

}  // namespace nanotime::shell
