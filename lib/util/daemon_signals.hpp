#pragma once
// The daemons' signals as one pollable fd: SIGTERM and SIGINT stop, SIGHUP reloads. They are
// blocked for the process and read through a signalfd, so they arrive in the event loop as
// ordinary readable data, never as a handler interrupting a half-done update.
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include "util/fd.hpp"

namespace nanotime::util {

class DaemonSignals {
 public:
  enum class Action { stop, reload };
  struct Received {
    Action action;
    int signo;
  };

  // Throws std::runtime_error naming the call that failed.
  DaemonSignals() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) {
      throw std::runtime_error(std::string("sigprocmask: ") + std::strerror(errno));
    }
    fd_.reset(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd_.valid()) throw std::runtime_error(std::string("signalfd: ") + std::strerror(errno));
  }

  int fd() const { return fd_.get(); }

  // The next pending signal, or nothing when none is pending.
  std::optional<Received> next() {
    signalfd_siginfo info{};
    if (read(fd_.get(), &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return std::nullopt;
    const int signo = static_cast<int>(info.ssi_signo);
    return Received{signo == SIGHUP ? Action::reload : Action::stop, signo};
  }

 private:
  Fd fd_;
};

}  // namespace nanotime::util
