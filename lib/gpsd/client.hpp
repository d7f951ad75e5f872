#pragma once
// The I/O half of the gpsd client: connects with libgps, asks for JSON with TOFF and PPS
// (WATCH_ENABLE|WATCH_JSON|WATCH_PPS; docs/hardware-notes.md#gpsd), reads, and reconnects with
// exponential backoff (1 s → 30 s, backoff.hpp). It never blocks on reads and never busy-loops: the
// owner polls fd() for input and calls maintain() when next_attempt_ns() has come.
//
//   GpsdClient gpsd("127.0.0.1", 2947);
//   loop: events = gpsd.maintain(now)              (connects when due: Connected)
//         poll(gpsd.fd(), POLLIN, timeout until gpsd.next_attempt_ns() when disconnected)
//         events = gpsd.read_events(now)           (reports, or Disconnected on error/EOF)
//
// A read error or a closed connection (gpsd stopped, a garbage or over-long line that libgps
// refuses) closes the connection and logs one line; the next attempt follows the backoff.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gpsd/backoff.hpp"
#include "gpsd/events.hpp"
#include "gpsd/translator.hpp"

struct gps_data_t;

namespace nanotime::gpsd {

class GpsdClient {
 public:
  GpsdClient(std::string host, int port);
  ~GpsdClient();
  GpsdClient(const GpsdClient&) = delete;
  GpsdClient& operator=(const GpsdClient&) = delete;

  // -1 while disconnected.
  int fd() const;
  bool connected() const { return connected_; }
  // When disconnected: the monotonic time of the next connection attempt.
  std::int64_t next_attempt_ns() const { return backoff_.next_attempt_ns(); }

  // Connects if disconnected and the backoff allows it. Returns Connected on success.
  std::vector<Event> maintain(std::int64_t now_ns);
  // Call when fd() is readable (or reports POLLHUP/POLLERR): reads every message libgps has
  // buffered and returns their events; Disconnected when the connection failed.
  std::vector<Event> read_events(std::int64_t now_ns);

  const TranslatorCounters& counters() const { return translator_.counters(); }
  const std::string& endpoint() const { return endpoint_; }

 private:
  void close();
  Event disconnect(std::int64_t now_ns, std::string reason);

  std::string host_;
  std::string port_;
  std::string endpoint_;
  std::unique_ptr<gps_data_t> data_;
  bool connected_ = false;
  bool reported_down_ = false;
  Backoff backoff_;
  Translator translator_;
};

}  // namespace nanotime::gpsd
