#pragma once
// The real implementations of the daemon's ports (ports.hpp): host clocks, chronyd's SOCK,
// gpsd, the system clock as a time-of-day source, and the board's temperature file.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "conductor/ports.hpp"
#include "gpsd/client.hpp"
#include "refclock/sock_writer.hpp"
#include "util/fd.hpp"

namespace nanotime::ppsd {

// The daemon implements and drives the conductor's ports (lib/conductor).
using namespace nanotime::conductor;

class SystemClocks final : public Clocks {
 public:
  std::int64_t mono_ns() override;
  std::int64_t realtime_ns() override;
};

class SockChronySink final : public ChronySink {
 public:
  explicit SockChronySink(const std::string& path) : writer_(path, "PHC0") {}
  bool send_time(std::int64_t system_ns, double offset_ns, refclock::Leap leap) override {
    return writer_.send_time(system_ns, offset_ns, leap) == refclock::Delivery::sent;
  }
  const refclock::SockWriter& writer() const { return writer_; }

 private:
  refclock::SockWriter writer_;
};

class GpsdTodSource final : public TodSource {
 public:
  GpsdTodSource(const std::string& host, int port) : client_(host, port) {}
  int fd() const override { return client_.fd(); }
  std::optional<std::int64_t> wake_mono_ns() const override {
    if (client_.connected()) return std::nullopt;
    return client_.next_attempt_ns();
  }
  std::vector<gpsd::Event> maintain(std::int64_t now) override { return client_.maintain(now); }
  std::vector<gpsd::Event> read_events(std::int64_t now) override {
    return client_.read_events(now);
  }
  std::string describe() const override { return "gpsd " + client_.endpoint(); }
  std::optional<bool> connected() const override { return client_.connected(); }

 private:
  gpsd::GpsdClient client_;
};

// Pure: is the system clock good enough to name seconds? adjtimex() status without
// STA_UNSYNC and maxerror (µs) below the limit.
bool system_clock_usable(int status, long maxerror_us, double max_error_s);

// tod_source = "system" (like ts2phc's generic source): at every half second of the system
// clock, "the edge of second S happened 0.5 s ago" when the clock is synchronised (by chronyd
// from other sources). The engine's labeler accepts a message 0.1 … 0.9 s after its edge, so
// the system clock may be up to ±0.4 s off; we ask for far better (system_max_error_s).
// Trade-off: no receiver leap warning or TAI − UTC (leap-seconds.list supplies both), and the
// second labels are only as right as the system clock — if chronyd's only source is PHC0 itself
// the loop is closed for the seconds (not the sub-second phase, which is the PPS edge's).
class SystemTodSource final : public TodSource {
 public:
  explicit SystemTodSource(double max_error_s);
  int fd() const override { return timer_.get(); }
  std::optional<std::int64_t> wake_mono_ns() const override { return std::nullopt; }
  std::vector<gpsd::Event> maintain(std::int64_t) override { return {}; }
  std::vector<gpsd::Event> read_events(std::int64_t now) override;
  std::string describe() const override { return "system clock"; }

 private:
  void arm();
  double max_error_s_;
  util::Fd timer_;
  std::optional<bool> usable_;
};

// Pure: a sysfs thermal reading ("45123\n", millidegrees Celsius) → °C.
std::optional<double> parse_millicelsius(std::string_view text);

class FileTemperature final : public TemperatureSource {
 public:
  explicit FileTemperature(std::string path) : path_(std::move(path)) {}
  std::optional<double> read_celsius() override;

 private:
  std::string path_;
  bool warned_ = false;
};

}  // namespace nanotime::ppsd
