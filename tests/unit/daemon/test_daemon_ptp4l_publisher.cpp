// The ptp4l publisher against a fake ptp4l (a Unix datagram socket in a temp dir that decodes
// what it receives with our own decoder and answers as linuxptp does): the engine's quality on
// the wire, correction of a "restarted" ptp4l, malformed answers, no ptp4l at all, and the
// shutdown message (class 248, not traceable) with its bounded wait.
#include <filesystem>
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "conductor/conductor.hpp"
#include "daemon/ptp4l_publisher.hpp"
#include "ptpmgmt/messages.hpp"

using namespace nanotime;
using namespace nanotime::ppsd;
namespace pm = nanotime::ptpmgmt;
namespace d = nanotime::discipline;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::int64_t kS = 1'000'000'000;

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/nanotime-daemon-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

struct Request {
  pm::Message message;
  sockaddr_un from{};
  socklen_t from_len = 0;
};

// A ptp4l that holds GRANDMASTER_SETTINGS_NP and answers GET/SET like linuxptp.
struct FakePtp4l {
  int fd = -1;
  std::string path;
  pm::GrandmasterSettings held;  // what a fresh ptp4l announces: class 248
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
  std::optional<Request> receive(int timeout_ms = 1000) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return std::nullopt;
    std::uint8_t buf[1500];
    Request r;
    r.from_len = sizeof r.from;
    const ssize_t n =
        ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&r.from), &r.from_len);
    if (n <= 0) return std::nullopt;
    auto decoded = pm::decode({buf, static_cast<std::size_t>(n)});
    REQUIRE(std::holds_alternative<pm::Message>(decoded));
    r.message = std::get<pm::Message>(decoded);
    return r;
  }
  void send_to(const Request& r, const Bytes& b) {
    ::sendto(fd, b.data(), b.size(), 0, reinterpret_cast<const sockaddr*>(&r.from), r.from_len);
  }
  // Apply a SET, answer GET/SET with what it holds.
  void answer(const Request& r) {
    if (const auto* gs = std::get_if<pm::GrandmasterSettings>(&r.message.payload)) held = *gs;
    const Bytes data = pm::encode_data(held);
    send_to(r, pm::encode_raw(pm::Action::response,
                              static_cast<std::uint16_t>(pm::ManagementId::grandmaster_settings_np),
                              data, r.message.sequence_id));
  }
};

d::ClockQuality tracking_quality() {
  d::ClockQuality q;
  q.state = d::LockState::tracking;
  q.clock_class = 6;
  q.clock_accuracy = 0x21;
  q.offset_scaled_log_variance = 0x4e5d;
  q.tai_utc_s = 37;
  q.utc_offset_valid = true;
  q.time_traceable = true;
  q.frequency_traceable = true;
  return q;
}

bool readable(int fd, int timeout_ms = 1000) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

}  // namespace

TEST_CASE("the engine's quality reaches ptp4l as GRANDMASTER_SETTINGS_NP", "[unit]") {
  TempDir dir;
  FakePtp4l ptp4l(dir.path + "/ptp4l");
  Ptp4lPublisher pub(ptp4l.path, 0);
  std::int64_t now = 1000 * kS;
  pub.want(tracking_quality(), now);
  const auto req = ptp4l.receive();
  REQUIRE(req);
  CHECK(req->message.action == pm::Action::set);
  const auto* gs = std::get_if<pm::GrandmasterSettings>(&req->message.payload);
  REQUIRE(gs);
  CHECK(gs->quality.clock_class == 6);
  CHECK(gs->quality.clock_accuracy == 0x21);
  CHECK(gs->utc_offset == 37);
  CHECK((gs->time_flags & pm::time_flags::ptp_timescale) != 0);
  CHECK((gs->time_flags & pm::time_flags::time_traceable) != 0);
  CHECK((gs->time_flags & pm::time_flags::utc_offset_valid) != 0);
  CHECK(gs->time_source == pm::kTimeSourceGnss);
  ptp4l.answer(*req);
  REQUIRE(readable(pub.fd()));
  pub.service(now);
  CHECK(pub.in_sync());
  CHECK(pub.announced_class() == std::optional<std::uint8_t>(6));
}

TEST_CASE("a restarted ptp4l (class 248 again) is corrected at the next check", "[unit]") {
  TempDir dir;
  FakePtp4l ptp4l(dir.path + "/ptp4l");
  Ptp4lPublisher pub(ptp4l.path, 0);
  std::int64_t now = 1000 * kS;
  pub.want(tracking_quality(), now);
  ptp4l.answer(*ptp4l.receive());
  REQUIRE(readable(pub.fd()));
  pub.service(now);
  REQUIRE(pub.in_sync());

  ptp4l.held = pm::GrandmasterSettings{};  // ptp4l restarted: forgot everything
  bool corrected = false;
  // Simulated seconds: the publisher is serviced once a second, as the daemon's loop does.
  for (int s = 1; s <= 10 && !corrected; ++s) {
    now += kS;
    pub.service(now);
    while (auto req = ptp4l.receive(50)) {
      if (req->message.action == pm::Action::set) {
        const auto* gs = std::get_if<pm::GrandmasterSettings>(&req->message.payload);
        REQUIRE(gs);
        CHECK(gs->quality.clock_class == 6);
        corrected = true;
      }
      ptp4l.answer(*req);
      if (readable(pub.fd(), 200)) pub.service(now);
    }
  }
  CHECK(corrected);
  CHECK(ptp4l.held.quality.clock_class == 6);
  CHECK(pub.in_sync());
}

TEST_CASE("malformed answers and a missing ptp4l do not crash; it is found later", "[unit]") {
  TempDir dir;
  const std::string path = dir.path + "/ptp4l";
  Ptp4lPublisher pub(path, 0);
  std::int64_t now = 1000 * kS;
  pub.want(tracking_quality(), now);  // nobody there: a send failure, retried later
  CHECK_FALSE(pub.in_sync());
  {
    FakePtp4l ptp4l(path);
    std::optional<Request> req;
    for (int s = 1; s <= 5 && !req; ++s) {
      now += kS;
      pub.service(now);
      req = ptp4l.receive(50);
    }
    REQUIRE(req);
    // Garbage first, then a truncated management message, then the real answer.
    ptp4l.send_to(*req, Bytes{0xde, 0xad, 0xbe, 0xef});
    Bytes truncated = pm::encode_get(pm::ManagementId::grandmaster_settings_np, 7);
    truncated.resize(40);
    ptp4l.send_to(*req, truncated);
    ptp4l.answer(*req);
    REQUIRE(readable(pub.fd()));
    usleep(20000);
    pub.service(now);
    CHECK(pub.in_sync());
  }
  // ptp4l gone again (socket removed): no crash, retried.
  for (int s = 0; s < 12; ++s) {
    now += kS;
    pub.service(now);
  }
  CHECK_FALSE(pub.in_sync());
}

TEST_CASE("stopping: class 248, not traceable, confirmed within the bound", "[unit]") {
  TempDir dir;
  FakePtp4l ptp4l(dir.path + "/ptp4l");
  Ptp4lPublisher pub(ptp4l.path, 0);
  std::optional<pm::GrandmasterSettings> seen;
  std::thread server([&] {
    if (auto req = ptp4l.receive(2000)) {
      if (const auto* gs = std::get_if<pm::GrandmasterSettings>(&req->message.payload)) seen = *gs;
      ptp4l.answer(*req);
    }
  });
  const bool ok = pub.announce_final(final_quality(tracking_quality()), 1000);
  server.join();
  CHECK(ok);
  REQUIRE(seen);
  CHECK(seen->quality.clock_class == 248);
  CHECK((seen->time_flags & pm::time_flags::time_traceable) == 0);
  CHECK((seen->time_flags & pm::time_flags::frequency_traceable) == 0);
}

TEST_CASE("stopping with no ptp4l answering returns within the bound", "[unit]") {
  TempDir dir;
  FakePtp4l ptp4l(dir.path + "/ptp4l");  // bound, but never answers
  Ptp4lPublisher pub(ptp4l.path, 0);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(pub.announce_final(final_quality(tracking_quality()), 200));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - t0).count();
  CHECK(ms < 1000);
}
