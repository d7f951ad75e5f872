// The status HTTP server over real loopback sockets, driven like a daemon drives it: poll its
// fd, call handle_ready(now) with an injected monotonic time. Deadlines are tested by advancing
// that time, never by sleeping.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "status/endpoint.hpp"
#include "status/exposition.hpp"
#include "status/http_server.hpp"
#include "status/metrics.hpp"
#include "status/status_json.hpp"
#include "util/fd.hpp"
#include "util/units.hpp"

using namespace nanotime::status;
using nanotime::util::Fd;

namespace {

constexpr std::int64_t kSec = nanotime::util::kNsPerS;

HttpServerConfig cfg(std::string listen) {
  HttpServerConfig c;
  c.listen = std::move(listen);
  return c;
}

Fd connect_to(const sockaddr* addr, socklen_t len, const sockaddr* source = nullptr,
              socklen_t source_len = 0) {
  Fd fd(::socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd.valid());
  timeval tv{5, 0};  // safety net only: the test pumps the server before reading
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (source) REQUIRE(::bind(fd.get(), source, source_len) == 0);
  REQUIRE(::connect(fd.get(), addr, len) == 0);
  return fd;
}

Fd connect_port(std::uint16_t port) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return connect_to(reinterpret_cast<const sockaddr*>(&in), sizeof in);
}

void send_all(const Fd& fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd.get(), data.data(), data.size(), MSG_NOSIGNAL);
    REQUIRE(n > 0);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Runs the server's loop once: waits (bounded) for its fd, then handle_ready(now).
void pump(HttpServer& server, std::int64_t now, int timeout_ms = 20) {
  pollfd p{server.fd(), POLLIN, 0};
  ::poll(&p, 1, timeout_ms);
  server.handle_ready(now);
}

struct Reply {
  bool closed = false;  // EOF seen
  std::string data;
};

// Pumps the server while reading from the client until the server closes (bounded).
Reply read_reply(HttpServer& server, const Fd& client, std::int64_t now) {
  Reply r;
  for (int i = 0; i < 500 && !r.closed; ++i) {
    pump(server, now, 5);
    char buf[65536];
    while (true) {
      const ssize_t n = ::recv(client.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        r.data.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) {
        r.closed = true;
        // Let the server see our close and finish its side.
        ::shutdown(client.get(), SHUT_WR);
      }
      break;
    }
  }
  pump(server, now, 0);
  return r;
}

// True if the client has neither data nor EOF pending.
bool still_waiting(const Fd& client) {
  char c;
  const ssize_t n = ::recv(client.get(), &c, 1, MSG_DONTWAIT | MSG_PEEK);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int status_of(const std::string& reply) {
  if (reply.size() < 12 || !reply.starts_with("HTTP/1.1 ")) return -1;
  return std::stoi(reply.substr(9, 3));
}

std::string body_of(const std::string& reply) {
  const auto p = reply.find("\r\n\r\n");
  return p == std::string::npos ? std::string() : reply.substr(p + 4);
}

std::string header_of(const std::string& reply, const std::string& name) {
  const auto key = "\r\n" + name + ": ";
  const auto p = reply.find(key);
  if (p == std::string::npos) return {};
  const auto e = reply.find("\r\n", p + key.size());
  return reply.substr(p + key.size(), e - p - key.size());
}

struct Fixture {
  Registry reg;
  HttpServer server;
  explicit Fixture(HttpServerConfig config = cfg("127.0.0.1:0")) : server(std::move(config)) {
    reg.gauge("nanotime_phc_offset_seconds", "seconds", "PHC - TAI").set(-4e-9);
    reg.counter("nanotime_pulses_total", "", "p", {{"result", "seen"}}).set(3);
    install_routes(server, reg, [] { return 1790000000.5; });
  }
  Reply get(std::string_view request, std::int64_t now = 0) {
    Fd c = connect_port(server.port());
    send_all(c, request);
    return read_reply(server, c, now);
  }
};

}  // namespace

TEST_CASE("GET /metrics, /status and / over loopback", "[unit]") {
  Fixture f;
  REQUIRE(f.server.port() != 0);

  Reply m = f.get("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
  REQUIRE(m.closed);
  CHECK(status_of(m.data) == 200);
  CHECK(header_of(m.data, "Content-Type") == kPrometheusContentType);
  CHECK(header_of(m.data, "Connection") == "close");
  CHECK(body_of(m.data) == render_prometheus(f.reg));
  CHECK(header_of(m.data, "Content-Length") == std::to_string(body_of(m.data).size()));

  Reply s = f.get("GET /status?since=0 HTTP/1.0\r\n\r\n");  // query ignored, HTTP/1.0 fine
  CHECK(status_of(s.data) == 200);
  CHECK(header_of(s.data, "Content-Type") == "application/json");
  CHECK(body_of(s.data) == render_status_json(f.reg, 1790000000.5));

  Reply d = f.get("GET / HTTP/1.1\r\n\r\n");
  CHECK(status_of(d.data) == 200);
  CHECK(header_of(d.data, "Content-Type") == "text/html; charset=utf-8");
  CHECK(body_of(d.data) == dashboard_html());
  CHECK(header_of(d.data, "Content-Security-Policy").find("default-src 'none'") == 0);

  CHECK(f.server.stats().responses == 3);
  CHECK(f.server.stats().errors == 0);
  CHECK(f.server.connections() == 0);
}

TEST_CASE("HEAD sends the headers without the body", "[unit]") {
  Fixture f;
  Reply h = f.get("HEAD /metrics HTTP/1.1\r\n\r\n");
  CHECK(status_of(h.data) == 200);
  CHECK(body_of(h.data).empty());
  CHECK(header_of(h.data, "Content-Length") == std::to_string(render_prometheus(f.reg).size()));
}

TEST_CASE("bad requests get their status and the server keeps serving", "[unit]") {
  Fixture f;
  struct Case {
    std::string request;
    int status;
  };
  const std::string huge_header = "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n";
  const std::string huge_line = "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n";
  std::string many_headers = "GET /metrics HTTP/1.1\r\n";
  for (int i = 0; i < 100; ++i) many_headers += "X-H" + std::to_string(i) + ": v\r\n";
  many_headers += "\r\n";
  const std::vector<Case> cases = {
      {"hello there\r\n\r\n", 400},
      {std::string("\x16\x03\x01\x00\xa5\x01\x00\x00", 8), 400},  // a TLS ClientHello
      {"GET metrics HTTP/1.1\r\n\r\n", 400},                          // not origin-form
      {"GET /metrics HTTP/2.0\r\n\r\n", 400},
      {"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", 400},
      {"GET /metrics HTTP/1.1\r\nBad Name: x\r\n\r\n", 400},
      {"GET /metrics HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400},
      {"GET /metrics HTTP/1.1\r\nContent-Length: x1\r\n\r\n", 400},
      {"GET /nope HTTP/1.1\r\n\r\n", 404},
      {"POST /metrics HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi", 405},
      {"DELETE / HTTP/1.1\r\n\r\n", 405},
      {"GET /metrics HTTP/1.1\r\nContent-Length: 100000\r\n\r\n", 413},
      {"GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 413},
      {huge_header, 431},
      {huge_line, 431},
      {many_headers, 431},
  };
  for (const auto& c : cases) {
    INFO(c.request.substr(0, 60));
    Reply r = f.get(c.request);
    CHECK(r.closed);
    CHECK(status_of(r.data) == c.status);
    if (c.status == 405) CHECK(header_of(r.data, "Allow") == "GET, HEAD");
    // ... and a good request right after is served.
    Reply ok = f.get("GET /metrics HTTP/1.1\r\n\r\n");
    CHECK(status_of(ok.data) == 200);
  }
  CHECK(f.server.stats().errors == cases.size());
  CHECK(f.server.connections() == 0);
}

TEST_CASE("a request exactly at the size limit is served", "[unit]") {
  Fixture f;
  std::string req = "GET /metrics HTTP/1.1\r\nX-Pad: ";
  const std::string tail = "\r\n\r\n";
  req += std::string(8192 - req.size() - tail.size(), 'p') + tail;
  REQUIRE(req.size() == 8192);
  CHECK(status_of(f.get(req).data) == 200);
  req.insert(req.begin() + 30, 'p');  // one byte over
  CHECK(status_of(f.get(req).data) == 431);
}

TEST_CASE("a request sent byte by byte is assembled", "[unit]") {
  Fixture f;
  Fd c = connect_port(f.server.port());
  const std::string req = "GET /metrics HTTP/1.1\r\n\r\n";
  for (char ch : req) {
    send_all(c, std::string_view(&ch, 1));
    pump(f.server, 0, 5);
  }
  CHECK(status_of(read_reply(f.server, c, 0).data) == 200);
}

TEST_CASE("a slow client is dropped at its deadline while others are served", "[unit]") {
  Fixture f;  // deadline 5 s
  Fd slow = connect_port(f.server.port());
  send_all(slow, "GET /metr");  // half a request, then silence
  pump(f.server, 0);
  REQUIRE(f.server.connections() == 1);
  REQUIRE(f.server.next_deadline_ns() == 5 * kSec);

  // Meanwhile another client is served at t = 1 s.
  Reply other = f.get("GET /status HTTP/1.1\r\n\r\n", 1 * kSec);
  CHECK(status_of(other.data) == 200);

  pump(f.server, 5 * kSec - 1);
  CHECK(f.server.connections() == 1);
  CHECK(still_waiting(slow));

  pump(f.server, 5 * kSec);
  CHECK(f.server.connections() == 0);
  CHECK(f.server.stats().timed_out == 1);
  CHECK_FALSE(f.server.next_deadline_ns().has_value());
  char c;
  CHECK(::recv(slow.get(), &c, 1, 0) == 0);  // closed, without a response
}

TEST_CASE("max connections: the next client gets 503, existing ones are unaffected", "[unit]") {
  HttpServerConfig config = cfg("127.0.0.1:0");
  config.max_connections = 16;
  Fixture f(config);
  std::vector<Fd> idle;
  for (int i = 0; i < 16; ++i) {
    idle.push_back(connect_port(f.server.port()));
    pump(f.server, 0);
  }
  for (int i = 0; i < 5 && f.server.connections() < 16; ++i) pump(f.server, 0);
  REQUIRE(f.server.connections() == 16);

  Reply busy = f.get("GET /metrics HTTP/1.1\r\n\r\n");
  CHECK(status_of(busy.data) == 503);
  CHECK(f.server.stats().rejected_busy == 1);
  CHECK(f.server.connections() == 16);

  // One of the idle ones completes a request: still served.
  send_all(idle[3], "GET /metrics HTTP/1.1\r\n\r\n");
  Reply r = read_reply(f.server, idle[3], 0);
  CHECK(status_of(r.data) == 200);
  CHECK(f.server.connections() == 15);
  // A slot is free again.
  CHECK(status_of(f.get("GET /metrics HTTP/1.1\r\n\r\n").data) == 200);
}

TEST_CASE("a large response is written across many EPOLLOUT rounds", "[unit]") {
  Fixture f;
  const std::string big(4 * 1024 * 1024, 'x');
  f.server.route("/big", [&](const HttpRequest&) { return HttpResponse{200, "text/plain", big, {}}; });
  Reply r = f.get("GET /big HTTP/1.1\r\n\r\n");
  CHECK(r.closed);
  CHECK(body_of(r.data) == big);
}

TEST_CASE("a throwing handler gives 500", "[unit]") {
  Fixture f;
  f.server.route("/boom", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
  CHECK(status_of(f.get("GET /boom HTTP/1.1\r\n\r\n").data) == 500);
  CHECK(status_of(f.get("GET /metrics HTTP/1.1\r\n\r\n").data) == 200);
}

TEST_CASE("Unix socket endpoint", "[unit]") {
  char dir_template[] = "/tmp/nanotime-status-test-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string path = std::string(dir_template) + "/status.sock";
  {
    Registry reg;
    reg.gauge("nanotime_clock_class", "", "c").set(6);
    HttpServer server(cfg("unix:" + path));
    install_routes(server, reg, [] { return 1.0; });
    CHECK(server.port() == 0);
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::strcpy(un.sun_path, path.c_str());
    Fd c = connect_to(reinterpret_cast<const sockaddr*>(&un), sizeof un);
    send_all(c, "GET /metrics HTTP/1.1\r\n\r\n");
    Reply r = read_reply(server, c, 0);
    CHECK(status_of(r.data) == 200);
    CHECK(body_of(r.data).find("nanotime_clock_class 6\n") != std::string::npos);
  }
  struct stat st {};
  CHECK(::stat(path.c_str(), &st) != 0);  // removed with the server
  // A regular file in the way is never deleted.
  { Fd file(::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600)); }
  CHECK_THROWS_AS(HttpServer(cfg("unix:" + path)), std::system_error);
  CHECK(::stat(path.c_str(), &st) == 0);
  ::unlink(path.c_str());
  ::rmdir(dir_template);
}

// ---- peers --------------------------------------------------------------------------------------

namespace {

sockaddr_in v4(const char* a) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, a, &in.sin_addr) == 1);
  return in;
}
sockaddr_in6 v6(const char* a) {
  sockaddr_in6 in{};
  in.sin6_family = AF_INET6;
  REQUIRE(inet_pton(AF_INET6, a, &in.sin6_addr) == 1);
  return in;
}
bool allowed4(const char* a, const std::vector<Cidr>& allow = {}) {
  const sockaddr_in in = v4(a);
  return peer_allowed(reinterpret_cast<const sockaddr*>(&in), sizeof in, allow);
}
bool allowed6(const char* a, const std::vector<Cidr>& allow = {}) {
  const sockaddr_in6 in = v6(a);
  return peer_allowed(reinterpret_cast<const sockaddr*>(&in), sizeof in, allow);
}

}  // namespace

TEST_CASE("peer check: loopback only unless allowed", "[unit]") {
  CHECK(allowed4("127.0.0.1"));
  CHECK(allowed4("127.3.4.5"));
  CHECK(allowed6("::1"));
  CHECK(allowed6("::ffff:127.0.0.1"));
  CHECK_FALSE(allowed4("192.168.1.5"));
  CHECK_FALSE(allowed4("0.0.0.0"));
  CHECK_FALSE(allowed6("::ffff:192.168.1.5"));
  CHECK_FALSE(allowed6("fd00::1"));
  CHECK_FALSE(allowed6("::2"));
  CHECK_FALSE(allowed6("::7f00:1"));  // IPv4-compatible (deprecated) is not loopback

  const std::vector<Cidr> lan = {parse_cidr("192.168.1.0/24"), parse_cidr("fd00::/8")};
  CHECK(allowed4("192.168.1.5", lan));
  CHECK(allowed4("192.168.1.255", lan));
  CHECK_FALSE(allowed4("192.168.2.5", lan));
  CHECK(allowed6("::ffff:192.168.1.5", lan));  // dual-stack socket
  CHECK(allowed6("fd12::1", lan));
  CHECK_FALSE(allowed6("fe80::1", lan));
  CHECK(allowed4("10.1.2.3", {parse_cidr("10.0.0.0/9")}));
  CHECK_FALSE(allowed4("10.128.0.1", {parse_cidr("10.0.0.0/9")}));
  CHECK(allowed4("10.0.0.7", {parse_cidr("10.0.0.7")}));
  CHECK_FALSE(allowed4("10.0.0.8", {parse_cidr("10.0.0.7")}));
  CHECK(allowed4("8.8.8.8", {parse_cidr("0.0.0.0/0")}));

  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  CHECK(peer_allowed(reinterpret_cast<const sockaddr*>(&un), sizeof un, {}));
  CHECK_FALSE(peer_allowed(nullptr, 0, {}));
  sockaddr_in short_in = v4("127.0.0.1");
  CHECK_FALSE(peer_allowed(reinterpret_cast<const sockaddr*>(&short_in), 4, {}));  // truncated
}

TEST_CASE("CIDR and listen address parsing", "[unit]") {
  CHECK(parse_cidr("192.168.1.0/24").prefix_len == 24);
  CHECK(parse_cidr("fd00::/8").family == AF_INET6);
  CHECK(parse_cidr("10.0.0.1").prefix_len == 32);
  CHECK(parse_cidr("::1").prefix_len == 128);
  CHECK_THROWS_AS(parse_cidr("192.168.1.0/33"), std::invalid_argument);
  CHECK_THROWS_AS(parse_cidr("192.168.1.0/"), std::invalid_argument);
  CHECK_THROWS_AS(parse_cidr("lan"), std::invalid_argument);
  CHECK_THROWS_AS(parse_cidr("10.0.0.0/-1"), std::invalid_argument);

  ListenAddress a = parse_listen_address("127.0.0.1:8473");
  CHECK_FALSE(a.is_unix);
  CHECK(a.host == "127.0.0.1");
  CHECK(a.port == 8473);
  CHECK(parse_listen_address("localhost:1").host == "127.0.0.1");
  CHECK(parse_listen_address("[::1]:8474").host == "::1");
  CHECK(parse_listen_address("unix:/run/x.sock").path == "/run/x.sock");
  CHECK_THROWS_AS(parse_listen_address("unix:relative"), std::invalid_argument);
  CHECK_THROWS_AS(parse_listen_address("example.org:80"), std::invalid_argument);  // no DNS
  CHECK_THROWS_AS(parse_listen_address("127.0.0.1"), std::invalid_argument);
  CHECK_THROWS_AS(parse_listen_address("127.0.0.1:65536"), std::invalid_argument);
  CHECK_THROWS_AS(parse_listen_address("127.0.0.1:"), std::invalid_argument);
  CHECK_THROWS_AS(parse_listen_address("::1:80"), std::invalid_argument);
  CHECK_THROWS_AS(parse_listen_address("unix:/" + std::string(200, 'a')), std::invalid_argument);
}

TEST_CASE("a real non-loopback peer is refused unless allowed", "[unit]") {
  // Connect from this host's own non-loopback address (e.g. eth0's): the kernel routes it over
  // lo, but the server sees a non-loopback peer address — the "bound to 0.0.0.0 by mistake" case.
  ifaddrs* ifs = nullptr;
  REQUIRE(::getifaddrs(&ifs) == 0);
  std::optional<sockaddr_in> own;
  for (ifaddrs* i = ifs; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    sockaddr_in in{};
    std::memcpy(&in, i->ifa_addr, sizeof in);
    if ((ntohl(in.sin_addr.s_addr) >> 24) != 127) own = in;
  }
  ::freeifaddrs(ifs);
  if (!own) {
    WARN("no non-loopback IPv4 address on this machine: real peer test not run");
    return;
  }
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &own->sin_addr, text, sizeof text);
  INFO("own address " << text);

  for (bool allow : {false, true}) {
    HttpServerConfig config = cfg("0.0.0.0:0");
    if (allow) config.allow = {std::string(text) + "/32"};
    Registry reg;
    HttpServer server(config);
    install_routes(server, reg, [] { return 1.0; });
    sockaddr_in dst = *own;
    dst.sin_port = htons(server.port());
    sockaddr_in src = *own;
    src.sin_port = 0;
    Fd c = connect_to(reinterpret_cast<const sockaddr*>(&dst), sizeof dst,
                      reinterpret_cast<const sockaddr*>(&src), sizeof src);
    send_all(c, "GET /metrics HTTP/1.1\r\n\r\n");
    Reply r = read_reply(server, c, 0);
    CHECK(r.closed);
    if (allow) {
      CHECK(status_of(r.data) == 200);
      CHECK(server.stats().refused_peer == 0);
    } else {
      CHECK(r.data.empty());  // closed without a word
      CHECK(server.stats().refused_peer == 1);
      CHECK(server.stats().responses == 0);
    }
    // Loopback still works on the same wildcard socket.
    Fd lo = connect_port(server.port());
    send_all(lo, "GET /metrics HTTP/1.1\r\n\r\n");
    CHECK(status_of(read_reply(server, lo, 0).data) == 200);
  }
}

// ---- request parser --------------------------------------------------------------------------

TEST_CASE("request parser", "[unit]") {
  using S = RequestParse::State;
  CHECK(parse_request("", 8192).state == S::incomplete);
  CHECK(parse_request("GET /status HT", 8192).state == S::incomplete);
  CHECK(parse_request("GET /status HTTP/1.1\r\nHost: x\r\n", 8192).state == S::incomplete);
  RequestParse p = parse_request("GET /status?a=b HTTP/1.1\r\nHost: x\r\n\r\n", 8192);
  REQUIRE(p.state == S::complete);
  CHECK(p.request.method == "GET");
  CHECK(p.request.target == "/status?a=b");
  CHECK(p.request.path == "/status");
  CHECK(p.request.query == "a=b");
  CHECK(parse_request("\r\nGET / HTTP/1.1\n\n", 8192).state == S::complete);  // bare LF, leading CRLF
  CHECK(parse_request("GET  / HTTP/1.1\r\n\r\n", 8192).error_status == 400);
  CHECK(parse_request("GET / HTTP/1.1 x\r\n\r\n", 8192).error_status == 400);
  CHECK(parse_request("GET /a\x01 HTTP/1.1\r\n\r\n", 8192).error_status == 400);
  CHECK(parse_request(std::string("G\0ET", 4), 8192).error_status == 400);  // before any newline
  CHECK(parse_request("GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", 8192).error_status == 400);
  // A body that fits is ignored; one that does not is 413.
  CHECK(parse_request("GET / HTTP/1.1\r\nContent-Length: 10\r\n\r\n", 8192).state == S::complete);
  CHECK(parse_request("GET / HTTP/1.1\r\ncontent-length: 9000\r\n\r\n", 8192).error_status == 413);
  CHECK(parse_request(std::string(100, 'a'), 100).error_status == 431);
  CHECK(parse_request(std::string(99, 'a'), 100).state == S::incomplete);
}
