#pragma once
// The host's clocks, read in one place. The event loop reads time only through shell::Clock,
// so its timer and deadline logic runs on a fake clock in the tests.

#include <cstdint>

namespace nanotime::shell {

std::int64_t host_mono_ns();      // CLOCK_MONOTONIC
std::int64_t host_realtime_ns();  // CLOCK_REALTIME (the system clock)
// Unix seconds: the axis of the status histories and of /status "time_s".
double unix_now_s();

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t mono_ns() = 0;
};

class HostClock final : public Clock {
 public:
  std::int64_t mono_ns() override { return host_mono_ns(); }
};

}  // namespace nanotime::shell
