#pragma once
// A recording, scriptable Syscalls for the PHC tests: every call is logged with a copy of its
// argument bytes, and each ioctl request number / call kind answers from a queue of scripted
// handlers (default: success, argument untouched).

#include <cerrno>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "phc/syscalls.hpp"

namespace nanotime::phc::test {

struct Call {
  std::string name;        // "open", "ioctl", "clock_adjtime", ...
  int fd = -1;
  unsigned long request = 0;
  clockid_t clock = 0;
  int flags = 0;
  std::string path;
  std::vector<unsigned char> arg;  // the argument as passed in (before the handler ran)
  struct timex tx {};
};

class FakeSyscalls : public Syscalls {
 public:
  using IoctlHandler = std::function<int(void* arg)>;
  int next_fd = 7;
  int open_result = 0;  // 0: hand out next_fd; negative: -errno
  std::vector<Call> calls;
  std::map<unsigned long, std::deque<IoctlHandler>> ioctl_script;
  std::deque<int> adjtime_results;
  std::deque<int> poll_results;                       // 1 = readable, 0 = nothing
  std::deque<std::vector<unsigned char>> read_data;   // bytes per read(); empty → -EAGAIN
  struct timespec now {};

  int open(const char* path, int flags) override {
    Call c;
    c.name = "open";
    c.path = path;
    c.flags = flags;
    calls.push_back(c);
    return open_result < 0 ? open_result : next_fd;
  }
  int close(int fd) override {
    Call c;
    c.name = "close";
    c.fd = fd;
    calls.push_back(c);
    return 0;
  }
  int ioctl(int fd, unsigned long request, void* arg) override {
    Call c;
    c.name = "ioctl";
    c.fd = fd;
    c.request = request;
    std::size_t size = (request >> 16) & 0x3fff;  // _IOC_SIZE, so the arg is copied whole
    auto* p = static_cast<unsigned char*>(arg);
    c.arg.assign(p, p + size);
    calls.push_back(c);
    auto it = ioctl_script.find(request);
    if (it == ioctl_script.end() || it->second.empty()) return 0;
    IoctlHandler h = it->second.front();
    it->second.pop_front();
    return h(arg);
  }
  int clock_adjtime(clockid_t clock, struct timex* tx) override {
    Call c;
    c.name = "clock_adjtime";
    c.clock = clock;
    c.tx = *tx;
    calls.push_back(c);
    if (adjtime_results.empty()) return 0;
    int r = adjtime_results.front();
    adjtime_results.pop_front();
    return r;
  }
  int clock_gettime(clockid_t clock, struct timespec* ts) override {
    Call c;
    c.name = "clock_gettime";
    c.clock = clock;
    calls.push_back(c);
    *ts = now;
    return 0;
  }
  ssize_t read(int fd, void* buf, std::size_t len) override {
    Call c;
    c.name = "read";
    c.fd = fd;
    c.flags = static_cast<int>(len);
    calls.push_back(c);
    if (read_data.empty()) return -EAGAIN;
    auto d = read_data.front();
    read_data.pop_front();
    if (d.empty()) return -EAGAIN;
    std::size_t n = std::min(len, d.size());
    std::memcpy(buf, d.data(), n);
    return static_cast<ssize_t>(n);
  }
  int poll(struct pollfd* fds, nfds_t, int timeout_ms) override {
    Call c;
    c.name = "poll";
    c.fd = fds[0].fd;
    c.flags = timeout_ms;
    calls.push_back(c);
    int r = 0;
    if (!poll_results.empty()) {
      r = poll_results.front();
      poll_results.pop_front();
    }
    fds[0].revents = r > 0 ? POLLIN : 0;
    return r;
  }
  int socket(int domain, int type, int protocol) override {
    Call c;
    c.name = "socket";
    c.flags = domain;
    c.request = static_cast<unsigned long>(type);
    c.fd = protocol;
    calls.push_back(c);
    return 5;
  }

  std::vector<Call> named(const std::string& name) const {
    std::vector<Call> out;
    for (const auto& c : calls)
      if (c.name == name) out.push_back(c);
    return out;
  }
};

}  // namespace nanotime::phc::test
