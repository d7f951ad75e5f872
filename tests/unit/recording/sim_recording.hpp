#pragma once
// A virtual-time simulated run recorded as the daemon records one: the World and the real
// Conductor, the recorder's wrappers on every port given to the Conductor, the daemon's loop
// (sim::drive's order: EXTTS, time of day, carrier, receiver, tick) with each handler's input passing
// through the recorder. The recording starts before Conductor::start() (origin "start").
#include <cmath>
#include <string>
#include <vector>

#include "conductor/conductor.hpp"
#include "conductor/recording_recorder.hpp"
#include "conductor/recording_replay.hpp"
#include "discipline/engine.hpp"
#include "recording/file.hpp"
#include "sim/simulation.hpp"
#include "sim/world.hpp"

namespace nanotime::recording::test {

struct NullChrony final : conductor::ChronySink {
  bool send_time(std::int64_t, double, refclock::Leap) override { return true; }
};

// Writes every record into a recording file in memory.
struct FileSink final : conductor::RecordSink {
  explicit FileSink(const Header& h) : writer(h) {}
  void write(const Record& r) override { writer.append(r); }
  std::string finish() {
    writer.close_block();
    return bytes += writer.take();
  }
  Writer writer;
  std::string bytes;
};

inline const char* kLatchModel = "auto";

// Runs `profile` for duration_s in virtual time with `servo`, recording into `sink`.
inline void record_simulation(const sim::Profile& profile, std::int64_t duration_s,
                              const discipline::EngineConfig& ec, conductor::RecordSink& sink) {
  constexpr std::int64_t kS = 1'000'000'000;
  sim::VirtualClocks clocks(sim::kMonoOffsetNs, profile.sim.start_utc_s * kS -
                                                    std::llround(profile.sim.system_offset_s * 1e9));
  sim::WorldOptions wo;
  wo.profile_epoch = true;
  wo.last_pulse = duration_s;
  sim::World world(profile, profile.sim.seed, clocks, wo);
  auto engine = discipline::make_engine(ec);
  NullChrony chrony;
  conductor::Recorder rec(clocks);
  rec.set_sink(&sink);
  conductor::ConductorOptions co;
  co.log_events = false;
  co.latch_model = sim::run_latch_model(profile, kLatchModel);
  conductor::Conductor c(*engine, rec.clock(world), rec.clocks(clocks), rec.chrony(&chrony),
                         nullptr, co);
  c.set_observer(&rec);
  c.set_gpio_pps(rec.gpio(world.gpio_pps()));
  c.start();
  const std::int64_t t0 = world.mono_t0_ns();
  std::int64_t next_tick = 1;
  for (;;) {
    std::optional<std::int64_t> next = world.next_event_mono_ns();
    const std::int64_t tick = t0 + next_tick * kS + sim::kTickPhaseNs;
    if (next_tick <= duration_s) next = next ? std::min(*next, tick) : tick;
    if (!next) break;
    clocks.set_mono_ns(*next);
    world.sync();
    const std::int64_t now = world.mono_t0_ns() + world.now_t_ns();
    if (world.extts_pending()) c.on_extts_readable();
    if (world.tod_pending()) c.on_tod_events(rec.tod(world.tod().read_events(now)));
    if (world.link_pending()) {
      if (const auto up = world.link().read_change()) c.on_carrier(rec.carrier(*up));
    }
    if (next_tick <= duration_s && now >= tick) {
      if (conductor::ReceiverWatch* r = world.receiver_watch()) {  // [receiver] profiles
        if (const auto state = r->maintain(now)) c.on_receiver(rec.receiver(*state));
      }
      conductor::TemperatureSource* t = world.temperature();
      c.on_tick(rec.tick(t != nullptr ? t->read_celsius() : std::nullopt));
      ++next_tick;
    }
  }
  c.stop(0);
}

// Replays `source` through the real Conductor and a new engine, as `phc-pps-sync --replay` does.
inline conductor::ReplayResult replay_source(RecordSource& source, const sim::Profile& p,
                                             const discipline::EngineConfig& ec) {
  conductor::Replay rp(source);
  auto engine = discipline::make_engine(ec);
  conductor::ConductorOptions co;
  co.log_events = false;
  co.latch_model = sim::run_latch_model(p, kLatchModel);
  conductor::Conductor c(*engine, rp.clock(), rp.clocks(), &rp.chrony(), nullptr, co);
  c.set_observer(&rp.observer());
  c.set_gpio_pps(&rp.gpio());
  return rp.run(c);
}

}  // namespace nanotime::recording::test
