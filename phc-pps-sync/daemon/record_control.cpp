#include "daemon/record_control.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace nanotime::ppsd {
namespace {

constexpr std::size_t kMaxRequest = 256;
constexpr double kMaxDurationS = 7 * 86400.0;

}  // namespace

RecordControl::RecordControl(std::string path) : path_(std::move(path)) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) {
    throw std::runtime_error(fmt::format("record control socket {}: path too long", path_));
  }
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_.valid()) {
    throw std::runtime_error(fmt::format("record control socket: {}", std::strerror(errno)));
  }
  ::unlink(path_.c_str());  // a previous run's
  // Created 0600 whatever the umask: only root may ask for a recording.
  const mode_t old = ::umask(0177);
  const int rc = ::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0) {
    throw std::runtime_error(fmt::format("record control socket {}: {}", path_,
                                         std::strerror(errno)));
  }
}

RecordControl::~RecordControl() { ::unlink(path_.c_str()); }

std::optional<ControlRequest> RecordControl::receive() {
  ControlRequest r;
  char buf[kMaxRequest + 1];
  r.from_len = sizeof r.from;
  const ssize_t n = ::recvfrom(fd_.get(), buf, kMaxRequest, 0,
                               reinterpret_cast<sockaddr*>(&r.from), &r.from_len);
  if (n < 0) return std::nullopt;
  r.text.assign(buf, static_cast<std::size_t>(n));
  while (!r.text.empty() && (r.text.back() == '\n' || r.text.back() == '\r')) r.text.pop_back();
  return r;
}

void RecordControl::reply(const ControlRequest& to, const std::string& text) {
  if (to.from_len <= sizeof(sa_family_t)) return;  // an unbound sender: no address to answer
  (void)::sendto(fd_.get(), text.data(), text.size(), MSG_DONTWAIT,
                 reinterpret_cast<const sockaddr*>(&to.from), to.from_len);
}

std::optional<double> parse_start(const std::string& text) {
  if (text.rfind("start ", 0) != 0) return std::nullopt;
  const std::string n = text.substr(6);
  double v = 0;
  const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
  if (ec != std::errc() || end != n.data() + n.size() || !std::isfinite(v) || v < 0 ||
      v > kMaxDurationS) {
    return std::nullopt;
  }
  return v;
}

}  // namespace nanotime::ppsd
