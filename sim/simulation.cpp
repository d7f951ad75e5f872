#include "sim/simulation.hpp"

#include <algorithm>
#include <cmath>

#include "sim/world.hpp"
#include "util/units.hpp"

namespace nanotime::sim {
namespace {

namespace d = nanotime::discipline;
using util::kNsPerS;
constexpr double kChronyLimitNs = 1000;

std::int64_t to_ns(double s) { return std::llround(s * 1e9); }

// chronyd as the judge: every sample against true UTC at the sample's system time.
class JudgingChrony final : public conductor::ChronySink {
 public:
  JudgingChrony(const World& world, SimResult& result) : world_(world), res_(result) {}
  bool send_time(std::int64_t system_ns, double offset_ns, refclock::Leap) override {
    ++res_.chrony_samples;
    const double err = world_.utc_error_ns(system_ns, offset_ns);
    res_.max_chrony_error_ns = std::max(res_.max_chrony_error_ns, err);
    if (err > kChronyLimitNs) ++res_.chrony_over_1us;
    return true;
  }

 private:
  const World& world_;
  SimResult& res_;
};

// Every pulse the engine reports, against the edge it stands for.
class PulseJudge final : public conductor::ConductorObserver {
 public:
  PulseJudge(const World& world, SimResult& result) : world_(world), res_(result) {}
  void applied(const d::Output& out, std::int64_t) override {
    if (!out.pulse) return;
    const d::PulseMeasurement& m = *out.pulse;
    if (m.outlier) ++res_.outliers_rejected;
    if (!m.used) return;
    const std::optional<std::int64_t> true_tai_s = world_.true_tai_s_of(m);
    if (!true_tai_s || *true_tai_s != m.tai_s) ++res_.mislabelled;
    const std::int64_t tai_s = true_tai_s.value_or(m.tai_s);
    res_.residuals.push_back({tai_s - world_.timescale().start_tai_s(), m.offset_ns});
  }

 private:
  const World& world_;
  SimResult& res_;
};

void record_truth(std::int64_t k, const World& world, const d::Engine& engine, SimResult& res) {
  const auto i = static_cast<std::size_t>(k);
  res.true_error_ns[i] = world.true_phc_error_ns();
  const d::EngineStatus st = engine.status();
  res.error_bound_ns[i] = st.error_bound_ns;
  res.clock_class[i] = st.quality.clock_class;
}

}  // namespace

void drive(World& world, conductor::Conductor& c, const DriveOptions& o) {
  const std::int64_t t0 = world.mono_t0_ns();
  std::int64_t next_second = 0;  // the next truth record
  std::int64_t next_tick = 1;    // the next tick, at next_tick + 0.5 s
  const auto second_mono = [&] { return t0 + next_second * kNsPerS; };
  const auto tick_mono = [&] { return t0 + next_tick * kNsPerS + kTickPhaseNs; };
  for (;;) {
    std::optional<std::int64_t> next = world.next_event_mono_ns();
    const auto consider = [&](std::int64_t m) { next = next ? std::min(*next, m) : m; };
    if (next_second <= o.duration_s) consider(second_mono());
    if (next_tick <= o.duration_s) consider(tick_mono());
    if (!next) return;
    o.wait_until(*next);
    world.sync();
    const std::int64_t now = world.mono_t0_ns() + world.now_t_ns();
    if (next_second <= o.duration_s && now >= second_mono()) {
      if (o.on_second) o.on_second(next_second);
      ++next_second;
    }
    // The daemon's loop: one handler per readable source, then the timer.
    if (world.extts_pending()) c.on_extts_readable();
    if (world.tod_pending()) c.on_tod_events(world.tod().read_events(now));
    if (world.link_pending()) {
      if (const auto up = world.link().read_change()) c.on_carrier(*up);
    }
    if (next_tick <= o.duration_s && now >= tick_mono()) {
      conductor::TemperatureSource* t = world.temperature();
      c.on_tick(t != nullptr ? t->read_celsius() : std::nullopt);
      ++next_tick;
    }
  }
}

discipline::EngineConfig engine_config(const Profile& profile, const std::string& servo) {
  discipline::EngineConfig c;
  c.servo = servo;
  c.cable_delay_ns = profile.gnss.cable_delay_ns;
  c.max_freq_ppb = std::min(c.max_freq_ppb, profile.phc.max_adj_ppb);
  c.tai_utc_s = profile.sim.tai_utc_s;
  c.both_edges = profile.phc.both_edges;
  c.pulse_width_s = profile.phc.pulse_width_s;
  return c;
}

SimResult run_simulation(const Profile& profile, discipline::Engine& engine,
                         const std::string& servo, const RunOptions& options) {
  const std::uint64_t seed = options.seed.value_or(profile.sim.seed);
  const auto duration_s = std::max<std::int64_t>(
      static_cast<std::int64_t>(std::floor(options.duration_s.value_or(profile.sim.duration_s))),
      1);
  SimResult res;
  res.profile = profile.name;
  res.servo = servo;
  res.seed = seed;
  res.duration_s = duration_s;
  res.true_error_ns.assign(static_cast<std::size_t>(duration_s) + 1, 0.0);
  res.error_bound_ns.assign(res.true_error_ns.size(), 0.0);
  res.clock_class.assign(res.true_error_ns.size(), 0);

  // t = 0 at the profile's start, where the system clock reads true UTC − system_offset_s.
  VirtualClocks clocks(kMonoOffsetNs,
                       profile.sim.start_utc_s * kNsPerS - to_ns(profile.sim.system_offset_s));
  WorldOptions wo;
  wo.profile_epoch = true;
  wo.last_pulse = duration_s;
  World world(profile, seed, clocks, wo);
  JudgingChrony chrony(world, res);
  PulseJudge judge(world, res);
  conductor::ConductorOptions co;
  co.log_events = false;
  conductor::Conductor c(engine, world, clocks, &chrony, nullptr, co);
  c.set_observer(&judge);
  c.start();

  DriveOptions dro;
  dro.duration_s = duration_s;
  dro.wait_until = [&](std::int64_t mono_ns) { clocks.set_mono_ns(mono_ns); };
  dro.on_second = [&](std::int64_t k) { record_truth(k, world, engine, res); };
  drive(world, c, dro);

  res.pulses_seen = world.counters().pulses_seen;
  res.pulses_lost = world.counters().pulses_lost;
  res.steps = c.counters().steps;
  res.frequency_commands = c.counters().frequency_commands;
  res.chrony_skipped = c.counters().chrony_skipped;
  return res;
}

}  // namespace nanotime::sim
