#pragma once
// The seams between the conductor (conductor.hpp) and the world. Each has a real implementation
// (Linux, gpsd, chronyd, ptp4l: phc-pps-sync/daemon), a simulated one (sim/world.hpp: in
// realtime or in virtual time) and fakes in tests/unit/daemon, so the conductor cannot tell
// which it is driving. The PHC itself is phc::PtpClock (lib/phc/ptp_clock.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conductor/receiver_status.hpp"
#include "discipline/engine.hpp"
#include "discipline/events.hpp"
#include "gpsd/events.hpp"
#include "pps/pps_device.hpp"
#include "phc/ptp_clock.hpp"
#include "refclock/leap.hpp"

namespace nanotime::conductor {

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
  // Whether the source knows its gpsd connection itself (a gpsd client does, also before its
  // first connection); nullopt: it says so with Connected/Disconnected events, or has no gpsd.
  virtual std::optional<bool> connected() const { return std::nullopt; }
};

// The GNSS receiver's own state (model, time mode, survey, antenna, jamming): gpsd's raw UBX
// stream on a connection of its own (phc-pps-sync/daemon/receiver_watch.hpp), or the simulated
// receiver. Passive: it never writes to the receiver. Same shape as TodSource.
class ReceiverWatch {
 public:
  virtual ~ReceiverWatch() = default;
  virtual int fd() const = 0;                                   // −1: nothing to poll now
  virtual std::optional<std::int64_t> wake_mono_ns() const = 0;  // next maintain() wanted
  // When wake_mono_ns() has come / fd() is readable: the state, if it changed.
  virtual std::optional<ReceiverStatus> maintain(std::int64_t now_mono_ns) = 0;
  virtual std::optional<ReceiverStatus> read(std::int64_t now_mono_ns) = 0;
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

// The same PPS on a GPIO, timestamped by the kernel (/dev/ppsN: pps/pps_device.hpp, or the
// simulated wire): the independent reference of the PHC-to-system transfer. Fetched right after
// each EXTTS event, never waiting.
class GpioPpsSource {
 public:
  virtual ~GpioPpsSource() = default;
  // The latest assert edge the kernel timestamped (sequence, CLOCK_REALTIME ns); nullopt
  // before the first. Throws on a device failure.
  virtual std::optional<pps::PpsTimestamp> latest_assert() = 0;
  virtual std::string describe() const = 0;  // e.g. "/dev/pps0"
};

// Where the daemon gets its devices: the hardware (phc-pps-sync/daemon: Linux PHC, netlink,
// sysfs temperature) or the simulated world on the host's clocks (sim/). The daemon's loop
// polls their fds; a backend with work of its own (the simulation's event queue) is given
// process_due() on every loop pass and its next_wake_mono_ns() in the poll timeout.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual phc::PtpClock& clock() = 0;
  virtual LinkSource* link() = 0;                // null: the carrier is not watched
  virtual TemperatureSource* temperature() = 0;  // null: no sensor
  // null: no GPIO PPS wired (or configured).
  virtual GpioPpsSource* gpio_pps() { return nullptr; }
  // null: the daemon's own source from its configuration (gpsd or the system clock).
  virtual TodSource* tod() = 0;
  // null: the daemon's own watch from its configuration (or none).
  virtual ReceiverWatch* receiver_watch() { return nullptr; }
  virtual std::string describe() const = 0;  // for the log: which PHC
  // The PHC's driver name (/sys/class/ptp/ptpN/clock_name, e.g. "BCM54210PE PHC"), from which
  // the configuration's phc_latch_model = "auto" picks the latch model; "" when unknown.
  virtual std::string clock_name() const { return ""; }
  // The devices are fixed by the backend (a simulated rig): the configuration's device keys
  // (device, channel, cable delay, time-of-day source, temperature file) do not apply.
  virtual bool fixed_devices() const { return false; }
  // What the devices dictate over the configured engine settings (a simulated rig: its antenna
  // cable, its edges, its driver's limit, its TAI − UTC). Nothing for the hardware.
  virtual void dictate(discipline::EngineConfig&) const {}
  virtual void process_due() {}
  virtual std::optional<std::int64_t> next_wake_mono_ns() const { return std::nullopt; }
};

}  // namespace nanotime::conductor
