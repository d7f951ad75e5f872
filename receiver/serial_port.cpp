// Directly on the serial port, for when gpsd is stopped: raw 8N1 at the given speed.
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "port.hpp"
#include "util/fd.hpp"

namespace nanotime::rcv {
namespace {

speed_t speed_of(int baud) {
  switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    default: throw PortError(fmt::format("unsupported baud rate {}", baud));
  }
}

class SerialPort final : public Port {
 public:
  SerialPort(util::Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

  void write(const receiver::Bytes& frame) override {
    std::size_t off = 0;
    int stalls = 0;
    while (off < frame.size()) {
      const ssize_t n = ::write(fd_.get(), frame.data() + off, frame.size() - off);
      if (n > 0) {
        off += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        throw PortError(fmt::format("{}: {}", path_, std::strerror(errno)));
      }
      pollfd p{fd_.get(), POLLOUT, 0};
      if (++stalls > 20 || ::poll(&p, 1, 100) < 0) {
        throw PortError(fmt::format("{}: write timed out", path_));
      }
    }
  }

  receiver::Bytes read(int timeout_ms) override {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, std::max(0, timeout_ms)) <= 0) return {};
    receiver::Bytes buf(4096);
    const ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return {};
      throw PortError(fmt::format("{}: {}", path_, std::strerror(errno)));
    }
    if (n == 0 && (p.revents & POLLHUP)) throw PortError(fmt::format("{}: hung up", path_));
    buf.resize(static_cast<std::size_t>(n));
    return buf;
  }

  std::string describe() const override { return path_; }

 private:
  util::Fd fd_;
  std::string path_;
};

}  // namespace

std::unique_ptr<Port> open_serial(const std::string& path, int baud) {
  const speed_t speed = speed_of(baud);
  util::Fd fd(::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) throw PortError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  termios t{};
  if (::tcgetattr(fd.get(), &t) != 0) {
    throw PortError(fmt::format("{} is not a serial port: {}", path, std::strerror(errno)));
  }
  ::cfmakeraw(&t);
  t.c_cflag |= CLOCAL | CREAD;
  t.c_cflag &= ~static_cast<tcflag_t>(CSTOPB | CRTSCTS);
  ::cfsetispeed(&t, speed);
  ::cfsetospeed(&t, speed);
  if (::tcsetattr(fd.get(), TCSANOW, &t) != 0) {
    throw PortError(fmt::format("cannot set up {}: {}", path, std::strerror(errno)));
  }
  return std::make_unique<SerialPort>(std::move(fd), path);
}

}  // namespace nanotime::rcv
