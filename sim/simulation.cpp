#include "sim/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/world.hpp"
#include "util/units.hpp"

namespace nanotime::sim {
namespace {

namespace d = nanotime::discipline;
using util::kNsPerS;
constexpr double kChronyLimitNs = 1000;

std::int64_t to_ns(double s) { return std::llround(s * 1e9); }

// chronyd: counts what it is sent (the samples are judged by the observer, which knows how).
class CountingChrony final : public conductor::ChronySink {
 public:
  explicit CountingChrony(SimResult& result) : res_(result) {}
  bool send_time(std::int64_t, double, refclock::Leap) override {
    ++res_.chrony_samples;
    return true;
  }

 private:
  SimResult& res_;
};

// Every pulse the engine reports, against the edge it stands for; every chronyd sample twice:
// its PHC time as if read at the true latch instant (`chrony`: the PHC half, unchanged by the
// transfer), and whole, as chronyd receives it (`system`: the NTP half).
class PulseJudge final : public conductor::ConductorObserver {
 public:
  PulseJudge(const World& world, SimResult& result) : world_(world), res_(result) {}
  void chrony_sample(const d::ChronySample& s, const conductor::SampleTransfer& st,
                     double offset_ns, std::int64_t) override {
    const std::int64_t latch =
        world_.true_latch_system_ns(st.transfer.phc_ns).value_or(st.transfer.system_ns);
    const double phc_err =
        world_.utc_error_ns(latch, conductor::chrony_offset_ns(st.transfer.phc_ns, latch, s));
    res_.max_chrony_error_ns = std::max(res_.max_chrony_error_ns, phc_err);
    if (phc_err > kChronyLimitNs) ++res_.chrony_over_1us;
    res_.system.push_back({world_.utc_error_ns(st.system_ns, offset_ns), st.bound_ns()});
    if (st.checked.alarm && !alarm_) ++res_.gpio_alarms;
    alarm_ = st.checked.alarm;
  }
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
  bool alarm_ = false;
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
      // The receiver's messages of this second (the daemon's watch, polled here at the tick).
      if (conductor::ReceiverWatch* r = world.receiver_watch()) {
        if (const auto state = r->maintain(now)) c.on_receiver(*state);
      }
      conductor::TemperatureSource* t = world.temperature();
      c.on_tick(t != nullptr ? t->read_celsius() : std::nullopt);
      ++next_tick;
    }
  }
}

const transfer::LatchModel& run_latch_model(const Profile& profile, const std::string& name) {
  if (name == "auto") {
    return transfer::model_for_driver(simulated_clock_name(profile), profile.phc.precise_offset);
  }
  if (const transfer::LatchModel* m = transfer::find_latch_model(name)) return *m;
  throw std::invalid_argument("unknown latch model '" + name + "' (one of " +
                              transfer::latch_model_choices() + ")");
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
  CountingChrony chrony(res);
  PulseJudge judge(world, res);
  conductor::ConductorOptions co;
  co.log_events = false;
  co.latch_model = run_latch_model(profile, options.latch_model);
  res.latch_model = std::string(co.latch_model.name);
  conductor::Conductor c(engine, world, clocks, &chrony, nullptr, co);
  c.set_observer(&judge);
  if (options.gpio_wire) c.set_gpio_pps(world.gpio_pps());
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
  res.gpio_pulses = c.transfer_status().gpio_pulses;
  res.read_errors = c.transfer_status().read_errors;
  res.slow_rejected = c.transfer_status().slow_rejected;
  return res;
}

}  // namespace nanotime::sim
