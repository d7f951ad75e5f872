#include "status/client/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "status/http_server.hpp"
#include "util/fd.hpp"
#include "util/units.hpp"

namespace nanotime::status {

namespace {

std::int64_t mono_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * util::kMsPerS + ts.tv_nsec / util::kNsPerMs;
}

[[noreturn]] void fail(std::string_view endpoint, std::string_view what) {
  throw std::runtime_error(fmt::format("{}: {}", endpoint, what));
}

// Waits for `events` until the deadline; false on timeout.
bool wait_for(int fd, short events, std::int64_t deadline_ms) {
  while (true) {
    const std::int64_t left = deadline_ms - mono_ms();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

}  // namespace

HttpResult http_get(std::string_view endpoint, std::string_view path, int timeout_ms,
                    std::size_t max_bytes) {
  const std::int64_t deadline = mono_ms() + timeout_ms;
  ListenAddress a;
  try {
    a = parse_listen_address(endpoint);
  } catch (const std::invalid_argument& e) {
    fail(endpoint, e.what());
  }
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (a.is_unix) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, a.path.c_str(), a.path.size() + 1);
    std::memcpy(&ss, &un, sizeof un);
    len = sizeof un;
  } else if (a.host.find(':') != std::string::npos) {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(a.port);
    inet_pton(AF_INET6, a.host.c_str(), &in6.sin6_addr);
    std::memcpy(&ss, &in6, sizeof in6);
    len = sizeof in6;
  } else {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(a.port);
    inet_pton(AF_INET, a.host.c_str(), &in.sin_addr);
    std::memcpy(&ss, &in, sizeof in);
    len = sizeof in;
  }
  util::Fd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) fail(endpoint, std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    if (errno != EINPROGRESS && errno != EAGAIN) fail(endpoint, fmt::format("connect: {}", std::strerror(errno)));
    if (!wait_for(fd.get(), POLLOUT, deadline)) fail(endpoint, "connect: timed out");
    int err = 0;
    socklen_t elen = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &elen);
    if (err != 0) fail(endpoint, fmt::format("connect: {}", std::strerror(err)));
  }
  const std::string request = fmt::format("GET {} HTTP/1.0\r\nHost: localhost\r\nUser-Agent: nanotime-status\r\n\r\n", path);
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_for(fd.get(), POLLOUT, deadline)) fail(endpoint, "send: timed out");
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      fail(endpoint, fmt::format("send: {}", std::strerror(errno)));
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string reply;
  char buf[65536];
  while (true) {
    if (!wait_for(fd.get(), POLLIN, deadline)) fail(endpoint, "no complete answer in time");
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      fail(endpoint, fmt::format("recv: {}", std::strerror(errno)));
    }
    if (n == 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
    if (reply.size() > max_bytes) fail(endpoint, "answer too large");
  }
  if (!reply.starts_with("HTTP/1.") || reply.size() < 12) fail(endpoint, "not an HTTP answer");
  const auto end = reply.find("\r\n\r\n");
  if (end == std::string::npos) fail(endpoint, "truncated HTTP answer");
  HttpResult r;
  r.status = std::atoi(reply.c_str() + 9);
  r.body = reply.substr(end + 4);
  return r;
}

}  // namespace nanotime::status
