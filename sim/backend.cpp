#include "sim/backend.hpp"

#include <algorithm>

#include "log/log.hpp"
#include "sim/world.hpp"

namespace nanotime::sim {
namespace {

class Simulated final : public conductor::Backend {
 public:
  Simulated(const Profile& profile, std::uint64_t seed, conductor::Clocks& clocks,
            double max_freq_ppb)
      : profile_(profile), world_(profile, seed, clocks, options(max_freq_ppb)) {
    log::notice("realtime simulation of {} (seed {}): true time = system clock {:+.9f} s; "
                "t = 0 at UTC {}", profile.name, seed, profile.sim.system_offset_s,
                world_.start_utc_s());
  }

  phc::PtpClock& clock() override { return world_; }
  conductor::LinkSource* link() override { return &world_.link(); }
  conductor::TemperatureSource* temperature() override { return world_.temperature(); }
  conductor::TodSource* tod() override { return &world_.tod(); }
  conductor::GpioPpsSource* gpio_pps() override { return world_.gpio_pps(); }
  conductor::ReceiverWatch* receiver_watch() override { return world_.receiver_watch(); }
  std::string describe() const override { return "simulated PHC"; }
  std::string clock_name() const override { return simulated_clock_name(profile_); }
  bool fixed_devices() const override { return true; }
  void dictate(discipline::EngineConfig& c) const override {
    c.cable_delay_ns = profile_.gnss.cable_delay_ns;  // the simulated antenna's
    c.max_freq_ppb = std::min(c.max_freq_ppb, profile_.phc.max_adj_ppb);
    c.tai_utc_s = profile_.sim.tai_utc_s;
    c.both_edges = profile_.phc.both_edges;
    c.pulse_width_s = profile_.phc.pulse_width_s;
  }
  void process_due() override { world_.sync(); }
  std::optional<std::int64_t> next_wake_mono_ns() const override {
    return world_.next_event_mono_ns();
  }

 private:
  static WorldOptions options(double max_freq_ppb) {
    WorldOptions o;
    o.max_freq_ppb = max_freq_ppb;
    return o;
  }

  Profile profile_;
  World world_;
};

}  // namespace

std::unique_ptr<conductor::Backend> make_simulated(const Profile& profile, std::uint64_t seed,
                                                   conductor::Clocks& clocks,
                                                   double max_freq_ppb) {
  return std::make_unique<Simulated>(profile, seed, clocks, max_freq_ppb);
}

}  // namespace nanotime::sim
