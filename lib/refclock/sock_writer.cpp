// chrony SOCK refclock writer: see sock_writer.hpp.
#include "refclock/sock_writer.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "log/log.hpp"
#include "refclock/sock_sample.hpp"

namespace nanotime::refclock {

namespace {

sockaddr_un make_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

}  // namespace

SockWriter::SockWriter(std::string path, std::string name)
    : path_(std::move(path)), name_(std::move(name)) {
  if (path_.empty() || path_.size() >= sizeof(sockaddr_un{}.sun_path)) {
    throw std::invalid_argument(
        fmt::format("chronyd socket path '{}' for {} must be 1..{} characters", path_, name_,
                    sizeof(sockaddr_un{}.sun_path) - 1));
  }
}

Delivery SockWriter::send_time(std::int64_t system_ns, double true_minus_system_ns, Leap leap) {
  return send(system_ns, true_minus_system_ns, false, leap);
}

Delivery SockWriter::send_pulse(std::int64_t system_ns, double system_minus_true_ns, Leap leap) {
  return send(system_ns, system_minus_true_ns, true, leap);
}

Delivery SockWriter::send(std::int64_t system_ns, double offset_ns, bool pulse, Leap leap) {
  const SockSample sample = make_sock_sample(system_ns, offset_ns, pulse, leap);
  const bool was_connected = fd_.valid();
  int error = 0;
  bool ok = try_send(&sample, sizeof sample, error);
  // A socket that used to work and now refuses: chronyd was restarted and bound a new socket
  // at the same path. Reconnect at once so the restart costs no sample.
  if (!ok && was_connected && (error == ECONNREFUSED || error == ENOTCONN)) {
    ok = try_send(&sample, sizeof sample, error);
  }
  if (ok) {
    ++counters_.sent;
    note_up();
    return Delivery::sent;
  }
  ++counters_.not_delivered;
  note_down(error);
  return Delivery::not_delivered;
}

// One attempt: connect if needed, send the whole datagram. On failure the socket is closed
// (the next call reconnects) and `error` holds errno.
bool SockWriter::try_send(const void* data, std::size_t size, int& error) {
  if (!fd_.valid() && !connect_socket(error)) return false;
  const ssize_t n = ::send(fd_.get(), data, size, MSG_NOSIGNAL);
  if (n == static_cast<ssize_t>(size)) return true;
  error = n < 0 ? errno : EMSGSIZE;  // a short datagram would be dropped by chronyd anyway
  fd_.reset();
  return false;
}

bool SockWriter::connect_socket(int& error) {
  util::Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    error = errno;
    return false;
  }
  const sockaddr_un addr = make_address(path_);
  // NOLINTNEXTLINE: the sockets API takes a sockaddr*.
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    error = errno;
    return false;
  }
  fd_ = std::move(fd);
  return true;
}

void SockWriter::note_up() {
  if (state_ == State::up) return;
  if (state_ == State::down) {
    log::notice("chronyd socket {} for {} delivering again", path_, name_);
  } else {
    log::info("chronyd socket {} for {}: delivering samples", path_, name_);
  }
  state_ = State::up;
}

void SockWriter::note_down(int error) {
  if (state_ == State::down) return;
  log::warning("chronyd socket {} for {} not available: {} (samples are dropped until it returns)",
               path_, name_, std::strerror(error));
  state_ = State::down;
}

}  // namespace nanotime::refclock
