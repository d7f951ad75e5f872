#pragma once
// Virtual time for EventLoop tests: a fake clock, and a poll() that asks the kernel about the
// real fds without waiting, then "sleeps" by moving the fake clock forward by the timeout.

#include <poll.h>

#include <cstdint>
#include <vector>

#include "shell/clock.hpp"
#include "shell/event_loop.hpp"

namespace nanotime::shell::testing {

constexpr std::int64_t kMs = 1'000'000;

class FakeClock final : public Clock {
 public:
  std::int64_t mono_ns() override { return now_ns; }
  std::int64_t now_ns = 0;
};

struct VirtualTime {
  FakeClock clock;
  std::vector<int> timeouts_ms;  // every poll()'s timeout
  std::int64_t oversleep_ns = 0; // added once to the next sleep: a late wake-up

  PollFn poll() {
    return [this](pollfd* fds, nfds_t n, int timeout_ms) {
      timeouts_ms.push_back(timeout_ms);
      const int ready = ::poll(fds, n, 0);
      if (ready == 0) clock.now_ns += timeout_ms * kMs + oversleep_ns;
      oversleep_ns = 0;
      return ready;
    };
  }
};

}  // namespace nanotime::shell::testing
