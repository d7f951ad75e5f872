#include "status/http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "log/log.hpp"

namespace nanotime::status {

namespace {

constexpr std::size_t kMaxHeaders = 64;
constexpr std::size_t kDrainLimit = 64 * 1024;  // bytes discarded after the response, at most
constexpr int kBacklog = 16;

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

RequestParse error(int status) {
  RequestParse r;
  r.state = RequestParse::State::error;
  r.error_status = status;
  return r;
}

// "GET /path HTTP/1.1": 0 when fine, else the error status.
int parse_request_line(std::string_view line, HttpRequest& req) {
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return 400;
  const auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) return 400;
  const auto method = line.substr(0, sp1);
  const auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto version = line.substr(sp2 + 1);
  if (!is_token(method)) return 400;
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return 400;
  if (target.empty() || target[0] != '/') return 400;
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return 400;
  }
  req.method = method;
  req.target = target;
  const auto q = target.find('?');
  req.path = target.substr(0, q);
  req.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  return 0;
}

// Splits off one line ending in "\n" (an optional "\r" before it is removed).
bool next_line(std::string_view& rest, std::string_view& line) {
  const auto nl = rest.find('\n');
  if (nl == std::string_view::npos) return false;
  line = rest.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  rest.remove_prefix(nl + 1);
  return true;
}

bool parse_ip(std::string_view text, int& family, std::array<std::uint8_t, 16>& addr) {
  const std::string s(text);
  addr.fill(0);
  if (inet_pton(AF_INET, s.c_str(), addr.data()) == 1) {
    family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), addr.data()) == 1) {
    family = AF_INET6;
    return true;
  }
  return false;
}

bool prefix_matches(const std::uint8_t* a, const std::uint8_t* b, int prefix_len) {
  int bits = prefix_len;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

// ---- pure pieces ----------------------------------------------------------------------------

ListenAddress parse_listen_address(std::string_view text) {
  ListenAddress a;
  if (text.starts_with("unix:")) {
    a.is_unix = true;
    a.path = text.substr(5);
    if (a.path.empty() || a.path[0] != '/') {
      throw std::invalid_argument(fmt::format("'{}': a Unix socket needs an absolute path", text));
    }
    if (a.path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      throw std::invalid_argument(fmt::format("'{}': Unix socket path too long", text));
    }
    return a;
  }
  std::string_view host;
  std::string_view port;
  if (text.starts_with("[")) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) throw std::invalid_argument(fmt::format("'{}': expected [address]:port", text));
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      throw std::invalid_argument(fmt::format("'{}': expected address:port, [v6address]:port or unix:/path", text));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host == "localhost") host = "127.0.0.1";
  int family = 0;
  std::array<std::uint8_t, 16> bytes{};
  if (!parse_ip(host, family, bytes)) {
    throw std::invalid_argument(fmt::format("'{}': '{}' is not a numeric IP address", text, host));
  }
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw std::invalid_argument(fmt::format("'{}': bad port", text));
  }
  const unsigned long p = std::stoul(std::string(port));
  if (p > 65535) throw std::invalid_argument(fmt::format("'{}': port out of range", text));
  a.host = host;
  a.port = static_cast<std::uint16_t>(p);
  return a;
}

Cidr parse_cidr(std::string_view text) {
  Cidr c;
  const auto slash = text.find('/');
  const auto host = text.substr(0, slash);
  if (!parse_ip(host, c.family, c.addr)) {
    throw std::invalid_argument(fmt::format("'{}': not an IP address or CIDR", text));
  }
  const int max_len = c.family == AF_INET ? 32 : 128;
  c.prefix_len = max_len;
  if (slash != std::string_view::npos) {
    const auto len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3 || !std::all_of(len.begin(), len.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      throw std::invalid_argument(fmt::format("'{}': bad prefix length", text));
    }
    c.prefix_len = std::stoi(std::string(len));
    if (c.prefix_len > max_len) throw std::invalid_argument(fmt::format("'{}': prefix length > {}", text, max_len));
  }
  return c;
}

bool peer_allowed(const sockaddr* peer, socklen_t len, const std::vector<Cidr>& allow) {
  if (peer == nullptr) return false;
  int family = peer->sa_family;
  std::array<std::uint8_t, 16> addr{};
  if (family == AF_UNIX) return true;
  if (family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in in{};
    std::memcpy(&in, peer, sizeof in);
    std::memcpy(addr.data(), &in.sin_addr, 4);
  } else if (family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, peer, sizeof in6);
    std::memcpy(addr.data(), &in6.sin6_addr, 16);
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(addr.data(), kMapped, 12) == 0) {  // ::ffff:a.b.c.d
      family = AF_INET;
      std::memmove(addr.data(), addr.data() + 12, 4);
      std::fill(addr.begin() + 4, addr.end(), 0);
    }
  } else {
    return false;
  }
  if (family == AF_INET && addr[0] == 127) return true;
  if (family == AF_INET6) {
    static constexpr std::uint8_t kLoop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (std::memcmp(addr.data(), kLoop6, 16) == 0) return true;
  }
  return std::any_of(allow.begin(), allow.end(), [&](const Cidr& c) {
    return c.family == family && prefix_matches(c.addr.data(), addr.data(), c.prefix_len);
  });
}

RequestParse parse_request(std::string_view data, std::size_t max_request_bytes) {
  std::string_view rest = data;
  std::string_view line;
  RequestParse result;
  // Tolerate the empty lines RFC 9112 §2.2 allows before a request line.
  while (rest.starts_with("\r\n") || rest.starts_with("\n")) rest.remove_prefix(rest[0] == '\r' ? 2 : 1);
  if (!next_line(rest, line)) {
    // A request line cannot be judged until complete, but binary garbage can.
    for (char c : rest) {
      if (c == '\0') return error(400);
    }
    return data.size() >= max_request_bytes ? error(431) : result;
  }
  if (const int status = parse_request_line(line, result.request); status != 0) return error(status);
  std::size_t headers = 0;
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  while (true) {
    if (!next_line(rest, line)) {
      return data.size() >= max_request_bytes ? error(431) : RequestParse{};
    }
    if (line.empty()) break;  // end of the header section
    if (++headers > kMaxHeaders) return error(431);
    if (line[0] == ' ' || line[0] == '\t') return error(400);  // obsolete line folding
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return error(400);
    const auto name = line.substr(0, colon);
    const auto value = trim(line.substr(colon + 1));
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return error(400);
    }
    if (iequals(name, "Content-Length")) {
      if (value.empty() || value.size() > 18 || !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return error(400);
      }
      content_length = std::stoull(std::string(value));
    } else if (iequals(name, "Transfer-Encoding")) {
      chunked = true;
    }
  }
  const std::size_t header_bytes = data.size() - rest.size();
  if (header_bytes > max_request_bytes) return error(431);
  // GET and HEAD carry no body; one that would not fit the request limit is refused, a small
  // one is ignored (the connection closes after the response anyway).
  if (chunked) return error(413);
  if (content_length && *content_length > max_request_bytes - header_bytes) return error(413);
  result.state = RequestParse::State::complete;
  return result;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

std::string serialize_response(const HttpResponse& response, bool head_only) {
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n"
      "X-Content-Type-Options: nosniff\r\nConnection: close\r\n",
      response.status, reason_phrase(response.status), response.content_type,
      response.body.size());
  for (const auto& [k, v] : response.headers) out += fmt::format("{}: {}\r\n", k, v);
  out += "\r\n";
  if (!head_only) out += response.body;
  return out;
}

// ---- the server -----------------------------------------------------------------------------

struct HttpServer::Connection {
  enum class Phase { reading, writing, draining };
  std::uint64_t id = 0;
  util::Fd fd;
  std::int64_t deadline_ns = 0;
  Phase phase = Phase::reading;
  std::string in;
  std::string out;
  std::size_t out_pos = 0;
  std::size_t drained = 0;
  bool closed = false;
};

HttpServer::HttpServer(HttpServerConfig config) : config_(std::move(config)) {
  if (config_.max_connections == 0) throw std::invalid_argument("http: max_connections must be > 0");
  for (const auto& a : config_.allow) allow_.push_back(parse_cidr(a));
  const ListenAddress addr = parse_listen_address(config_.listen);

  epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) throw_errno("http: epoll_create1");

  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_UNIX;
  if (addr.is_unix) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, addr.path.c_str(), addr.path.size() + 1);
    std::memcpy(&ss, &un, sizeof un);
    len = sizeof un;
    // A socket file left by a crashed daemon would make bind fail: remove it, but never a
    // file that is not a socket.
    struct stat st {};
    if (::lstat(addr.path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        throw std::system_error(EEXIST, std::generic_category(),
                                fmt::format("http: {} exists and is not a socket", addr.path));
      }
      ::unlink(addr.path.c_str());
    }
    endpoint_ = config_.listen;
  } else {
    int fam = 0;
    std::array<std::uint8_t, 16> bytes{};
    parse_ip(addr.host, fam, bytes);
    family = fam;
    if (fam == AF_INET) {
      sockaddr_in in{};
      in.sin_family = AF_INET;
      in.sin_port = htons(addr.port);
      std::memcpy(&in.sin_addr, bytes.data(), 4);
      std::memcpy(&ss, &in, sizeof in);
      len = sizeof in;
    } else {
      sockaddr_in6 in6{};
      in6.sin6_family = AF_INET6;
      in6.sin6_port = htons(addr.port);
      std::memcpy(&in6.sin6_addr, bytes.data(), 16);
      std::memcpy(&ss, &in6, sizeof in6);
      len = sizeof in6;
    }
    const sockaddr_storage probe = ss;
    if (!peer_allowed(reinterpret_cast<const sockaddr*>(&probe), len, {}) ) {
      // Bound beyond loopback: only peers in `allow` will be served.
      log::warning("status http: listening on {} (not loopback); peers allowed: loopback{}{}",
                   config_.listen, allow_.empty() ? "" : " and ",
                   fmt::join(config_.allow, ", "));
    }
  }

  listen_.reset(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen_.valid()) throw_errno(fmt::format("http: socket for {}", config_.listen));
  if (!addr.is_unix) {
    const int one = 1;
    ::setsockopt(listen_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  if (::bind(listen_.get(), reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    throw_errno(fmt::format("http: bind {}", config_.listen));
  }
  if (addr.is_unix) unix_path_ = addr.path;
  if (::listen(listen_.get(), kBacklog) != 0) throw_errno(fmt::format("http: listen {}", config_.listen));

  if (!addr.is_unix) {
    sockaddr_storage bound{};
    socklen_t blen = sizeof bound;
    if (::getsockname(listen_.get(), reinterpret_cast<sockaddr*>(&bound), &blen) == 0) {
      if (bound.ss_family == AF_INET) {
        sockaddr_in in{};
        std::memcpy(&in, &bound, sizeof in);
        port_ = ntohs(in.sin_port);
      } else {
        sockaddr_in6 in6{};
        std::memcpy(&in6, &bound, sizeof in6);
        port_ = ntohs(in6.sin6_port);
      }
    }
    endpoint_ = family == AF_INET6 ? fmt::format("[{}]:{}", addr.host, port_)
                                   : fmt::format("{}:{}", addr.host, port_);
  }

  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listen_.get(), &ev) != 0) throw_errno("http: epoll_ctl");
}

HttpServer::~HttpServer() {
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

void HttpServer::route(std::string path, HttpHandler handler) {
  for (auto& [p, h] : routes_) {
    if (p == path) {
      h = std::move(handler);
      return;
    }
  }
  routes_.emplace_back(std::move(path), std::move(handler));
}

std::optional<std::int64_t> HttpServer::next_deadline_ns() const {
  std::optional<std::int64_t> next;
  for (const auto& c : connections_) {
    if (!next || c->deadline_ns < *next) next = c->deadline_ns;
  }
  return next;
}

bool HttpServer::watch(Connection& c, std::uint32_t events, bool add) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = c.id;
  if (::epoll_ctl(epoll_.get(), add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd.get(), &ev) != 0) {
    // Out of kernel memory or similar: lose this client, never the daemon.
    log::warning("status http: epoll_ctl: {}", std::strerror(errno));
    c.closed = true;
    return false;
  }
  return true;
}

void HttpServer::handle_ready(std::int64_t now_mono_ns) {
  epoll_event events[32];
  // Bounded: at most a few batches per call, so one busy client cannot monopolise the loop.
  for (int batch = 0; batch < 4; ++batch) {
    const int n = ::epoll_wait(epoll_.get(), events, 32, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("http: epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const std::uint64_t id = events[i].data.u64;
      if (id == 0) {
        accept_all(now_mono_ns);
        continue;
      }
      // Looked up by id, not fd: a connection closed earlier in this batch may have had its fd
      // number reused by a new one.
      auto it = std::find_if(connections_.begin(), connections_.end(),
                             [id](const auto& c) { return c->id == id; });
      if (it != connections_.end()) on_event(**it, events[i].events);
    }
    std::erase_if(connections_, [](const auto& c) { return c->closed; });
    if (n < 32) break;
  }
  for (auto& c : connections_) {
    if (now_mono_ns >= c->deadline_ns) {
      if (c->phase != Connection::Phase::draining) ++stats_.timed_out;
      c->closed = true;
    }
  }
  std::erase_if(connections_, [](const auto& c) { return c->closed; });
}

void HttpServer::accept_all(std::int64_t now_ns) {
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    util::Fd fd(::accept4(listen_.get(), reinterpret_cast<sockaddr*>(&peer), &len,
                          SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // EMFILE and friends: leave the rest in the backlog for the next call.
      log::warning("status http: accept: {}", std::strerror(errno));
      return;
    }
    if (!peer_allowed(reinterpret_cast<const sockaddr*>(&peer), len, allow_)) {
      ++stats_.refused_peer;
      log::warning("status http: refused a connection from a peer not in the allow list");
      continue;  // closed by Fd
    }
    if (connections_.size() >= config_.max_connections) {
      ++stats_.rejected_busy;
      // Best effort, never blocking: a fresh socket's send buffer takes this whole.
      const std::string busy = serialize_response({503, "text/plain; charset=utf-8", "busy\n", {}}, false);
      [[maybe_unused]] const auto sent = ::send(fd.get(), busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      continue;
    }
    ++stats_.accepted;
    auto c = std::make_unique<Connection>();
    c->id = next_id_++;
    c->fd = std::move(fd);
    c->deadline_ns = now_ns + config_.deadline_ns;
    if (watch(*c, EPOLLIN | EPOLLRDHUP, true)) connections_.push_back(std::move(c));
  }
}

void HttpServer::on_event(Connection& c, std::uint32_t events) {
  switch (c.phase) {
    case Connection::Phase::reading:
      if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(c);
      break;
    case Connection::Phase::writing:
      if (events & (EPOLLERR | EPOLLHUP)) {
        c.closed = true;
      } else if (events & EPOLLOUT) {
        flush(c);
      }
      break;
    case Connection::Phase::draining:
      drain(c);
      break;
  }
}

void HttpServer::on_readable(Connection& c) {
  char buf[4096];
  while (c.phase == Connection::Phase::reading) {
    const ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      c.closed = true;
      return;
    }
    if (n == 0) {  // the client gave up before a complete request
      c.closed = true;
      return;
    }
    // Keep one byte beyond the limit so the parser can tell "at the limit" from "over".
    const std::size_t room = config_.max_request_bytes + 1 - std::min(c.in.size(), config_.max_request_bytes + 1);
    c.in.append(buf, std::min(static_cast<std::size_t>(n), room));
    const RequestParse parsed = parse_request(c.in, config_.max_request_bytes);
    switch (parsed.state) {
      case RequestParse::State::incomplete:
        break;
      case RequestParse::State::error:
        respond(c, HttpResponse{parsed.error_status, "text/plain; charset=utf-8",
                                fmt::format("{} {}\n", parsed.error_status, reason_phrase(parsed.error_status)), {}},
                false);
        break;
      case RequestParse::State::complete: {
        const auto& req = parsed.request;
        const bool head = req.method == "HEAD";
        if (req.method != "GET" && !head) {
          respond(c, HttpResponse{405, "text/plain; charset=utf-8", "405 Method Not Allowed\n", {{"Allow", "GET, HEAD"}}}, false);
        } else {
          respond(c, dispatch(req), head);
        }
        break;
      }
    }
  }
}

HttpResponse HttpServer::dispatch(const HttpRequest& request) {
  for (const auto& [path, handler] : routes_) {
    if (path != request.path) continue;
    try {
      return handler(request);
    } catch (const std::exception& e) {
      log::error("status http: {} failed: {}", request.path, e.what());
      return HttpResponse{500, "text/plain; charset=utf-8", "500 Internal Server Error\n", {}};
    }
  }
  return HttpResponse{404, "text/plain; charset=utf-8", "404 Not Found\n", {}};
}

void HttpServer::respond(Connection& c, const HttpResponse& response, bool head_only) {
  ++stats_.responses;
  if (response.status >= 400) ++stats_.errors;
  c.in.clear();
  c.in.shrink_to_fit();
  c.out = serialize_response(response, head_only);
  c.out_pos = 0;
  c.phase = Connection::Phase::writing;
  if (watch(c, EPOLLOUT, false)) flush(c);
}

void HttpServer::flush(Connection& c) {
  while (c.out_pos < c.out.size()) {
    const ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_pos, c.out.size() - c.out_pos, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // EPOLLOUT will call again
      if (errno == EINTR) continue;
      c.closed = true;
      return;
    }
    c.out_pos += static_cast<std::size_t>(n);
  }
  // All written: half-close and wait for the client to close (see the header comment).
  c.out.clear();
  c.out.shrink_to_fit();
  ::shutdown(c.fd.get(), SHUT_WR);
  c.phase = Connection::Phase::draining;
  if (watch(c, EPOLLIN | EPOLLRDHUP, false)) drain(c);
}

void HttpServer::drain(Connection& c) {
  char buf[4096];
  while (true) {
    const ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      c.closed = true;
      return;
    }
    c.drained += static_cast<std::size_t>(n);
    if (n == 0 || c.drained > kDrainLimit) {
      c.closed = true;
      return;
    }
  }
}

}  // namespace nanotime::status
