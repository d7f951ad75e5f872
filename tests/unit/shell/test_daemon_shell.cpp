// DaemonShell: sd_notify messages, the watchdog and signals, in virtual time. Signals are real:
// the shell blocks them and reads a signalfd, so raise() only makes that fd readable.
#include "shell/daemon_shell.hpp"

#include <csignal>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "virtual_time.hpp"

namespace nanotime::shell {
namespace {

using testing::kMs;
using testing::VirtualTime;
constexpr std::int64_t kS = 1000 * kMs;

class RecordingNotifier final : public Notifier {
 public:
  void notify(const std::string& state) override { sent.push_back(state); }
  std::int64_t watchdog_interval_ns() override { return watchdog_ns; }
  std::vector<std::string> sent;
  std::int64_t watchdog_ns = 0;

  int count(const std::string& state) const {
    return static_cast<int>(std::count(sent.begin(), sent.end(), state));
  }
};

TEST_CASE("READY carries the first status; the watchdog is fed at half its interval",
          "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  RecordingNotifier n;
  n.watchdog_ns = 10 * kS;
  DaemonShell shell(loop, n, {});
  shell.ready("starting");
  REQUIRE(n.sent == std::vector<std::string>{"READY=1\nSTATUS=starting"});
  while (vt.clock.now_ns <= 25 * kS) loop.run_once();
  CHECK(n.count("WATCHDOG=1") == 5);  // at 5, 10, 15, 20 and 25 s
}

TEST_CASE("no watchdog messages when the unit has no WatchdogSec", "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  RecordingNotifier n;
  DaemonShell shell(loop, n, {});
  shell.ready("starting");
  while (vt.clock.now_ns < 60 * kS) loop.run_once();
  CHECK(n.count("WATCHDOG=1") == 0);
}

TEST_CASE("STATUS= only when the key changes, or when the refresh period has passed",
          "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  RecordingNotifier n;

  SECTION("no refresh period: changes only") {
    DaemonShell shell(loop, n, {});
    shell.ready("acquiring");
    shell.set_status("acquiring", 1 * kS);
    shell.set_status("tracking", 2 * kS);
    shell.set_status("tracking", 500 * kS);
    CHECK(n.sent == std::vector<std::string>{"READY=1\nSTATUS=acquiring", "STATUS=tracking"});
  }
  SECTION("a key without the live figure, refreshed every 10 s") {
    DaemonShell shell(loop, n, {}, ShellOptions{.status_refresh_ns = 10 * kS});
    shell.set_status("tracking", "tracking, +3 ns", 0);
    shell.set_status("tracking", "tracking, +4 ns", 5 * kS);   // same key, too soon
    shell.set_status("tracking", "tracking, +5 ns", 10 * kS);  // refresh due
    shell.set_status("holdover", "holdover, +6 ns", 11 * kS);  // key changed
    shell.set_status("holdover", "holdover, +7 ns", 12 * kS);
    CHECK(n.sent == std::vector<std::string>{"STATUS=tracking, +3 ns", "STATUS=tracking, +5 ns",
                                             "STATUS=holdover, +6 ns"});
  }
}

TEST_CASE("SIGHUP reloads between RELOADING=1 and READY=1; SIGTERM stops the loop",
          "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  RecordingNotifier n;
  std::vector<std::string> sent_at_reload;
  DaemonShell shell(loop, n, [&] { sent_at_reload = n.sent; });

  REQUIRE(raise(SIGHUP) == 0);
  loop.run_once();
  CHECK(sent_at_reload == std::vector<std::string>{"RELOADING=1"});
  CHECK(n.sent == std::vector<std::string>{"RELOADING=1", "READY=1"});
  CHECK_FALSE(loop.stopping());

  REQUIRE(raise(SIGTERM) == 0);
  loop.run();  // returns only because the signal stopped it
  CHECK(loop.stopping());
  shell.stopping("stopping: bye");
  CHECK(n.sent.back() == "STOPPING=1\nSTATUS=stopping: bye");
}

}  // namespace
}  // namespace nanotime::shell
