#pragma once
// `phc-pps-sync --simulate PROFILE --realtime`: the simulator's PHC, receiver, gpsd messages,
// link and temperature (sim/), clocked by the host's CLOCK_MONOTONIC, behind the same ports as
// the hardware (phc::PtpClock, TodSource, LinkSource, TemperatureSource). The conductor and the
// outputs (chronyd SOCK, ptp4l, status) are the real ones.
//
// Time: simulated t = host mono − mono_t0. True UTC = host CLOCK_REALTIME + [sim]
// system_offset_s, so a chronyd -x fed by the daemon shows that offset. t = 0 is put on a whole
// true UTC second 1–2 s after start (PPS edges are at whole TAI seconds); [sim] start_utc,
// leap_second and duration_s are ignored (the run lasts until SIGTERM).
//
// Events are generated exactly as sim/simulation.cpp does: both take each second's draws from
// sim::PulsePlanner (sim/pulse_plan.hpp: same models, same draws, same fault semantics). The
// PHC captures each edge at its exact simulated instant, whenever the loop gets round to
// processing it, so a busy host delays delivery, never the timestamps.
// sync() processes everything due by "now"; every PHC access calls it first, so the simulated
// PHC is always read at the present.

#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

#include "daemon/ports.hpp"
#include "phc/ptp_clock.hpp"
#include "sim/faults.hpp"
#include "sim/phc.hpp"
#include "sim/profile.hpp"
#include "sim/pulse_plan.hpp"
#include "sim/temperature.hpp"
#include "sim/timescale.hpp"
#include "util/fd.hpp"

namespace nanotime::ppsd {

// A level-triggered readiness flag for poll(): eventfd, readable while set.
class ReadyFlag {
 public:
  ReadyFlag();
  int fd() const { return fd_.get(); }
  void set();
  void clear();

 private:
  util::Fd fd_;
  bool set_ = false;
};

class RealtimeSim final : public phc::PtpClock {
 public:
  // `clocks` gives the host's mono and realtime (a fake in tests). max_freq_ppb: the daemon's
  // clamp (the driver's max_adj from the profile applies as well).
  RealtimeSim(const sim::Profile& profile, std::uint64_t seed, Clocks& clocks,
              double max_freq_ppb);

  // Process every simulated event due by the host's mono time now.
  void sync();
  // Host mono time of the next simulated event (for the loop's poll timeout).
  std::int64_t next_event_mono_ns() const;
  std::int64_t mono_t0_ns() const { return mono_t0_; }
  std::int64_t start_utc_s() const { return start_utc_s_; }
  // Truth, for tests and the log: PHC − TAI now (after sync()).
  double true_phc_error_ns() const { return phc_.error_ns(); }

  TodSource& tod() { return tod_; }
  LinkSource& link() { return link_; }
  TemperatureSource* temperature() { return has_temperature_ ? &temperature_source_ : nullptr; }

  // ---- phc::PtpClock ----
  phc::PhcCaps caps() override;
  void set_pin_function(unsigned pin, phc::PinFunction func, unsigned channel) override;
  void enable_extts(unsigned channel) override;
  void disable_extts(unsigned channel) override;
  std::size_t read_extts(std::vector<phc::ExttsRecord>& out) override;
  double set_frequency_ppb(double freq_ppb) override;
  void step_ns(std::int64_t delta_ns) override;
  std::int64_t now_ns() override;
  phc::SysOffset sys_offset(unsigned samples) override;
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
    double extra_ns = 0;
    std::int64_t delay_ns = 0;
    std::int64_t phc_ns = 0;
    bool up = false;
    gpsd::Event tod;
  };
  struct Later {
    bool operator()(const Queued& a, const Queued& b) const {
      return a.t_ns != b.t_ns ? a.t_ns > b.t_ns : a.seq > b.seq;
    }
  };

  class SimTod final : public TodSource {
   public:
    explicit SimTod(RealtimeSim& s) : s_(s) {}
    int fd() const override { return s_.tod_flag_.fd(); }
    std::optional<std::int64_t> wake_mono_ns() const override { return std::nullopt; }
    std::vector<gpsd::Event> maintain(std::int64_t) override { return {}; }
    std::vector<gpsd::Event> read_events(std::int64_t) override;
    std::string describe() const override { return "simulated receiver"; }

   private:
    RealtimeSim& s_;
  };
  class SimLink final : public LinkSource {
   public:
    explicit SimLink(RealtimeSim& s) : s_(s) {}
    int fd() const override { return s_.link_flag_.fd(); }
    bool carrier() const override { return s_.carrier_; }
    std::optional<bool> read_change() override;

   private:
    RealtimeSim& s_;
  };
  class SimTemperature final : public TemperatureSource {
   public:
    explicit SimTemperature(RealtimeSim& s) : s_(s) {}
    std::optional<double> read_celsius() override;

   private:
    RealtimeSim& s_;
  };

  void sync_to(std::int64_t mono_ns);
  std::int64_t t_of(std::int64_t mono_ns) const { return mono_ns - mono_t0_; }
  std::int64_t real_of_t(std::int64_t t_ns) const { return t_ns + mono_t0_ + real_minus_mono_; }
  void push(Queued q);
  void push_tod(std::int64_t t_ns, gpsd::Event e);
  void dispatch(const Queued& q);
  void generate(std::int64_t k);
  void capture(const Queued& q);
  void deliver(std::int64_t phc_ns);

  sim::Profile profile_;
  Clocks& clocks_;
  double max_freq_ppb_;
  struct Anchor {
    std::int64_t real_minus_mono_ns = 0;
    std::int64_t start_utc_s = 0;
    std::int64_t mono_t0_ns = 0;
  };
  static Anchor anchor(Clocks& clocks, double system_offset_s);
  Anchor anchor_;
  std::int64_t& real_minus_mono_ = anchor_.real_minus_mono_ns;
  std::int64_t& start_utc_s_ = anchor_.start_utc_s;
  std::int64_t& mono_t0_ = anchor_.mono_t0_ns;
  sim::Timescale ts_;
  sim::FaultSchedule faults_;
  sim::TemperatureModel temperature_;
  sim::SimulatedPhc phc_;
  sim::PulsePlanner planner_;  // the per-second draws, shared with sim/simulation.cpp
  bool has_temperature_;

  std::priority_queue<Queued, std::vector<Queued>, Later> queue_;
  std::uint64_t seq_ = 0;
  std::int64_t now_t_ns_ = 0;
  std::optional<std::int64_t> last_capture_ns_;
  bool extts_enabled_ = false;
  bool pin_extts_ = false;
  bool carrier_ = true;

  std::vector<phc::ExttsRecord> extts_ready_;
  std::vector<gpsd::Event> tod_ready_;
  std::optional<bool> link_ready_;
  ReadyFlag extts_flag_, tod_flag_, link_flag_;
  SimTod tod_;
  SimLink link_;
  SimTemperature temperature_source_;
};

}  // namespace nanotime::ppsd
