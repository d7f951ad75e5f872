#include "shell/clock.hpp"

#include <ctime>

namespace nanotime::shell {
namespace {

std::int64_t read_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

std::int64_t host_mono_ns() { return read_ns(CLOCK_MONOTONIC); }
std::int64_t host_realtime_ns() { return read_ns(CLOCK_REALTIME); }

double unix_now_s() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace nanotime::shell
