// PtpMgmtClient against a fake ptp4l: a Unix datagram socket in a temp dir that answers with
// hand-made bytes, from a thread.
#include <filesystem>
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "log/log.hpp"
#include "ptpmgmt/client.hpp"
#include "ptpmgmt/publisher.hpp"

using namespace nanotime::ptpmgmt;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/nanotime-ptpmgmt-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// Receives one request and answers with whatever `respond` makes of it.
struct FakePtp4l {
  int fd = -1;
  std::string path;
  explicit FakePtp4l(std::string p) : path(std::move(p)) {
    fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  }
  ~FakePtp4l() {
    ::close(fd);
    ::unlink(path.c_str());
  }
  // Serve one request in a thread; `respond` returns the datagrams to send back.
  std::thread serve(std::function<std::vector<Bytes>(const Bytes&)> respond, Bytes* seen) {
    return std::thread([this, respond, seen] {
      std::uint8_t buf[1500];
      sockaddr_un from{};
      socklen_t len = sizeof(from);
      ssize_t n = ::recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0) return;
      Bytes req(buf, buf + n);
      if (seen) *seen = req;
      for (const Bytes& d : respond(req)) {
        ::sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
    });
  }
};

std::uint16_t seq_of(const Bytes& req) {
  return static_cast<std::uint16_t>((req[30] << 8) | req[31]);
}

// Hand-made reply: header + management fields + TLV bytes.
Bytes reply(std::uint16_t seq, std::uint8_t action, const Bytes& tlv) {
  // Sized once and filled by index (growing it piecewise trips a false -Warray-bounds of g++ 12
  // at -O3).
  const auto len = static_cast<std::uint16_t>(48 + tlv.size());
  Bytes b(len, 0);
  b[0] = 0x0d;
  b[1] = 0x02;
  b[2] = static_cast<std::uint8_t>(len >> 8);
  b[3] = static_cast<std::uint8_t>(len);
  b[30] = static_cast<std::uint8_t>(seq >> 8);
  b[31] = static_cast<std::uint8_t>(seq);
  b[32] = 0x04;
  b[33] = 0x7f;
  b[46] = action;
  std::copy(tlv.begin(), tlv.end(), b.begin() + 48);
  return b;
}

const Bytes kGmTlv = {0x00, 0x01, 0x00, 0x0a, 0xc0, 0x01, 0x06, 0x21, 0x4e, 0x5d,
                      0x00, 0x25, 0x3c, 0x20};

}  // namespace

TEST_CASE("GET is answered, stale and malformed datagrams are skipped", "[unit][ptpmgmt]") {
  TempDir dir;
  FakePtp4l fake(dir.path + "/ptp4l");
  PtpMgmtClient client({.ptp4l_path = fake.path, .local_path = dir.path + "/me", .domain = 0});
  Bytes seen;
  auto t = fake.serve([](const Bytes& req) {
    std::uint16_t seq = seq_of(req);
    return std::vector<Bytes>{
        reply(static_cast<std::uint16_t>(seq - 1), 2, kGmTlv),  // late answer, old request
        Bytes{0x0d, 0x02, 0x00},                                // garbage
        reply(seq, 2, kGmTlv)};
  }, &seen);
  auto r = client.get_grandmaster_settings(2000ms);
  t.join();
  REQUIRE(r.ok());
  CHECK(r.value.quality.clock_class == 6);
  CHECK(r.value.time_flags == 0x3c);
  // what went out: a 54-byte GET for 0xc001
  REQUIRE(seen.size() == 54);
  CHECK(seen[0] == 0x0d);
  CHECK(seen[46] == 0x00);
  CHECK(seen[52] == 0xc0);
  CHECK(seen[53] == 0x01);
}

TEST_CASE("SET sends the dataset and returns ptp4l's echo", "[unit][ptpmgmt]") {
  TempDir dir;
  FakePtp4l fake(dir.path + "/ptp4l");
  PtpMgmtClient client({.ptp4l_path = fake.path, .local_path = "", .domain = 3});
  Bytes seen;
  auto t = fake.serve([](const Bytes& req) {
    return std::vector<Bytes>{reply(seq_of(req), 2, kGmTlv)};
  }, &seen);
  GrandmasterSettings g;
  g.quality = {6, 0x21, 0x4e5d};
  g.utc_offset = 37;
  g.time_flags = 0x3c;
  g.time_source = 0x20;
  auto r = client.set_grandmaster_settings(g, 2000ms);  // abstract local address by default
  t.join();
  REQUIRE(r.ok());
  CHECK(r.value == g);
  REQUIRE(seen.size() == 62);
  CHECK(seen[4] == 3);     // domain
  CHECK(seen[46] == 0x01); // SET
  CHECK(Bytes(seen.begin() + 54, seen.end()) ==
        Bytes{0x06, 0x21, 0x4e, 0x5d, 0x00, 0x25, 0x3c, 0x20});
}

TEST_CASE("sequence ids advance per request", "[unit][ptpmgmt]") {
  TempDir dir;
  FakePtp4l fake(dir.path + "/ptp4l");
  PtpMgmtClient client({.ptp4l_path = fake.path, .local_path = "", .domain = 0});
  auto a = client.send_get(ManagementId::time_properties_data_set);
  auto b = client.send_get(ManagementId::time_properties_data_set);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(static_cast<std::uint16_t>(b.sequence_id - a.sequence_id) == 1);
  CHECK_FALSE(client.receive().has_value());  // nothing queued: returns at once
}

TEST_CASE("error status is reported as such", "[unit][ptpmgmt]") {
  TempDir dir;
  FakePtp4l fake(dir.path + "/ptp4l");
  PtpMgmtClient client({.ptp4l_path = fake.path, .local_path = "", .domain = 0});
  auto t = fake.serve([](const Bytes& req) {
    return std::vector<Bytes>{
        reply(seq_of(req), 2, {0x00, 0x02, 0x00, 0x08, 0x00, 0x06, 0x20, 0x03, 0, 0, 0, 0})};
  }, nullptr);
  auto r = client.get_time_properties(2000ms);
  t.join();
  CHECK(r.status == ClientStatus::error_status);
  REQUIRE(r.error);
  CHECK(r.error->error_id == 6);
  CHECK_THAT(r.message, Catch::Contains("NOT_SUPPORTED"));
}

TEST_CASE("only malformed answers → bad_reply; silence → timeout", "[unit][ptpmgmt]") {
  TempDir dir;
  FakePtp4l fake(dir.path + "/ptp4l");
  PtpMgmtClient client({.ptp4l_path = fake.path, .local_path = "", .domain = 0});
  auto t = fake.serve([](const Bytes& req) {
    Bytes bad = reply(seq_of(req), 2, kGmTlv);
    bad[51] = 0x40;  // TLV length beyond the message
    return std::vector<Bytes>{bad};
  }, nullptr);
  auto r = client.get_grandmaster_settings(200ms);
  t.join();
  CHECK(r.status == ClientStatus::bad_reply);
  CHECK_THAT(r.message, Catch::Contains("bad_length"));

  auto start = std::chrono::steady_clock::now();
  auto r2 = client.get_parent_data_set(100ms);
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(r2.status == ClientStatus::timeout);
  CHECK(took >= 100ms);
  CHECK(took < 2s);
}

TEST_CASE("no ptp4l: not reachable, immediately", "[unit][ptpmgmt]") {
  TempDir dir;
  PtpMgmtClient client({.ptp4l_path = dir.path + "/nothing", .local_path = "", .domain = 0});
  auto r = client.get_grandmaster_settings(5000ms);
  CHECK(r.status == ClientStatus::not_reachable);
  CHECK_THAT(r.message, Catch::Contains("ptp4l not reachable") &&
                            Catch::Contains(dir.path + "/nothing"));
}

TEST_CASE("a filesystem local socket is removed on destruction", "[unit][ptpmgmt]") {
  TempDir dir;
  std::string local = dir.path + "/client.sock";
  {
    PtpMgmtClient client({.ptp4l_path = dir.path + "/x", .local_path = local, .domain = 0});
    CHECK(::access(local.c_str(), F_OK) == 0);
  }
  CHECK(::access(local.c_str(), F_OK) != 0);
}

TEST_CASE("publisher: SET, echo → in sync; periodic GET; ptp4l gone → logged once, retried",
          "[unit][ptpmgmt]") {
  TempDir dir;
  std::vector<std::string> lines;
  // A fresh log state: the log counts a line repeated within 60 s instead of printing it, so a
  // line an earlier test printed must not hide this test's.
  nanotime::log::configure(nanotime::log::Options{});
  nanotime::log::set_sink([&](nanotime::log::Level, std::string_view l) {
    lines.emplace_back(l);
  });
  constexpr std::int64_t s = 1'000'000'000;
  GrandmasterSettings g;
  g.quality = {6, 0x21, 0x4e5d};
  g.utc_offset = 37;
  g.time_flags = 0x3c;
  g.time_source = 0x20;
  {
    auto fake = std::make_unique<FakePtp4l>(dir.path + "/ptp4l");
    GmSettingsPublisher pub({.ptp4l_path = fake->path, .local_path = "", .domain = 0});
    Bytes seen;
    auto t = fake->serve([](const Bytes& req) {
      return std::vector<Bytes>{reply(seq_of(req), 2, kGmTlv)};
    }, &seen);
    pub.want(g, 0);
    t.join();
    CHECK(seen.at(46) == 0x01);  // a SET went out
    pub.on_readable(s / 10);
    CHECK(pub.keeper().in_sync());

    // 5 s later: a GET; ptp4l answers with its defaults (it restarted) → SET again
    Bytes defaults_tlv = {0x00, 0x01, 0x00, 0x0a, 0xc0, 0x01, 0xf8, 0xfe, 0xff, 0xff,
                          0x00, 0x25, 0x00, 0xa0};
    t = fake->serve([&](const Bytes& req) {
      return std::vector<Bytes>{reply(seq_of(req), 2, defaults_tlv)};
    }, &seen);
    pub.tick(5 * s);
    t.join();
    CHECK(seen.at(46) == 0x00);  // GET
    // This ptp4l takes the SET and dies before answering: no echo can race the timeout below.
    t = fake->serve([](const Bytes&) { return std::vector<Bytes>{}; }, &seen);
    pub.on_readable(5 * s + 1000);  // sees 248, sends the SET at once
    t.join();
    CHECK(seen.at(46) == 0x01);
    CHECK(pub.keeper().sets_sent() == 2);

    fake.reset();  // ptp4l gone (socket file removed)
    pub.tick(5 * s + 2000);  // reply to the second SET never came: awaiting
    pub.tick(7 * s);         // timeout → failure logged, retry after 1 s
    pub.tick(8 * s + 1);     // sendto fails: ENOENT, logged only once
    pub.tick(9 * s + 2);
  }
  nanotime::log::set_sink(nullptr);
  int down = 0;
  for (const auto& l : lines) down += l.find("cannot tell ptp4l") != std::string::npos;
  CHECK(down == 1);
  bool noticed_restart = false;
  for (const auto& l : lines) noticed_restart |= l.find("clockClass 248 instead of 6") != std::string::npos;
  CHECK(noticed_restart);
}
