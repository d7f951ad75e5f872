// Through gpsd 3.22: ?WATCH={"enable":true,"raw":2} makes gpsd pass the receiver's bytes
// through unchanged (JSON replies to our own commands are mixed in as text lines, which the
// frame parser hands out as lines); ?DEVICE={"path":...,"hexdata":...} writes one frame (gpsd's limit: 255 bytes
// of binary per request). gpsd keeps the serial port, so its other clients see no gap.
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "port.hpp"
#include "util/fd.hpp"

namespace nanotime::rcv {
namespace {

constexpr std::size_t kMaxHexdataBytes = 255;
// gpsd answers nothing for its first ~5 s after it starts (it opens the device and hunts for
// its speed): wait that long for the device list whatever the per-request timeout.
constexpr int kStartupWaitMs = 7000;

std::int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

util::Fd connect_tcp(const std::string& host, const std::string& port, int timeout_ms) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    throw PortError(fmt::format("gpsd at {}:{}: {}", host, port, ::gai_strerror(rc)));
  }
  std::string why = "no address";
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    util::Fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) continue;
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      why = std::strerror(errno);
      continue;
    }
    pollfd p{fd.get(), POLLOUT, 0};
    int err = ETIMEDOUT;
    socklen_t len = sizeof err;
    if (::poll(&p, 1, timeout_ms) == 1) ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == 0) {
      ::freeaddrinfo(res);
      return fd;
    }
    why = std::strerror(err);
  }
  ::freeaddrinfo(res);
  throw PortError(fmt::format("cannot connect to gpsd at {}:{}: {}", host, port, why));
}

// The value of "path" in the first DEVICE object of gpsd's DEVICES reply, or "".
std::string first_device_path(const std::string& text) {
  const auto d = text.find("\"class\":\"DEVICES\"");
  if (d == std::string::npos) return "";
  const auto p = text.find("\"path\":\"", d);
  if (p == std::string::npos) return "";
  const auto end = text.find('"', p + 8);
  return end == std::string::npos ? "" : text.substr(p + 8, end - p - 8);
}

class GpsdPort final : public Port {
 public:
  GpsdPort(util::Fd fd, std::string where, std::string device)
      : fd_(std::move(fd)), where_(std::move(where)), device_(std::move(device)) {}

  // Starts the raw watch and learns gpsd's device path from its DEVICES reply.
  void start(int timeout_ms) {
    const std::string watch =
        device_.empty() ? R"(?WATCH={"enable":true,"raw":2};)" + std::string("\n")
                        : fmt::format(R"(?WATCH={{"enable":true,"raw":2,"device":"{}"}};)" "\n",
                                      device_);
    send(watch);
    const std::int64_t deadline = now_ms() + timeout_ms;
    std::string text;
    while (now_ms() < deadline && device_.empty()) {
      const auto b = read_socket(static_cast<int>(deadline - now_ms()));
      text.append(b.begin(), b.end());
      pending_.insert(pending_.end(), b.begin(), b.end());
      device_ = first_device_path(text);
      if (text.find("\"class\":\"DEVICES\"") != std::string::npos && device_.empty() &&
          text.find("]}", text.find("\"class\":\"DEVICES\"")) != std::string::npos) {
        throw PortError(fmt::format("gpsd at {} has no device: is the receiver connected?", where_));
      }
    }
    if (device_.empty()) throw PortError(fmt::format("gpsd at {} did not list its devices", where_));
  }

  void write(const receiver::Bytes& frame) override {
    if (frame.size() > kMaxHexdataBytes) {
      throw PortError(fmt::format("a {}-byte frame is more than gpsd passes ({})", frame.size(),
                                  kMaxHexdataBytes));
    }
    send(fmt::format(R"(?DEVICE={{"path":"{}","hexdata":"{}"}};)" "\n", device_,
                     receiver::hex(frame)));
  }

  receiver::Bytes read(int timeout_ms) override {
    if (!pending_.empty()) return std::exchange(pending_, {});
    return read_socket(timeout_ms);
  }

  std::string describe() const override { return fmt::format("gpsd at {} ({})", where_, device_); }

 private:
  void send(const std::string& s) {
    std::size_t off = 0;
    const std::int64_t deadline = now_ms() + 2000;
    while (off < s.size()) {
      const ssize_t n = ::send(fd_.get(), s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n > 0) {
        off += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        throw PortError(fmt::format("gpsd at {}: {}", where_, std::strerror(errno)));
      }
      pollfd p{fd_.get(), POLLOUT, 0};
      if (now_ms() >= deadline || ::poll(&p, 1, 100) < 0) {
        throw PortError(fmt::format("gpsd at {}: write timed out", where_));
      }
    }
  }

  receiver::Bytes read_socket(int timeout_ms) {
    pollfd p{fd_.get(), POLLIN, 0};
    const int rc = ::poll(&p, 1, std::max(0, timeout_ms));
    if (rc <= 0) return {};
    receiver::Bytes buf(8192);
    const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n == 0) throw PortError(fmt::format("gpsd at {} closed the connection", where_));
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return {};
      throw PortError(fmt::format("gpsd at {}: {}", where_, std::strerror(errno)));
    }
    buf.resize(static_cast<std::size_t>(n));
    return buf;
  }

  util::Fd fd_;
  std::string where_;
  std::string device_;
  receiver::Bytes pending_;
};

}  // namespace

std::unique_ptr<Port> open_gpsd(const std::string& host_port, const std::string& device,
                                int timeout_ms) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos) throw PortError("gpsd address must be host:port");
  std::string host = host_port.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto port = std::make_unique<GpsdPort>(connect_tcp(host, host_port.substr(colon + 1), timeout_ms),
                                         host_port, device);
  port->start(std::max(timeout_ms, kStartupWaitMs));
  return port;
}

}  // namespace nanotime::rcv
