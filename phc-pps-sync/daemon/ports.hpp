#pragma once
// The seams between the conductor (conductor.hpp) and the world. Each has a real implementation
// (Linux, gpsd, chronyd, ptp4l), a realtime-simulation one (sim_backend.hpp) and fakes in
// tests/unit/daemon, so the conductor cannot tell which it is driving.
// The PHC itself is phc::PtpClock (lib/phc/ptp_clock.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "discipline/events.hpp"
#include "gpsd/events.hpp"
#include "refclock/leap.hpp"

namespace nanotime::ppsd {

// The host's clocks. The conductor reads them only through this, so tests run on a fake.
class Clocks {
 public:
  virtual ~Clocks() = default;
  virtual std::int64_t mono_ns() = 0;      // CLOCK_MONOTONIC
  virtual std::int64_t realtime_ns() = 0;  // CLOCK_REALTIME (the system clock)
};

// Where time-of-day messages come from: gpsd, the synchronised system clock, or the simulated
// receiver. Same shape as gpsd::GpsdClient: poll fd() for input, call maintain() when
// wake_mono_ns() has come (reconnects, timers), read_events() when fd() is readable.
class TodSource {
 public:
  virtual ~TodSource() = default;
  virtual int fd() const = 0;                                   // −1: nothing to poll now
  virtual std::optional<std::int64_t> wake_mono_ns() const = 0;  // next maintain() wanted
  virtual std::vector<gpsd::Event> maintain(std::int64_t now_mono_ns) = 0;
  virtual std::vector<gpsd::Event> read_events(std::int64_t now_mono_ns) = 0;
  virtual std::string describe() const = 0;
};

// The PHY's carrier (netlink RTMGRP_LINK, or the simulated link).
class LinkSource {
 public:
  virtual ~LinkSource() = default;
  virtual int fd() const = 0;
  virtual bool carrier() const = 0;
  // Call when fd() is readable: the new carrier state if it changed.
  virtual std::optional<bool> read_change() = 0;
};

// Board temperature, read on each tick.
class TemperatureSource {
 public:
  virtual ~TemperatureSource() = default;
  virtual std::optional<double> read_celsius() = 0;
};

// chronyd's SOCK refclock (refid PHC0): full-time samples, offset = true − system.
class ChronySink {
 public:
  virtual ~ChronySink() = default;
  virtual bool send_time(std::int64_t system_ns, double true_minus_system_ns,
                         refclock::Leap leap) = 0;  // true: delivered
};

// ptp4l's GRANDMASTER_SETTINGS_NP (clock class, accuracy, time properties).
class QualityPublisher {
 public:
  virtual ~QualityPublisher() = default;
  // What ptp4l should announce from now on.
  virtual void want(const discipline::ClockQuality& q, std::int64_t now_mono_ns) = 0;
  // Re-sends, checks and answers (call on every loop pass and when fd() is readable).
  virtual void service(std::int64_t now_mono_ns) = 0;
  virtual int fd() const = 0;
  // Shutdown: announce `q` and wait at most timeout_ms for ptp4l to confirm. True if it did.
  virtual bool announce_final(const discipline::ClockQuality& q, int timeout_ms) = 0;
};

}  // namespace nanotime::ppsd
