#pragma once
// A minimal, bounded HTTP/1.1 server for /metrics, /status and the dashboard, built to live in a
// daemon's single-threaded poll() loop:
//
//   HttpServer http(config);                       // binds, listens (throws std::system_error)
//   http.route("/metrics", [&](const HttpRequest&) { return HttpResponse{...}; });
//   loop: pollfd {http.fd(), POLLIN}; timeout ≤ http.next_deadline_ns() − now
//         http.handle_ready(now_mono_ns);         // whenever fd() is readable or a deadline passed
//
// fd() is an epoll descriptor that becomes readable when the listening socket or any connection
// needs attention, so the owner polls one fd however many clients there are. handle_ready()
// never blocks. Time comes from the caller (monotonic ns), so deadlines are testable.
//
// Safety, by default:
//   - binds 127.0.0.1 (or a Unix socket path) — never a public address unless configured;
//   - accepts only loopback peers (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104), even when bound to
//     0.0.0.0 by mistake; others must be listed in `allow` as CIDRs; Unix peers are allowed
//     (the socket file's permissions decide);
//   - at most max_connections at once (the next gets 503 and is closed), a request may be at
//     most max_request_bytes, and each connection has deadline_ns from accept to close: a slow
//     client (slowloris) is dropped and never delays the others;
//   - GET and HEAD only, one request per connection (Connection: close). Errors: 400 malformed,
//     404 unknown path, 405 other methods, 413 request body too large, 431 headers too large.
// After the response the server half-closes and discards what the client still sends until it
// closes (or the deadline), so a rejected client still reads its error status instead of a RST.

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/fd.hpp"

namespace nanotime::status {

struct HttpServerConfig {
  // "127.0.0.1:8473", "[::1]:8473", "localhost:8473" (= 127.0.0.1), "0.0.0.0:8473" (then set
  // `allow`), or "unix:/run/nanotime/phc-pps-sync.sock". Port 0 picks a free port (tests).
  std::string listen = "127.0.0.1:8473";
  std::vector<std::string> allow;              // extra peer CIDRs, e.g. "192.168.1.0/24"
  std::size_t max_connections = 16;
  std::size_t max_request_bytes = 8192;
  std::int64_t deadline_ns = 5'000'000'000;
};

struct HttpRequest {
  std::string method;
  std::string target;  // as sent: "/status?x=1"
  std::string path;    // "/status"
  std::string query;   // "x=1"
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerStats {
  std::uint64_t accepted = 0;
  std::uint64_t refused_peer = 0;   // not loopback and not in the allow list
  std::uint64_t rejected_busy = 0;  // max_connections reached: 503
  std::uint64_t timed_out = 0;      // dropped at the deadline
  std::uint64_t responses = 0;      // any status
  std::uint64_t errors = 0;         // responses with status >= 400
};

// ---- pure pieces (unit-tested on their own) ---------------------------------------------------

struct ListenAddress {
  bool is_unix = false;
  std::string host;      // numeric address
  std::uint16_t port = 0;
  std::string path;      // Unix socket path
};
// Throws std::invalid_argument with the reason.
ListenAddress parse_listen_address(std::string_view text);

struct Cidr {
  int family = AF_INET;                 // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> addr{};  // network byte order; IPv4 uses the first 4 bytes
  int prefix_len = 32;
};
// "192.168.1.0/24", "fd00::/8", "10.0.0.5" (a single host). Throws std::invalid_argument.
Cidr parse_cidr(std::string_view text);
// Loopback and Unix peers always; others only when inside one of `allow`. IPv4-mapped IPv6
// peers (::ffff:a.b.c.d, from a dual-stack socket) are checked as IPv4.
bool peer_allowed(const sockaddr* peer, socklen_t len, const std::vector<Cidr>& allow);

struct RequestParse {
  enum class State { incomplete, complete, error } state = State::incomplete;
  int error_status = 0;  // with State::error: 400, 413 or 431
  HttpRequest request;   // with State::complete
};
// Parses what arrived so far. Method checking (405) and routing (404) are the server's.
RequestParse parse_request(std::string_view data, std::size_t max_request_bytes);

std::string_view reason_phrase(int status);
// The full response bytes (status line, headers, body unless `head_only`).
std::string serialize_response(const HttpResponse& response, bool head_only);

// ---- the server -----------------------------------------------------------------------------

class HttpServer {
 public:
  explicit HttpServer(HttpServerConfig config);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void route(std::string path, HttpHandler handler);

  int fd() const { return epoll_.get(); }
  void handle_ready(std::int64_t now_mono_ns);
  // The earliest connection deadline, for the owner's poll timeout; nullopt when idle.
  std::optional<std::int64_t> next_deadline_ns() const;

  std::size_t connections() const { return connections_.size(); }
  const HttpServerStats& stats() const { return stats_; }
  // The bound port (useful with port 0); 0 for a Unix socket.
  std::uint16_t port() const { return port_; }
  const std::string& endpoint() const { return endpoint_; }

 private:
  struct Connection;

  void accept_all(std::int64_t now_ns);
  void on_event(Connection& c, std::uint32_t events);
  void on_readable(Connection& c);
  void respond(Connection& c, const HttpResponse& response, bool head_only);
  void flush(Connection& c);
  void drain(Connection& c);
  HttpResponse dispatch(const HttpRequest& request);
  bool watch(Connection& c, std::uint32_t events, bool add);

  HttpServerConfig config_;
  std::vector<Cidr> allow_;
  util::Fd listen_;
  util::Fd epoll_;
  std::string unix_path_;  // unlinked on destruction
  std::uint16_t port_ = 0;
  std::string endpoint_;
  std::vector<std::pair<std::string, HttpHandler>> routes_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::uint64_t next_id_ = 1;  // 0 is the listening socket
  HttpServerStats stats_;
};

}  // namespace nanotime::status
