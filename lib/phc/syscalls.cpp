#include "phc/syscalls.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace nanotime::phc {
namespace {

int result(long r) { return r < 0 ? -errno : static_cast<int>(r); }

class LinuxSyscalls final : public Syscalls {
 public:
  int open(const char* path, int flags) override { return result(::open(path, flags)); }
  int close(int fd) override { return result(::close(fd)); }
  int ioctl(int fd, unsigned long request, void* arg) override {
    return result(::ioctl(fd, request, arg));
  }
  int clock_adjtime(clockid_t clock, struct timex* tx) override {
    return result(::clock_adjtime(clock, tx));
  }
  int clock_gettime(clockid_t clock, struct timespec* ts) override {
    return result(::clock_gettime(clock, ts));
  }
  ssize_t read(int fd, void* buf, std::size_t len) override {
    ssize_t r = ::read(fd, buf, len);
    return r < 0 ? -errno : r;
  }
  int poll(struct pollfd* fds, nfds_t n, int timeout_ms) override {
    return result(::poll(fds, n, timeout_ms));
  }
  int socket(int domain, int type, int protocol) override {
    return result(::socket(domain, type, protocol));
  }
};

}  // namespace

Syscalls& linux_syscalls() {
  static LinuxSyscalls instance;
  return instance;
}

}  // namespace nanotime::phc
