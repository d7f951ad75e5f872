// refclock-feed: a test tool that feeds chronyd through the project's own writers.
//
//   refclock-feed sock --path P --mode time|pulse --offset-ns D [--leap normal|insert|delete]
//                      [--rate-hz 1..16] [--duration-s S] [--status-every N] [--wrong-sign]
//   refclock-feed shm  --unit N --perm 0666 --offset-ns D [...same timing options...]
//
// D is always the claim "true − system = D" (D > 0: the system clock is behind).
//   sock time:  every 1/rate s, send_time(now, D).
//   sock pulse: an edge at every multiple of 1/rate s of TRUE time (true = system + D), sent
//               just after it with system − true = −D, as a PPS driver would report it.
//               --wrong-sign sends +D instead, so a test can show it tells the difference.
//   shm:        every 1/rate s, reference time = now + D, receive time = now.
// Counters go to stdout ("sent=.. not_delivered=.." or "written=..") every N samples and at
// exit, so a test can watch samples being dropped while chronyd is down.

#include <fmt/format.h>
#include <signal.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include "log/log.hpp"
#include "refclock/shm_writer.hpp"
#include "refclock/sock_writer.hpp"

using namespace nanotime;
using namespace nanotime::refclock;

namespace {

volatile sig_atomic_t g_stop = 0;
extern "C" void on_signal(int) { g_stop = 1; }

std::int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void sleep_ns(std::int64_t ns) {
  if (ns > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(ns));
}

// Floor division for the edge arithmetic (times may in principle be negative).
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

struct Timing {
  int rate_hz = 1;
  double duration_s = 0;  // 0: until SIGTERM/SIGINT
  int status_every = 1;
};

// Calls `once()` at `rate_hz` until the duration is over or a signal arrives. `once` returns
// the counters line to print.
template <typename Once>
void run_loop(const Timing& t, Once&& once) {
  const std::int64_t period_ns = 1'000'000'000 / t.rate_hz;
  const std::int64_t end =
      t.duration_s > 0 ? monotonic_ns() + static_cast<std::int64_t>(t.duration_s * 1e9) : INT64_MAX;
  std::uint64_t n = 0;
  std::string line;
  while (g_stop == 0 && monotonic_ns() < end) {
    line = once(period_ns);
    if (++n % static_cast<std::uint64_t>(t.status_every) == 0) {
      fmt::print("{}\n", line);
      std::fflush(stdout);
    }
  }
  fmt::print("final {}\n", line);
  std::fflush(stdout);
}

std::string counters_line(const SockWriter& w) {
  return fmt::format("sent={} not_delivered={} connected={}", w.counters().sent,
                     w.counters().not_delivered, w.connected() ? 1 : 0);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Feed chronyd SOCK / SHM refclock samples with a chosen offset (test tool)"};
  app.require_subcommand(1);

  const std::map<std::string, Leap> leaps{
      {"normal", Leap::normal}, {"insert", Leap::insert}, {"delete", Leap::del}};
  Leap leap = Leap::normal;
  double offset_ns = 0;
  Timing timing;
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("--offset-ns", offset_ns, "claimed true − system, ns")->required();
    sub->add_option("--leap", leap, "leap indicator")
        ->transform(CLI::CheckedTransformer(leaps, CLI::ignore_case));
    sub->add_option("--rate-hz", timing.rate_hz, "samples (or pulses) per second")
        ->check(CLI::Range(1, 16));
    sub->add_option("--duration-s", timing.duration_s, "stop after this long (0: on SIGTERM)")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--status-every", timing.status_every, "print counters every N samples")
        ->check(CLI::Range(1, 1000000));
  };

  CLI::App* sock = app.add_subcommand("sock", "chrony SOCK refclock");
  std::string path;
  std::string mode = "time";
  std::string name = "feed";
  bool wrong_sign = false;
  sock->add_option("--path", path, "chronyd's socket (refclock SOCK path)")->required();
  sock->add_option("--mode", mode, "time: full time samples; pulse: PPS edges")
      ->check(CLI::IsMember({"time", "pulse"}));
  sock->add_option("--name", name, "name for log messages");
  sock->add_flag("--wrong-sign", wrong_sign, "pulse mode: send true − system (the WRONG sign)");
  add_common(sock);

  CLI::App* shm = app.add_subcommand("shm", "NTP SHM refclock");
  int unit = 2;
  std::string perm_text = "0600";
  int precision = -20;
  shm->add_option("--unit", unit, "SHM unit (key 0x4e545030 + unit)")->check(CLI::Range(0, 255));
  shm->add_option("--perm", perm_text, "octal mode to create the segment with / expect");
  shm->add_option("--precision", precision, "log2 seconds");
  add_common(shm);

  CLI11_PARSE(app, argc, argv);

  log::Options lo;
  lo.program = "refclock-feed";
  log::configure(lo);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);

  try {
    if (*sock) {
      SockWriter w(path, name);
      if (mode == "time") {
        run_loop(timing, [&](std::int64_t period_ns) {
          w.send_time(realtime_ns(), offset_ns, leap);
          sleep_ns(period_ns);
          return counters_line(w);
        });
      } else {
        const auto d = static_cast<std::int64_t>(offset_ns);
        run_loop(timing, [&](std::int64_t period_ns) {
          // Next edge of TRUE time after now, and the system time at which it happens.
          const std::int64_t true_now = realtime_ns() + d;
          const std::int64_t edge_true = (floor_div(true_now, period_ns) + 1) * period_ns;
          const std::int64_t edge_system = edge_true - d;
          sleep_ns(edge_system - realtime_ns());
          const double system_minus_true = static_cast<double>(edge_system - edge_true);
          w.send_pulse(edge_system, wrong_sign ? -system_minus_true : system_minus_true, leap);
          return counters_line(w);
        });
      }
    } else {
      const int perm = std::stoi(perm_text, nullptr, 8);
      ShmWriter w(unit, perm, precision);
      const auto d = static_cast<std::int64_t>(offset_ns);
      run_loop(timing, [&](std::int64_t period_ns) {
        const std::int64_t now = realtime_ns();
        w.write({now + d, now, leap});
        sleep_ns(period_ns);
        return fmt::format("written={}", w.written());
      });
    }
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return 1;
  }
  return 0;
}
