#pragma once
// chrony SOCK refclock writer (chrony 4.3 refclock_sock.c;
// docs/hardware-notes.md#chrony-sock).
//
// The datagram is chrony's `struct sock_sample` with this platform's own struct timeval:
// 40 bytes with 64-bit time_t, 32 bytes on Debian 12 armhf (32-bit time_t). chrony drops any
// other size silently, so the layout is checked at compile time (sock_sample.hpp).
//
// Two kinds of sample, two calls, so a sign cannot be mixed up:
//   send_time():  a full time.   offset = true − system   ("the system clock is behind by this")
//   send_pulse(): a pulse edge.  offset = system − true   (opposite sign; chrony uses only the
//                 fraction of a second and needs a `lock` source or a synchronised clock)
// System times are taken in nanoseconds and truncated to chrony's microseconds; the offset is
// sent unchanged (it is the same at the truncated time: see make_sock_sample in sock_sample.hpp
// for why moving the remainder into the offset would be a bug).
//
// Never blocks. Connects lazily; when chronyd is not running or was restarted (ENOENT,
// ECONNREFUSED) the sample is reported not delivered, the writer reconnects on a later call and
// logs each change of state once. A socket that was working and then refuses (chronyd
// restarted: new inode) is reconnected at once and the sample retried, so a restart of chronyd
// loses no sample. Not thread-safe: one writer per thread.

#include <cstddef>
#include <cstdint>
#include <string>

#include "refclock/leap.hpp"
#include "util/fd.hpp"

namespace nanotime::refclock {

enum class Delivery { sent, not_delivered };

struct SockCounters {
  std::uint64_t sent = 0;
  std::uint64_t not_delivered = 0;
};

class SockWriter {
 public:
  // `path`: chronyd's socket (refclock SOCK path). `name`: for log messages, e.g. "PHC0".
  // Throws std::invalid_argument if the path does not fit a sockaddr_un.
  SockWriter(std::string path, std::string name);

  Delivery send_time(std::int64_t system_ns, double true_minus_system_ns, Leap leap);
  Delivery send_pulse(std::int64_t system_ns, double system_minus_true_ns, Leap leap);

  const SockCounters& counters() const { return counters_; }
  bool connected() const { return fd_.valid(); }
  const std::string& path() const { return path_; }

 private:
  Delivery send(std::int64_t system_ns, double offset_ns, bool pulse, Leap leap);
  bool try_send(const void* data, std::size_t size, int& error);
  bool connect_socket(int& error);
  void note_up();
  void note_down(int error);

  enum class State { unknown, up, down };

  std::string path_;
  std::string name_;
  util::Fd fd_;
  SockCounters counters_;
  State state_ = State::unknown;
};

}  // namespace nanotime::refclock
