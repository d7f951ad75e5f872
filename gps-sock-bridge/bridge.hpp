#pragma once
// The bridge's core: gpsd events in, chrony samples out. Pure (no clock reads, no I/O): the
// daemon passes the monotonic time of each event and receives samples through Outputs, so the
// whole policy is unit-tested in simulated time.
//
// Time stream (TOFF, refid GPS):   system = TOFF.clock (arrival of the serial message)
//                                  true − system = (TOFF.real + serial_delay) − TOFF.clock
// PPS stream (refid PPS):          system = PPS.clock (system time of the edge)
//                                  true − system = (PPS.real − qErr) − PPS.clock
//   qErr sign: u-blox (UBX-TIM-TP) and gpsd report qErr as the correction to ADD to the pulse's
//   measured time to get the ideal top of the second: the pulse came qErr early, so at the edge
//   the true time was real − qErr. (Time-interval-counter measurements confirm the sign: the
//   counter reading "reference → receiver pulse" is smoothed by adding qErr.)
// Both only with a fix (TPV mode >= min_fix_mode), each through its own OffsetGate.

#include <cstdint>
#include <optional>
#include <string>

#include "config.hpp"
#include "gpsd/events.hpp"
#include "leap_window.hpp"
#include "offset_gate.hpp"
#include "refclock/leap.hpp"
#include "serial_delay.hpp"

namespace nanotime::bridge {

struct Sample {
  std::int64_t system_ns = 0;
  double true_minus_system_ns = 0;
  refclock::Leap leap = refclock::Leap::normal;
};

class Outputs {
 public:
  virtual ~Outputs() = default;
  virtual void time_sample(const Sample& s) = 0;
  virtual void pps_sample(const Sample& s) = 0;
};

struct BridgeCounters {
  std::uint64_t time_sent = 0;
  std::uint64_t time_held = 0;     // held back by the jump gate
  std::uint64_t time_no_fix = 0;   // dropped: no fix
  std::uint64_t time_no_delay = 0; // dropped: offset_s = "auto" and no estimate yet
  std::uint64_t pps_sent = 0;
  std::uint64_t pps_held = 0;
  std::uint64_t pps_no_fix = 0;

  // Reports not sent, for nanotime_bridge_samples_total{result="rejected"}.
  std::uint64_t time_rejected() const { return time_held + time_no_fix + time_no_delay; }
  std::uint64_t pps_rejected() const { return pps_held + pps_no_fix; }
};

// The last sample sent on each stream (for the status endpoint); nullopt before the first.
struct LastSamples {
  std::optional<double> time_offset_ns;  // TOFF real − clock + serial delay
  std::optional<double> pps_offset_ns;   // PPS real − clock − qErr
  std::optional<double> pps_qerr_ns;     // qErr of the last PPS report that carried one
};

class Bridge {
 public:
  // Without a PPS report for this long, PPS is "absent".
  static constexpr std::int64_t kPpsTimeoutNs = 3'000'000'000;
  // The serial-delay estimate is logged again only when it moved by more than this.
  static constexpr double kDelayLogStepNs = 1e6;

  Bridge(const BridgeConfig& config, Outputs& outputs);

  void handle(const gpsd::Event& event, std::int64_t now_mono_ns);
  // Call at least once a second: notices PPS going absent.
  void tick(std::int64_t now_mono_ns);

  // A schedule for the leap flag (none today: see leap_window.hpp).
  void set_scheduled_leap(std::optional<ScheduledLeap> leap) { leap_ = leap; }

  bool gpsd_connected() const { return gpsd_up_; }
  bool has_fix() const { return fix_ok(); }
  bool pps_present() const { return pps_present_; }
  std::optional<double> serial_delay_estimate_ns() const { return delay_.estimate_ns(); }
  const BridgeCounters& counters() const { return counters_; }
  int fix_mode() const { return mode_; }
  std::optional<int> satellites_used() const { return satellites_used_; }
  const LastSamples& last_samples() const { return last_; }
  // One line for sd_notify STATUS= and the periodic log.
  std::string status() const;

 private:
  void on_time(const gpsd::TimeReport& r);
  void on_pulse(const gpsd::PulseReport& r, std::int64_t now_mono_ns);
  void on_fix(const gpsd::FixState& f);
  void on_connection(bool up);
  void note_delay_estimate();
  bool fix_ok() const { return mode_ >= config_.min_fix_mode; }
  std::optional<double> serial_delay_ns() const;

  BridgeConfig config_;
  Outputs& outputs_;
  OffsetGate time_gate_;
  OffsetGate pps_gate_;
  SerialDelayEstimator delay_;
  std::optional<ScheduledLeap> leap_;
  BridgeCounters counters_;
  LastSamples last_;
  std::optional<int> satellites_used_;

  int mode_ = 0;
  bool gpsd_up_ = false;
  bool fix_reported_ = false;  // a fix has been seen (so "fix lost" is worth a line)
  bool pps_present_ = false;
  std::int64_t last_pps_mono_ns_ = 0;
  std::optional<double> logged_delay_ns_;
  bool auto_wait_logged_ = false;
  bool auto_bound_logged_ = false;
  int leap_seconds_ = 0;
};

}  // namespace nanotime::bridge
