// The chronyd poller in virtual time (a fake chronyc; the test says when output arrives and
// what time it is), the schedule and the log's rate limit, and the real child process
// plumbing against /bin/sh (bounded poll(), no sleeps).
#include <poll.h>
#include <signal.h>

#include <csignal>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "chrony/chronyc_process.hpp"
#include "chrony/chronyd_poller.hpp"
#include "chrony/query_schedule.hpp"

using namespace nanotime::chrony;

namespace {

constexpr std::int64_t kS = 1'000'000'000;
constexpr const char* kTracking =
    "50484330,PHC0,1,1796621384.1,0.000123,0,0,0,0,0,0.000000001,0.000004323,4.0,Normal\n";
constexpr const char* kSources = "#,*,PHC0,0,0,377,1,0.000000003,0.000000005,0.000000020\n";

// What the poller's fake chronyc children see and do.
struct Script {
  std::vector<std::vector<std::string>> argvs;
  std::vector<std::string> inputs;
  std::string pending;       // handed out by the next read_some
  bool eof = false;          // read_some returns eof once pending is handed out
  int alive = 0;             // children not yet destroyed (killed and reaped)
  bool spawn_fails = false;
};

class FakeChild : public Child {
 public:
  explicit FakeChild(Script& s) : s_(s) { ++s_.alive; }
  ~FakeChild() override { --s_.alive; }
  int fd() const override { return 42; }
  Read read_some(std::string& out) override {
    out += s_.pending;
    s_.pending.clear();
    return s_.eof ? Read::eof : Read::more;
  }

 private:
  Script& s_;
};

struct Rig {
  Script script;
  std::vector<ChronydView> views;
  std::vector<std::string> logs;
  PollerOptions options;
  std::unique_ptr<ChronydPoller> poller;

  explicit Rig(std::int64_t now = 100 * kS) {
    options.command_socket = "/run/test/chronyd.sock";
    options.interval_ns = 16 * kS;
    options.timeout_ns = 5 * kS;
    options.log_every_ns = 600 * kS;
    poller = std::make_unique<ChronydPoller>(
        options, now, [this](const ChronydView& v) { views.push_back(v); },
        [this](const std::vector<std::string>& argv, std::string_view input) -> std::unique_ptr<Child> {
          if (script.spawn_fails) throw std::runtime_error("cannot run chronyc: No such file or directory");
          script.argvs.push_back(argv);
          script.inputs.emplace_back(input);
          script.eof = false;
          return std::make_unique<FakeChild>(script);
        },
        [this](const std::string& line) { logs.push_back(line); });
  }
  void answer(std::int64_t now, std::string text) {
    script.pending = std::move(text);
    script.eof = true;
    poller->on_readable(now);
  }
};

}  // namespace

TEST_CASE("poller: one chronyc per query, commands on stdin, answer parsed at EOF") {
  Rig r;
  CHECK(r.poller->fd() == -1);
  CHECK(r.poller->next_deadline_ns() == 100 * kS);  // the first query starts at once
  r.poller->on_due(100 * kS);
  REQUIRE(r.script.argvs.size() == 1);
  CHECK(r.script.argvs[0] == std::vector<std::string>{"chronyc", "-c", "-n", "-h", "/run/test/chronyd.sock"});
  CHECK(r.script.inputs[0] == "tracking\nsources\n");
  CHECK(r.poller->fd() == 42);
  CHECK(r.poller->next_deadline_ns() == 105 * kS);  // its time limit

  // Output in two pieces: nothing is judged before EOF.
  r.script.pending = kTracking;
  r.poller->on_readable(100 * kS + 1000);
  CHECK(r.views.empty());
  r.answer(100 * kS + 2000, kSources);
  REQUIRE(r.views.size() == 1);
  CHECK(r.views[0].reachable);
  CHECK(r.views[0].phc_selected);
  CHECK(r.views[0].phc_reach == 255);
  CHECK(r.script.alive == 0);  // reaped
  CHECK(r.poller->fd() == -1);
  CHECK(r.logs.empty());
  CHECK(r.poller->next_deadline_ns() == 116 * kS);
}

TEST_CASE("poller: the interval is a fixed grid; nothing starts early") {
  Rig r(0);
  r.poller->on_due(0);
  r.answer(3 * kS, std::string(kTracking) + kSources);  // a slow answer
  r.poller->on_due(15 * kS);
  CHECK(r.script.argvs.size() == 1);
  CHECK(r.poller->next_deadline_ns() == 16 * kS);  // not 3 s + 16 s
  r.poller->on_due(16 * kS);
  CHECK(r.script.argvs.size() == 2);
  r.answer(16 * kS + 1, std::string(kTracking) + kSources);
  r.poller->on_due(41 * kS);  // a late wake-up: one query, next on the grid
  CHECK(r.script.argvs.size() == 3);
  CHECK(r.poller->next_deadline_ns() == 46 * kS);  // time limit first
  r.answer(41 * kS + 1, std::string(kTracking) + kSources);
  CHECK(r.poller->next_deadline_ns() == 48 * kS);
}

TEST_CASE("poller: a hung chronyc is killed at the time limit and counts as unreachable") {
  Rig r;
  r.poller->on_due(100 * kS);
  r.script.pending = "5048";  // half a line, then nothing
  r.poller->on_readable(101 * kS);
  r.poller->on_due(104 * kS);
  CHECK(r.views.empty());
  CHECK(r.script.alive == 1);
  r.poller->on_due(105 * kS);
  REQUIRE(r.views.size() == 1);
  CHECK_FALSE(r.views[0].reachable);
  CHECK(r.script.alive == 0);
  REQUIRE(r.logs.size() == 1);
  CHECK(r.logs[0].find("did not finish within 5000 ms") != std::string::npos);
  // The next query is on the grid; a fresh child, fresh output.
  CHECK(r.poller->next_deadline_ns() == 116 * kS);
  r.poller->on_due(116 * kS);
  r.answer(116 * kS + 1, std::string(kTracking) + kSources);
  REQUIRE(r.views.size() == 2);
  CHECK(r.views[1].reachable);
  REQUIRE(r.logs.size() == 2);
  CHECK(r.logs[1].find("answers again") != std::string::npos);
}

TEST_CASE("poller: chronyc missing or chronyd down; the log is rate limited") {
  Rig r(0);
  r.script.spawn_fails = true;
  r.poller->on_due(0);
  REQUIRE(r.views.size() == 1);
  CHECK_FALSE(r.views[0].reachable);
  REQUIRE(r.logs.size() == 1);
  CHECK(r.logs[0].find("No such file or directory") != std::string::npos);
  r.script.spawn_fails = false;
  // chronyd down: chronyc prints nothing on stdout and exits. 600 s of failures every 16 s:
  // no new line until log_every_ns has passed since the first.
  std::int64_t t = 16 * kS;
  for (; t < 600 * kS; t += 16 * kS) {
    r.poller->on_due(t);
    r.answer(t + 1, "");
  }
  CHECK(r.logs.size() == 1);
  CHECK(r.views.size() == 38);
  r.poller->on_due(t);
  r.answer(t + 1, "");
  REQUIRE(r.logs.size() == 2);
  CHECK(r.logs[1].find("still cannot ask chronyd (39 failed queries)") != std::string::npos);
}

TEST_CASE("schedule: start, time limit, skipped slots") {
  QuerySchedule s(10, 100, 30);
  CHECK_FALSE(s.start_due(9));
  CHECK(s.start_due(10));
  CHECK_FALSE(s.start_due(10));  // one at a time
  CHECK(s.next_deadline_ns() == 40);
  CHECK_FALSE(s.timed_out(39));
  CHECK(s.timed_out(40));
  CHECK_FALSE(s.running());
  CHECK(s.next_deadline_ns() == 110);
  CHECK(s.start_due(350));  // slots 110..310 missed: one start, the next slot after now
  s.finished();
  CHECK(s.next_deadline_ns() == 410);
}

namespace {
// Reads a real child's stdout to EOF, each wait bounded.
std::string drain(Child& c) {
  std::string out;
  for (int i = 0; i < 100; ++i) {
    pollfd p{c.fd(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, 5000) == 1);
    if (c.read_some(out) == Child::Read::eof) return out;
  }
  FAIL("no EOF");
  return out;
}
}  // namespace

TEST_CASE("process: stdin carries the commands, stdout is read without blocking") {
  ChronycProcess p({"/bin/sh", "-c", "tr a-z A-Z; echo end"}, "tracking\nsources\n");
  CHECK(drain(p) == "TRACKING\nSOURCES\nend\n");
}

TEST_CASE("process: a child still running is killed and reaped by the destructor") {
  pid_t pid = 0;
  {
    ChronycProcess p({"/bin/sh", "-c", "echo $$; exec sleep 1000"}, "");
    std::string out;
    for (int i = 0; i < 100 && out.find('\n') == std::string::npos; ++i) {
      pollfd f{p.fd(), POLLIN, 0};
      REQUIRE(::poll(&f, 1, 5000) == 1);
      p.read_some(out);
    }
    pid = std::stoi(out);
    CHECK(::kill(pid, 0) == 0);
  }
  CHECK(::kill(pid, 0) == -1);  // gone, not a zombie: reaped
}

TEST_CASE("process: the child starts with SIGPIPE at its default, whatever the parent ignores") {
  const auto old = std::signal(SIGPIPE, SIG_IGN);  // as phc-pps-sync does
  // /proc/self/status SigIgn: the child's ignored signals as a hex mask; SIGPIPE is bit 12.
  ChronycProcess p({"/bin/sh", "-c", "exec grep SigIgn /proc/self/status"}, "");
  const std::string out = drain(p);
  std::signal(SIGPIPE, old);
  const auto mask = std::stoull(out.substr(out.find(':') + 1), nullptr, 16);
  CHECK((mask & (1ULL << (SIGPIPE - 1))) == 0);
}

TEST_CASE("process: a program that does not exist is an exception, not a crash") {
  CHECK_THROWS_WITH(ChronycProcess({"/nonexistent/chronyc"}, ""),
                    Catch::Contains("cannot run /nonexistent/chronyc"));
}

TEST_CASE("process: a bare name is searched on PATH, as the shell would") {
  ChronycProcess p({"sh", "-c", "echo found"}, "");
  CHECK(drain(p) == "found\n");
  CHECK_THROWS_WITH(ChronycProcess({"nanotime-no-such-chronyc"}, ""),
                    Catch::Contains("cannot run nanotime-no-such-chronyc"));
}
