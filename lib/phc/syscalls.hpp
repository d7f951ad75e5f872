#pragma once
// The seam between the PHC code and the kernel. Every system call the PHC code makes goes
// through this interface so that tests can record and script them: no machine running the
// unit tests has a PHC, and the ABI details (ioctl numbers, struct layouts, timex fields) are
// exactly what the tests must check.
//
// Convention: each call returns its non-negative result, or -errno on failure (never -1 with
// errno), so a fake can script errors without touching the global errno.

#include <poll.h>
#include <sys/timex.h>
#include <sys/types.h>
#include <time.h>

#include <cstddef>

namespace nanotime::phc {

class Syscalls {
 public:
  virtual ~Syscalls() = default;
  virtual int open(const char* path, int flags) = 0;
  virtual int close(int fd) = 0;
  virtual int ioctl(int fd, unsigned long request, void* arg) = 0;
  virtual int clock_adjtime(clockid_t clock, struct timex* tx) = 0;
  virtual int clock_gettime(clockid_t clock, struct timespec* ts) = 0;
  virtual ssize_t read(int fd, void* buf, std::size_t len) = 0;
  virtual int poll(struct pollfd* fds, nfds_t n, int timeout_ms) = 0;
  virtual int socket(int domain, int type, int protocol) = 0;
};

// The real kernel.
Syscalls& linux_syscalls();

// The dynamic POSIX clock id of an open PHC character device (kernel FD_TO_CLOCKID).
constexpr clockid_t clock_id_from_fd(int fd) {
  return static_cast<clockid_t>((static_cast<unsigned>(~fd) << 3) | 3U);
}

}  // namespace nanotime::phc
