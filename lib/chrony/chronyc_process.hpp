#pragma once
// A chronyc child whose stdout the daemon's event loop watches: spawned with posix_spawnp (no
// shell), its commands written to a stdin pipe before it starts (they fit a pipe's buffer, so
// the spawn never blocks), stdout non-blocking, stderr to /dev/null. The destructor kills and
// reaps whatever still runs: no zombie, no fd left behind.

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/fd.hpp"

namespace nanotime::chrony {

// What the poller needs of a child (tests use a fake on a pipe of their own).
class Child {
 public:
  enum class Read { more, eof };
  virtual ~Child() = default;
  virtual int fd() const = 0;
  // Appends what can be read now without blocking.
  virtual Read read_some(std::string& out) = 0;
};

class ChronycProcess : public Child {
 public:
  // Throws std::system_error when it cannot be started (e.g. chronyc not installed: ENOENT).
  ChronycProcess(const std::vector<std::string>& argv, std::string_view input);
  ~ChronycProcess() override;
  ChronycProcess(const ChronycProcess&) = delete;
  ChronycProcess& operator=(const ChronycProcess&) = delete;

  int fd() const override { return out_.get(); }
  Read read_some(std::string& out) override;

 private:
  util::Fd out_;
  pid_t pid_ = -1;
};

std::unique_ptr<Child> spawn_chronyc(const std::vector<std::string>& argv, std::string_view input);

}  // namespace nanotime::chrony
