// EventLoop in virtual time: a fake clock, and real pipes polled without waiting.
#include "shell/event_loop.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/fd.hpp"
#include "virtual_time.hpp"

namespace nanotime::shell {
namespace {

using testing::kMs;
using testing::VirtualTime;

// A pipe whose read end is readable once something was written.
struct Pipe {
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
  }
  void make_readable() const { REQUIRE(write(write_end.get(), "x", 1) == 1); }
  void drain() const {
    char buf[64];
    while (read(read_end.get(), buf, sizeof buf) > 0) {
    }
  }
  util::Fd read_end;
  util::Fd write_end;
};

TEST_CASE("timers fire in deadline order, each at its deadline", "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  std::vector<std::pair<std::string, std::int64_t>> fired;
  const auto record = [&](std::string name) {
    return [&fired, name](std::int64_t now) { fired.emplace_back(name, now); };
  };
  loop.add_timer(30 * kMs, record("c"));
  loop.add_timer(10 * kMs, record("a"));
  loop.add_timer(20 * kMs, record("b"));
  for (int i = 0; i < 4; ++i) loop.run_once();
  REQUIRE(fired.size() == 3);
  CHECK(fired[0] == std::pair<std::string, std::int64_t>{"a", 10 * kMs});
  CHECK(fired[1] == std::pair<std::string, std::int64_t>{"b", 20 * kMs});
  CHECK(fired[2] == std::pair<std::string, std::int64_t>{"c", 30 * kMs});
}

TEST_CASE("timers due in the same pass still fire in deadline order", "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  std::vector<int> order;
  loop.add_timer(3 * kMs, [&](std::int64_t) { order.push_back(3); });
  loop.add_timer(1 * kMs, [&](std::int64_t) { order.push_back(1); });
  loop.add_timer(2 * kMs, [&](std::int64_t) { order.push_back(2); });
  vt.clock.now_ns = 50 * kMs;  // the process was not scheduled for a while
  loop.run_once();
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("poll's timeout comes from the nearest deadline", "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());

  SECTION("nothing scheduled: the longest wait") {
    loop.run_once();
    CHECK(loop.last_timeout_ms() == 1000);
  }
  SECTION("a timer 2.5 ms away: rounded up, never early") {
    loop.add_timer(2'500'000, [](std::int64_t) {});
    loop.run_once();
    CHECK(loop.last_timeout_ms() == 3);
  }
  SECTION("a wake provider nearer than the timer wins") {
    loop.add_timer(400 * kMs, [](std::int64_t) {});
    std::optional<std::int64_t> wanted = 7 * kMs;
    loop.add_wake([&] { return wanted; });
    loop.run_once();
    CHECK(loop.last_timeout_ms() == 7);
    wanted.reset();  // the provider no longer wants anything: the timer decides
    loop.run_once();
    CHECK(loop.last_timeout_ms() == 400 - 7);
  }
  SECTION("far deadlines are capped by max_wait_ns") {
    loop.add_timer(60'000 * kMs, [](std::int64_t) {});
    loop.run_once();
    CHECK(loop.last_timeout_ms() == 1000);
  }
  SECTION("a deadline already passed: no wait") {
    vt.clock.now_ns = 10 * kMs;
    loop.add_wake([] { return std::optional<std::int64_t>(5 * kMs); });
    loop.run_once();
    CHECK(loop.last_timeout_ms() == 0);
  }
}

TEST_CASE("a periodic timer keeps its grid: no drift, no burst after a late wake-up",
          "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  std::vector<std::int64_t> fired_ms;
  const auto id = loop.add_periodic(100 * kMs, 100 * kMs,
                                    [&](std::int64_t now) { fired_ms.push_back(now / kMs); });
  for (int i = 0; i < 3; ++i) loop.run_once();  // at 0 (nothing due), 100, 200
  CHECK(fired_ms == std::vector<std::int64_t>{100, 200});

  // The sleep after the 300 ms tick overruns by 3.5 periods: wake at 750 ms, not 400 ms.
  vt.oversleep_ns = 350 * kMs;
  loop.run_once();
  loop.run_once();
  CHECK(fired_ms == std::vector<std::int64_t>{100, 200, 300, 750});  // once, not four times
  CHECK(loop.deadline_of(id) == 800 * kMs);                          // back on the grid
  loop.run_once();
  loop.run_once();
  CHECK(fired_ms == std::vector<std::int64_t>{100, 200, 300, 750, 800, 900});
}

TEST_CASE("a wake provider's callback runs when its deadline has come, not before", "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  std::optional<std::int64_t> next = 20 * kMs;
  std::vector<std::int64_t> calls;
  loop.add_wake([&] { return next; },
                [&](std::int64_t now) {
                  calls.push_back(now);
                  next = now + 50 * kMs;  // like a reconnect back-off
                });
  loop.run_once();  // at 0: sleeps until 20 ms
  CHECK(calls.empty());
  loop.run_once();
  loop.run_once();
  CHECK(calls == std::vector<std::int64_t>{20 * kMs, 70 * kMs});
  CHECK(vt.timeouts_ms == std::vector<int>{20, 50, 50});
}

TEST_CASE("fd watchers are called when their fd is readable, with the events", "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  Pipe p;
  int calls = 0;
  short seen = 0;
  loop.watch_fd(p.read_end.get(), [&](short revents) {
    ++calls;
    seen = revents;
    p.drain();
  });
  loop.run_once();
  CHECK(calls == 0);
  CHECK(vt.clock.now_ns == 1000 * kMs);  // slept the longest wait
  p.make_readable();
  loop.run_once();
  CHECK(calls == 1);
  CHECK((seen & POLLIN) != 0);
  CHECK(vt.clock.now_ns == 1000 * kMs);  // data was ready: no sleep
}

TEST_CASE("a removed watcher is never called, even later in the pass that removed it",
          "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  Pipe a;
  Pipe b;
  int b_calls = 0;
  EventLoop::Id b_id = 0;
  loop.watch_fd(a.read_end.get(), [&](short) {
    a.drain();
    loop.remove(b_id);
  });
  b_id = loop.watch_fd(b.read_end.get(), [&](short) { ++b_calls; });
  a.make_readable();
  b.make_readable();  // both ready in the same poll()
  loop.run_once();
  loop.run_once();
  CHECK(b_calls == 0);
}

TEST_CASE("a removed timer or wake is never called", "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  int calls = 0;
  const auto timer = loop.add_periodic(10 * kMs, 10 * kMs, [&](std::int64_t) { ++calls; });
  const auto wake = loop.add_wake([] { return std::optional<std::int64_t>(0); },
                                  [&](std::int64_t) { ++calls; });
  loop.remove(timer);
  loop.remove(wake);
  for (int i = 0; i < 5; ++i) loop.run_once();
  CHECK(calls == 0);
  CHECK_FALSE(loop.deadline_of(timer));
}

TEST_CASE("a watcher can move to a new fd, and a changing fd source is asked every pass",
          "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  Pipe old_socket;
  Pipe new_socket;
  std::vector<std::string> calls;

  SECTION("set_fd") {
    const auto id = loop.watch_fd(old_socket.read_end.get(), [&](short) {
      calls.emplace_back("cb");
      new_socket.drain();
    });
    loop.set_fd(id, new_socket.read_end.get());
    old_socket.make_readable();  // no longer watched
    loop.run_once();
    CHECK(calls.empty());
    new_socket.make_readable();
    loop.run_once();
    CHECK(calls.size() == 1);
  }
  SECTION("a source that reports -1 while down is not polled") {
    int current = -1;
    loop.watch([&] { return current; }, [&](short) {
      calls.emplace_back("cb");
      new_socket.drain();
    });
    new_socket.make_readable();
    loop.run_once();
    CHECK(calls.empty());
    current = new_socket.read_end.get();  // "connected"
    loop.run_once();
    CHECK(calls.size() == 1);
  }
}

TEST_CASE("readiness of an fd a watcher has just left is not reported to it", "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  Pipe reloader;
  Pipe old_socket;
  Pipe new_socket;
  int calls = 0;
  EventLoop::Id moved = 0;
  loop.watch_fd(reloader.read_end.get(), [&](short) {
    reloader.drain();
    loop.set_fd(moved, new_socket.read_end.get());  // a reload replaced the socket
  });
  moved = loop.watch_fd(old_socket.read_end.get(), [&](short) { ++calls; });
  reloader.make_readable();
  old_socket.make_readable();  // ready in the same poll(), but no longer this watcher's fd
  loop.run_once();
  CHECK(calls == 0);
}

TEST_CASE("refresh() drops the rest of the pass's readiness", "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  Pipe signal_like;
  Pipe source;
  int source_calls = 0;
  loop.watch_fd(signal_like.read_end.get(), [&](short) {
    signal_like.drain();
    loop.refresh();  // e.g. a reload replaced sockets
  });
  loop.watch_fd(source.read_end.get(), [&](short) {
    ++source_calls;
    source.drain();
  });
  signal_like.make_readable();
  source.make_readable();
  loop.run_once();
  CHECK(source_calls == 0);
  loop.run_once();  // polled afresh: still readable
  CHECK(source_calls == 1);
}

TEST_CASE("stop() ends run(), and nothing else runs in that pass", "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  Pipe p;
  int ticks = 0;
  int fd_calls = 0;
  loop.add_periodic(0, 100 * kMs, [&](std::int64_t) {
    if (++ticks == 3) {
      p.make_readable();
      loop.stop();
    }
  });
  loop.add_timer(200 * kMs, [&](std::int64_t) { FAIL("a timer after stop() in the same pass"); });
  loop.watch_fd(p.read_end.get(), [&](short) { ++fd_calls; });
  loop.run();
  CHECK(ticks == 3);
  CHECK(fd_calls == 0);
  CHECK(vt.clock.now_ns == 200 * kMs);
}

TEST_CASE("pre-poll hooks run after the due work, before poll, with the pass's time",
          "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  std::vector<std::string> events;
  loop.add_pre_poll_hook([&](std::int64_t now) {
    events.push_back("flush@" + std::to_string(now / kMs));
  });
  loop.add_timer(10 * kMs, [&](std::int64_t) { events.emplace_back("tick"); });
  loop.add_wake([] { return std::optional<std::int64_t>(10 * kMs); },
                [&](std::int64_t) { events.emplace_back("wake"); });
  loop.run_once();
  loop.run_once();
  CHECK(events == std::vector<std::string>{"flush@0", "wake", "tick", "flush@10"});
}

TEST_CASE("pass hooks run before the clock is read; callbacks may throw through run()",
          "[shell]") {
  VirtualTime vt;
  EventLoop loop(vt.clock, vt.poll());
  // Like the realtime simulation's sync(): it catches up and may move what is due.
  loop.add_pass_hook([&] { vt.clock.now_ns += 5 * kMs; });
  std::int64_t fired_at = -1;
  loop.add_timer(5 * kMs, [&](std::int64_t now) { fired_at = now; });
  loop.run_once();
  CHECK(fired_at == 5 * kMs);

  loop.add_timer(0, [](std::int64_t) { throw std::runtime_error("device gone"); });
  CHECK_THROWS_WITH(loop.run(), "device gone");
}

}  // namespace
}  // namespace nanotime::shell
