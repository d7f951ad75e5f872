#pragma once
// The simulated world: one PHC, one GNSS receiver, gpsd, the link and the board temperature,
// behind the same ports as the hardware (phc::PtpClock, TodSource, LinkSource,
// TemperatureSource), so the real Conductor drives it exactly as it drives the devices.
//
// Time comes from an injected conductor::Clocks: the host's (`phc-pps-sync --simulate
// --realtime`, the demo) or a virtual clock that a runner moves from one event to the next
// (sim/simulation.cpp: a simulated day in a fraction of a second). The world has one event
// queue; sync() processes every event due by the clocks' mono time, so the PHC is always read
// at the present. Each edge is captured at its exact simulated instant whenever sync() gets
// round to it: a busy host delays delivery, never the timestamps.
//
// Axes: simulated t = mono − mono_t0 (t = 0 is a whole true second: a PPS edge). The system
// clock reads true UTC − [sim] system_offset_s. Per pulse k (sim::PulsePlanner draws it):
//   EXTTS capture at the edge's true instant, delivered delivery_delay later (carrier loss:
//     none; stale_duplicates: the last capture again 4×/s for the first seconds of the loss);
//   gpsd PPS report 20 ms before the edge, time report (TOFF) with LeapInfo at k + delay.
// gpsd is connected with a 3D fix from t = 0; a tod_outage disconnects it for its window.
// Truth counters (pulses seen and lost) and the recent deliveries (to judge the labels the
// engine gives pulses) are kept here, where the truth is.
//
// A PHC read (read_system) is latched at the host's present — in realtime too, so the real
// chronyd of the demo sees what a CM4 gives it — and [phc_read] (sim/phc_read.hpp) draws the
// system-clock bracket around that instant; a request may fail with phc::PhcReadError
// (error_probability). [pps_gpio] makes the world a GpioPpsSource: each true rising edge is
// timestamped with the system clock plus a drawn latency, numbered (a lost pulse skips its
// number) and visible from that instant on. Neither adds an event to the queue nor draws from
// another model's stream: runs without these sections are bit-identical to runs before them.

#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <queue>
#include <vector>

#include "conductor/ports.hpp"
#include "discipline/events.hpp"
#include "phc/ptp_clock.hpp"
#include "sim/faults.hpp"
#include "sim/phc.hpp"
#include "sim/phc_read.hpp"
#include "sim/profile.hpp"
#include "sim/pulse_plan.hpp"
#include "sim/temperature.hpp"
#include "sim/timescale.hpp"
#include "util/fd.hpp"

namespace nanotime::sim {

// A level-triggered readiness flag. In virtual time the runner asks is_set() (no syscall); an
// event loop that polls asks fd(), which creates an eventfd then and mirrors the flag in it.
class ReadyFlag {
 public:
  bool is_set() const { return set_; }
  int fd() const;  // throws std::system_error if no eventfd can be made
  void set();
  void clear();

 private:
  mutable util::Fd fd_;
  bool set_ = false;
};

struct WorldOptions {
  // The daemon's frequency clamp (the profile's max_adj_ppb applies as well).
  double max_freq_ppb = std::numeric_limits<double>::infinity();
  // true: t = 0 is the profile's start_utc (with its leap second) at the clocks' present, which
  // must read mono = anything, realtime = start_utc − system_offset_s (virtual time).
  // false: t = 0 is the next whole true second at least 1 s after the clocks' present; start_utc
  // and leap_second are ignored (realtime: the host's clocks).
  bool profile_epoch = false;
  // Generate pulses 1 … last_pulse only (and faults up to then); none: forever.
  std::optional<std::int64_t> last_pulse;
};

struct WorldCounters {
  std::uint64_t pulses_seen = 0;  // real rising edges delivered to user space
  std::uint64_t pulses_lost = 0;  // sent by the receiver, never delivered
  std::uint64_t read_requests = 0;
  std::uint64_t read_errors = 0;  // requests failed with ETIMEDOUT ([phc_read] error_probability)
  std::uint64_t gpio_pulses = 0;  // GPIO edges timestamped
  std::uint64_t gpio_lost = 0;    // GPIO edges never timestamped
};

// The driver name (/sys/class/ptp/ptpN/clock_name) the simulated PHC reports, which makes the
// configuration's phc_latch_model = "auto" (transfer::model_for_driver) pick the right model:
// with [phc_read] the world describes the CM4's PHY, so bcm-phy-ptp; with precise_offset the
// caps say cross-timestamping, so precise; otherwise a name no model knows (midpoint).
std::string simulated_clock_name(const Profile& profile);

class World final : public phc::PtpClock {
 public:
  World(const Profile& profile, std::uint64_t seed, conductor::Clocks& clocks,
        WorldOptions options = {});
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Process every event due by the clocks' mono time now.
  void sync();
  // Host mono time of the next event; nullopt when the queue is empty (a bounded run's end).
  std::optional<std::int64_t> next_event_mono_ns() const;

  std::int64_t mono_t0_ns() const { return mono_t0_; }
  std::int64_t start_utc_s() const { return start_utc_s_; }
  std::int64_t now_t_ns() const { return now_t_ns_; }
  const Timescale& timescale() const { return ts_; }
  const WorldCounters& counters() const { return counters_; }

  // ---- the truth (for runners and tests; the conductor never asks) ----
  // PHC − TAI now (after sync()), exact.
  double true_phc_error_ns() const { return phc_.error_ns(); }
  // The true system time at which a PHC value of the last request was latched; nullopt if no
  // read of it gave that value.
  std::optional<std::int64_t> true_latch_system_ns(std::int64_t phc_ns) const;
  // A chrony sample's claimed UTC (system_ns + offset_ns) − true UTC at that system time, ns.
  // During an inserted leap second either TAI − UTC is a fair claim: the smaller error counts.
  double utc_error_ns(std::int64_t system_ns, double claimed_offset_ns) const;
  // The true TAI second of the delivered edge a pulse measurement stands for (matched by PHC
  // time among the recent deliveries, stale duplicates included); nullopt: no such edge.
  std::optional<std::int64_t> true_tai_s_of(const discipline::PulseMeasurement& m) const;

  // ---- readiness, without syscalls ----
  bool extts_pending() const { return extts_flag_.is_set(); }
  bool tod_pending() const { return tod_flag_.is_set(); }
  bool link_pending() const { return link_flag_.is_set(); }

  conductor::TodSource& tod() { return tod_; }
  conductor::LinkSource& link() { return link_; }
  conductor::TemperatureSource* temperature() {
    return has_temperature_ ? &temperature_source_ : nullptr;
  }
  // The receiver's own state ([receiver]); null without that table (no watch, as today).
  conductor::ReceiverWatch* receiver_watch() {
    return profile_.receiver.present ? &receiver_watch_ : nullptr;
  }
  // The GPIO PPS wire ([pps_gpio]); null without one.
  conductor::GpioPpsSource* gpio_pps() { return gpio_model_.present() ? &gpio_ : nullptr; }

  // ---- phc::PtpClock ----
  phc::PhcCaps caps() override;
  void set_pin_function(unsigned pin, phc::PinFunction func, unsigned channel) override;
  void enable_extts(unsigned channel) override;
  void disable_extts(unsigned channel) override;
  std::size_t read_extts(std::vector<phc::ExttsRecord>& out) override;
  double set_frequency_ppb(double freq_ppb) override;
  void step_ns(std::int64_t delta_ns) override;
  std::int64_t now_ns() override;
  // Throws phc::PhcReadError when [phc_read] draws a failed request.
  phc::PhcReadings read_system(unsigned reads) override;
  int poll_fd() const override { return extts_flag_.fd(); }

 private:
  enum class Kind : std::uint8_t { generate, capture, deliver, stale, tod, carrier };
  struct Queued {
    std::int64_t t_ns = 0;
    std::uint64_t seq = 0;
    Kind kind = Kind::generate;
    std::int64_t k = 0;
    bool deliver = false;
    bool falling = false;
    bool up = false;
    double extra_ns = 0;
    std::int64_t delay_ns = 0;
    std::int64_t phc_ns = 0;
    std::int64_t tai_s = 0;
    std::uint32_t tod_slot = 0;  // tod: its event in tod_pool_ (keeps the queue entries small)
  };
  struct Later {
    bool operator()(const Queued& a, const Queued& b) const {
      return a.t_ns != b.t_ns ? a.t_ns > b.t_ns : a.seq > b.seq;
    }
  };
  struct Capture {
    std::int64_t phc_ns = 0;
    std::int64_t tai_s = 0;
    bool falling = false;
  };
  struct RecentEdge {
    std::int64_t phc_eff_ns = 0;  // PHC time of the rising edge it stands for
    std::int64_t tai_s = 0;       // the true TAI second of that edge
  };

  class Tod final : public conductor::TodSource {
   public:
    explicit Tod(World& w) : w_(w) {}
    int fd() const override { return w_.tod_flag_.fd(); }
    std::optional<std::int64_t> wake_mono_ns() const override { return std::nullopt; }
    std::vector<gpsd::Event> maintain(std::int64_t) override { return {}; }
    std::vector<gpsd::Event> read_events(std::int64_t now_mono_ns) override;
    std::string describe() const override { return "simulated receiver"; }

   private:
    World& w_;
  };
  class Link final : public conductor::LinkSource {
   public:
    explicit Link(World& w) : w_(w) {}
    int fd() const override { return w_.link_flag_.fd(); }
    bool carrier() const override { return w_.carrier_; }
    std::optional<bool> read_change() override;

   private:
    World& w_;
  };
  class Temperature final : public conductor::TemperatureSource {
   public:
    explicit Temperature(World& w) : w_(w) {}
    std::optional<double> read_celsius() override;

   private:
    World& w_;
  };
  class Gpio final : public conductor::GpioPpsSource {
   public:
    explicit Gpio(World& w) : w_(w) {}
    std::optional<pps::PpsTimestamp> latest_assert() override;
    std::string describe() const override { return "simulated GPIO PPS"; }

   private:
    World& w_;
  };
  // The receiver's messages once a second, as the daemon's watch would decode them.
  class RxWatch final : public conductor::ReceiverWatch {
   public:
    explicit RxWatch(World& w) : w_(w) {}
    int fd() const override { return -1; }
    std::optional<std::int64_t> wake_mono_ns() const override;
    std::optional<conductor::ReceiverStatus> maintain(std::int64_t now_mono_ns) override;
    std::optional<conductor::ReceiverStatus> read(std::int64_t) override { return std::nullopt; }
    std::string describe() const override { return "simulated receiver"; }

   private:
    World& w_;
    std::optional<conductor::ReceiverStatus> last_;
    std::int64_t next_mono_ns_ = 0;
  };
  struct GpioEdge {
    std::int64_t visible_t_ns = 0;  // the kernel's timestamp (true time) exists from then on
    std::uint32_t sequence = 0;
  };
  struct Anchor {
    std::int64_t real_minus_mono_ns = 0;
    std::int64_t start_utc_s = 0;
    std::int64_t mono_t0_ns = 0;
  };
  static Anchor anchor(conductor::Clocks& clocks, const Profile& profile, bool profile_epoch);

  void sync_to(std::int64_t mono_ns);
  std::int64_t t_of(std::int64_t mono_ns) const { return mono_ns - mono_t0_; }
  std::int64_t real_of_t(std::int64_t t_ns) const { return t_ns + mono_t0_ + real_minus_mono_; }
  bool in_run(std::int64_t t_ns) const;
  std::int64_t read_phc(std::int64_t t_ns, double extra_ns = 0) const;
  void push(Queued q);
  void push_tod(std::int64_t t_ns, gpsd::Event e);
  void schedule_faults();
  void dispatch(const Queued& q);
  void generate(std::int64_t k);
  void capture(const Queued& q);
  void timestamp_gpio(const PlannedCapture& rising);
  bool deliver(const Capture& c);  // false: EXTTS is off

  Profile profile_;
  conductor::Clocks& clocks_;
  WorldOptions options_;
  Anchor anchor_;
  std::int64_t& real_minus_mono_ = anchor_.real_minus_mono_ns;
  std::int64_t& start_utc_s_ = anchor_.start_utc_s;
  std::int64_t& mono_t0_ = anchor_.mono_t0_ns;
  Timescale ts_;
  FaultSchedule faults_;
  TemperatureModel temperature_;
  SimulatedPhc phc_;
  PulsePlanner planner_;
  PhcReadModel read_model_;
  GpioPpsModel gpio_model_;
  bool has_temperature_;

  std::priority_queue<Queued, std::vector<Queued>, Later> queue_;
  std::uint64_t seq_ = 0;
  std::vector<gpsd::Event> tod_pool_;
  std::vector<std::uint32_t> tod_free_;
  std::int64_t now_t_ns_ = 0;
  std::optional<Capture> last_capture_;
  std::deque<RecentEdge> recent_;
  WorldCounters counters_;
  bool extts_enabled_ = false;
  bool pin_extts_ = false;
  bool carrier_ = true;

  std::vector<phc::ExttsRecord> extts_ready_;
  std::vector<gpsd::Event> tod_ready_;
  std::optional<bool> link_ready_;
  ReadyFlag extts_flag_, tod_flag_, link_flag_;
  std::vector<std::pair<std::int64_t, std::int64_t>> last_latches_;  // (phc, true system time)
  std::deque<GpioEdge> gpio_pending_;
  std::optional<pps::PpsTimestamp> gpio_latest_;
  std::uint32_t gpio_sequence_ = 0;
  Gpio gpio_;
  Tod tod_;
  Link link_;
  Temperature temperature_source_;
  RxWatch receiver_watch_;
};

}  // namespace nanotime::sim
