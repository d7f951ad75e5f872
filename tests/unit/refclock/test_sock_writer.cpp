// SockWriter against a real AF_UNIX datagram socket bound by the test (as chronyd would).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "log/log.hpp"
#include "refclock/sock_sample.hpp"
#include "refclock/sock_writer.hpp"
#include "util/fd.hpp"

using namespace nanotime;
using namespace nanotime::refclock;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/nanotime-test-sock-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// Plays chronyd: unlinks and binds the path, reads datagrams without blocking.
struct FakeChronyd {
  util::Fd fd;
  std::string path;
  explicit FakeChronyd(std::string p) : path(std::move(p)) {
    ::unlink(path.c_str());
    fd.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
    REQUIRE(fd.valid());
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  // One datagram, or empty if none is waiting.
  std::vector<unsigned char> receive() {
    std::vector<unsigned char> buf(256);
    const ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
    if (n < 0) return {};
    buf.resize(static_cast<std::size_t>(n));
    return buf;
  }
};

struct LogCapture {
  std::vector<std::string> lines;
  LogCapture() {
    log::set_sink([this](log::Level, std::string_view line) { lines.emplace_back(line); });
  }
  ~LogCapture() { log::set_sink(nullptr); }
  int count(const std::string& needle) const {
    int n = 0;
    for (const auto& l : lines) n += l.find(needle) != std::string::npos ? 1 : 0;
    return n;
  }
};

std::vector<unsigned char> bytes_of(const SockSample& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(&s);
  return {p, p + sizeof s};
}

}  // namespace

TEST_CASE("a full-time sample arrives as exactly chrony's struct") {
  TempDir dir;
  FakeChronyd chronyd(dir.path + "/gps.sock");
  SockWriter w(chronyd.path, "GPS");

  REQUIRE(w.send_time(1'700'000'000'123'456'789, 123'456.0, Leap::insert) == Delivery::sent);
  const auto got = chronyd.receive();
  REQUIRE(got.size() == sizeof(SockSample));
  CHECK(got ==
        bytes_of(make_sock_sample(1'700'000'000'123'456'789, 123'456.0, false, Leap::insert)));

  SockSample s{};
  std::memcpy(&s, got.data(), sizeof s);
  CHECK(s.tv.tv_sec == 1'700'000'000);
  CHECK(s.tv.tv_usec == 123'456);
  CHECK(s.offset == Approx(123'456e-9).epsilon(1e-12));
  CHECK(s.pulse == 0);
  CHECK(s.leap == 1);
  CHECK(s.magic == 0x534f434b);
  CHECK(w.counters().sent == 1);
  CHECK(w.counters().not_delivered == 0);
  CHECK(w.connected());
}

TEST_CASE("a pulse sample carries pulse=1 and system - true") {
  TempDir dir;
  FakeChronyd chronyd(dir.path + "/pps.sock");
  SockWriter w(chronyd.path, "PPS");
  REQUIRE(w.send_pulse(1'700'000'000'999'876'544, -123'456.0, Leap::normal) == Delivery::sent);
  const auto got = chronyd.receive();
  REQUIRE(got.size() == sizeof(SockSample));
  SockSample s{};
  std::memcpy(&s, got.data(), sizeof s);
  CHECK(s.pulse == 1);
  CHECK(s.tv.tv_usec == 999'876);
  CHECK(s.offset == Approx(-123'456e-9).epsilon(1e-12));
}

TEST_CASE("no socket file: not delivered, logged once; resumes when the socket returns") {
  TempDir dir;
  LogCapture logs;
  const std::string path = dir.path + "/chronyd.sock";
  SockWriter w(path, "PHC0");

  for (int i = 0; i < 3; ++i) CHECK(w.send_time(i, 0.0, Leap::normal) == Delivery::not_delivered);
  CHECK(w.counters().not_delivered == 3);
  CHECK(w.counters().sent == 0);
  CHECK_FALSE(w.connected());
  CHECK(logs.count("chronyd socket " + path + " for PHC0 not available") == 1);
  CHECK(logs.count("samples are dropped until it returns") == 1);

  FakeChronyd chronyd(path);
  CHECK(w.send_time(42, 0.0, Leap::normal) == Delivery::sent);
  CHECK(chronyd.receive().size() == sizeof(SockSample));
  CHECK(w.send_time(43, 0.0, Leap::normal) == Delivery::sent);
  CHECK(w.counters().sent == 2);
  CHECK(w.counters().not_delivered == 3);
  CHECK(logs.count("delivering again") == 1);
}

TEST_CASE("the reader goes away (socket left behind, as after SIGKILL) and comes back") {
  TempDir dir;
  LogCapture logs;
  const std::string path = dir.path + "/chronyd.sock";
  SockWriter w(path, "PHC0");
  {
    FakeChronyd first(path);
    REQUIRE(w.send_time(1, 0.0, Leap::normal) == Delivery::sent);
    REQUIRE(first.receive().size() == sizeof(SockSample));
  }  // closed, but the file stays: connect/send now give ECONNREFUSED
  REQUIRE(std::filesystem::exists(path));
  CHECK(w.send_time(2, 0.0, Leap::normal) == Delivery::not_delivered);
  CHECK(w.send_time(3, 0.0, Leap::normal) == Delivery::not_delivered);
  CHECK_FALSE(w.connected());
  CHECK(logs.count("not available") == 1);

  FakeChronyd second(path);  // restarted: a new socket (new inode) at the same path
  CHECK(w.send_time(4, 0.0, Leap::normal) == Delivery::sent);
  CHECK(second.receive().size() == sizeof(SockSample));
  CHECK(w.counters().sent == 2);
  CHECK(w.counters().not_delivered == 2);
  CHECK(logs.count("delivering again") == 1);
}

TEST_CASE("a restart between two samples loses no sample (immediate reconnect)") {
  TempDir dir;
  const std::string path = dir.path + "/chronyd.sock";
  SockWriter w(path, "PHC0");
  {
    FakeChronyd first(path);
    REQUIRE(w.send_time(1, 0.0, Leap::normal) == Delivery::sent);
  }
  FakeChronyd second(path);
  CHECK(w.send_time(2, 0.0, Leap::normal) == Delivery::sent);
  CHECK(second.receive().size() == sizeof(SockSample));
  CHECK(w.counters().not_delivered == 0);
}

TEST_CASE("a path that does not fit sockaddr_un is rejected up front") {
  CHECK_THROWS_AS(SockWriter(std::string(200, 'x'), "GPS"), std::invalid_argument);
  CHECK_THROWS_AS(SockWriter("", "GPS"), std::invalid_argument);
}

TEST_CASE("a reader that stops reading never blocks the writer (EAGAIN = not delivered)") {
  TempDir dir;
  FakeChronyd chronyd(dir.path + "/chronyd.sock");
  SockWriter w(chronyd.path, "PHC0");
  for (int i = 0; i < 500; ++i) w.send_time(i, 0.0, Leap::normal);  // queue fills (~10 datagrams)
  CHECK(w.counters().sent > 0);
  CHECK(w.counters().not_delivered > 0);
  CHECK(w.counters().sent + w.counters().not_delivered == 500);
  while (!chronyd.receive().empty()) {
  }
  CHECK(w.send_time(1000, 0.0, Leap::normal) == Delivery::sent);
}
