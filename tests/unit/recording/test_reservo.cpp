// Re-servo on a recording, where the truth is known: a virtual-time simulated run is recorded
// with one servo (keeping the true PHC − TAI of every second, which the recording itself does
// not have), the free-running PHC is reconstructed from the tape, and another servo runs
// closed-loop on it. Its true error is the recorded run's, minus the recorded steering, plus
// its own:  true_new(k) = true_old(k) − S_old(k) + S_new(k). Its rms (the simulator's
// definition, sim::make_report) must be within 2 % of the same servo run directly on the
// profile with the same seed (the recorder only watches, so a recorded run is that direct run).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>

#include "sim/report.hpp"
#include "sim/reservo.hpp"
#include "sim_recording.hpp"

using namespace nanotime;
namespace r = nanotime::recording;

namespace {

constexpr std::int64_t kS = 1'000'000'000;

sim::Profile profile(const std::string& name) {
  return sim::load_profile(std::string(NANOTIME_SOURCE_DIR) + "/sim/profiles/" + name + ".toml");
}

struct Tape {
  std::string file;
  std::vector<double> true_error_ns;  // per second k = 0 … duration (from the world, not the file)
  std::int64_t mono_t0_ns = 0;
};

// record_simulation's loop (sim_recording.hpp) plus the truth at each whole second, taken
// before anything is handled at that instant, as sim::drive does.
Tape record_with_truth(const sim::Profile& p, std::int64_t duration_s, const std::string& servo) {
  r::test::FileSink sink(
      r::Header{{"origin", "start"}, {"hardware.clock_name", sim::simulated_clock_name(p)}});
  sim::VirtualClocks clocks(sim::kMonoOffsetNs,
                            p.sim.start_utc_s * kS - std::llround(p.sim.system_offset_s * 1e9));
  sim::WorldOptions wo;
  wo.profile_epoch = true;
  wo.last_pulse = duration_s;
  sim::World world(p, p.sim.seed, clocks, wo);
  auto engine = discipline::make_engine(sim::engine_config(p, servo));
  r::test::NullChrony chrony;
  conductor::Recorder rec(clocks);
  rec.set_sink(&sink);
  conductor::ConductorOptions co;
  co.log_events = false;
  co.latch_model = sim::run_latch_model(p, "auto");
  conductor::Conductor c(*engine, rec.clock(world), rec.clocks(clocks), rec.chrony(&chrony),
                         nullptr, co);
  c.set_observer(&rec);
  c.set_gpio_pps(rec.gpio(world.gpio_pps()));
  c.start();
  Tape tape;
  tape.mono_t0_ns = world.mono_t0_ns();
  tape.true_error_ns.assign(static_cast<std::size_t>(duration_s) + 1, 0.0);
  const std::int64_t t0 = world.mono_t0_ns();
  std::int64_t next_tick = 1, next_second = 0;
  for (;;) {
    std::optional<std::int64_t> next = world.next_event_mono_ns();
    const std::int64_t tick = t0 + next_tick * kS + sim::kTickPhaseNs;
    const std::int64_t second = t0 + next_second * kS;
    if (next_tick <= duration_s) next = next ? std::min(*next, tick) : tick;
    if (next_second <= duration_s) next = next ? std::min(*next, second) : second;
    if (!next) break;
    clocks.set_mono_ns(*next);
    world.sync();
    const std::int64_t now = world.mono_t0_ns() + world.now_t_ns();
    if (next_second <= duration_s && now >= second) {
      tape.true_error_ns[static_cast<std::size_t>(next_second++)] = world.true_phc_error_ns();
    }
    if (world.extts_pending()) c.on_extts_readable();
    if (world.tod_pending()) c.on_tod_events(rec.tod(world.tod().read_events(now)));
    if (world.link_pending()) {
      if (const auto up = world.link().read_change()) c.on_carrier(rec.carrier(*up));
    }
    if (next_tick <= duration_s && now >= tick) {
      conductor::TemperatureSource* t = world.temperature();
      c.on_tick(rec.tick(t != nullptr ? t->read_celsius() : std::nullopt));
      ++next_tick;
    }
  }
  c.stop(0);
  tape.file = sink.finish();
  return tape;
}

double direct_rms(const sim::Profile& p, std::int64_t duration_s, const std::string& servo) {
  auto engine = discipline::make_engine(sim::engine_config(p, servo));
  sim::RunOptions o;
  o.duration_s = static_cast<double>(duration_s);
  return sim::make_report(sim::run_simulation(p, *engine, servo, o), p).true_error_ns.rms;
}

struct Reservoed {
  double rms = 0;
  sim::ReservoResult result;
};

// The rms of a true-error series (one a second), as the simulator's report computes it.
double rms_of(const sim::Profile& p, const std::vector<double>& true_error_ns) {
  sim::SimResult s;
  s.duration_s = static_cast<std::int64_t>(true_error_ns.size()) - 1;
  s.true_error_ns = true_error_ns;
  s.error_bound_ns.assign(s.true_error_ns.size(), 0.0);
  s.clock_class.assign(s.true_error_ns.size(), 0);
  return sim::make_report(s, p).true_error_ns.rms;
}

double tape_rms(const sim::Profile& p, const Tape& tape) { return rms_of(p, tape.true_error_ns); }

// The re-run's true error: the recorded run's, minus its steering, plus the re-run's.
std::vector<double> reservo_true_error(const Tape& tape, const sim::Reconstruction& rec,
                                       const sim::ReservoResult& res) {
  std::vector<double> e = tape.true_error_ns;
  for (std::size_t k = 0; k < e.size(); ++k) {
    e[k] += res.steering.minus(rec.recorded, tape.mono_t0_ns + static_cast<std::int64_t>(k) * kS);
  }
  return e;
}

Reservoed reservo(const sim::Profile& p, const Tape& tape, const std::string& servo) {
  const sim::Reconstruction rec = sim::reconstruct(tape.file);
  Reservoed out;
  out.result = sim::run_reservo(rec, sim::engine_config(p, servo));
  out.rms = rms_of(p, reservo_true_error(tape, rec, out.result));
  return out;
}

double cpu_s() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// Both ways on one profile: PI recorded and Kalman re-run, Kalman recorded and PI re-run, each
// against the other tape (the same profile and seed run directly with that servo).
// resolution_ns: the PHC's tick, overriding the profile's (0: the profile's own).
void check_swaps(const std::string& profile_name, std::int64_t duration_s, double tolerance,
                 std::int64_t resolution_ns) {
  sim::Profile p = profile(profile_name);
  if (resolution_ns > 0) p.phc.resolution_ns = resolution_ns;
  const double t0 = cpu_s();
  const Tape pi = record_with_truth(p, duration_s, "pi");
  const Tape kalman = record_with_truth(p, duration_s, "kalman");
  const double pi_rms = tape_rms(p, pi), kalman_rms = tape_rms(p, kalman);
  const Reservoed to_kalman = reservo(p, pi, "kalman");
  const Reservoed to_pi = reservo(p, kalman, "pi");
  WARN(profile_name << " (tick " << p.phc.resolution_ns << " ns, " << duration_s
                    << " s): Kalman re-run on PI's tape " << to_kalman.rms << " ns, direct "
                    << kalman_rms << " ns (" << 100 * (to_kalman.rms / kalman_rms - 1)
                    << " %); PI on Kalman's " << to_pi.rms << " ns, direct " << pi_rms << " ns ("
                    << 100 * (to_pi.rms / pi_rms - 1) << " %); " << cpu_s() - t0 << " s CPU");
  for (const Reservoed* re : {&to_kalman, &to_pi}) {
    REQUIRE(re->result.frequency_commands > static_cast<std::uint64_t>(duration_s) / 2);
  }
  // The two servos differ on these profiles by more than the tolerance: a re-run is the new
  // servo's, not a copy of the recorded one.
  CHECK(std::abs(pi_rms - kalman_rms) > tolerance * kalman_rms);
  CHECK(std::abs(to_kalman.rms - kalman_rms) <= tolerance * kalman_rms);
  CHECK(std::abs(to_pi.rms - pi_rms) <= tolerance * pi_rms);
}

}  // namespace

TEST_CASE("steering integrates frequency commands and steps by mono time") {
  sim::Steering s, none;
  const auto phase = [&](std::int64_t m) { return s.minus(none, m); };
  CHECK(phase(5) == 0);
  s.frequency(1 * kS, 100);   // 100 ns per second from t = 1 s
  s.step(3 * kS, -50);        // −50 ns at t = 3 s
  s.frequency(4 * kS, -20);
  CHECK(phase(0) == 0);
  CHECK(phase(2 * kS) == Approx(100));
  CHECK(phase(3 * kS - 1) == Approx(200).margin(1e-3));
  CHECK(phase(3 * kS) == Approx(150));
  CHECK(phase(4 * kS) == Approx(250));
  CHECK(phase(6 * kS) == Approx(210));
  // Steps of a PHC that started in 1970 (~1.8e18 ns, where a double resolves 256 ns): the
  // difference of two steerings stays exact to the ns.
  sim::Steering a, b;
  a.step(1 * kS, 1'800'000'000'000'000'001);
  b.step(1 * kS, 1'800'000'000'000'000'000);
  a.frequency(2 * kS, 1);
  CHECK(a.at(3 * kS).steps_ns == 1'800'000'000'000'000'001);
  CHECK(a.minus(b, 3 * kS) == Approx(2.0).margin(1e-9));
}

// A day each, on the profiles' own 8 ns PHC tick (the CM4 PHY's). A recording has only the
// recorded run's EXTTS readings, truncated to that tick: the re-run sees the recorded run's
// truncation errors, not the ones its own phase would give, but with the same statistics (and
// the engine told the recorded tick corrects their mean). Measured over seeds 1-7, 12 h: within
// 0.8 % both ways on both profiles, about the spread of a direct run's rms over where its phase
// sits on the tick grid (the [alignment] case below, up to 0.6 %).
TEST_CASE("re-servo both ways on the CM4's 8 ns PHC tick", "[reservo]") {
  check_swaps("cm4-m8t", 86400, 0.02, 0);
}

TEST_CASE("re-servo both ways with faults on the 8 ns tick", "[reservo]") {
  check_swaps("cm4-m8t-faults", 86400, 0.02, 0);
}

// With a 1 ns tick the recorded truncation is nearly nothing: the reconstruction alone.
TEST_CASE("re-servo both ways with faults on a 1 ns tick", "[reservo]") {
  check_swaps("cm4-m8t-faults", 43200, 0.01, 1);
}

// The moved edges are off the recorded tick grid; an engine left to learn the tick from them
// learns 1 ns and corrects half of that instead of half of 8 ns: the re-run then sits
// (8 − 1)/2 = 3.5 ns late on average, which is what took the 8 ns re-runs −13 … +22 % off.
TEST_CASE("re-servo on the 8 ns tick: the recorded tick, so no half-tick bias") {
  const sim::Profile p = profile("cm4-m8t");
  constexpr std::int64_t kDurationS = 5400, kFromS = 1800;
  const Tape tape = record_with_truth(p, kDurationS, "pi");
  const sim::Reconstruction rec = sim::reconstruct(tape.file);
  CHECK(rec.tick_ns == p.phc.resolution_ns);
  const auto mean_from = [&](const std::vector<double>& v) {
    double sum = 0;
    for (std::size_t k = kFromS; k < v.size(); ++k) sum += v[k];
    return sum / static_cast<double>(v.size() - kFromS);
  };
  const auto reservo_mean = [&](std::int64_t engine_tick_ns) {
    discipline::EngineConfig ec = sim::engine_config(p, "kalman");
    ec.extts_tick_ns = engine_tick_ns;
    return mean_from(reservo_true_error(tape, rec, sim::run_reservo(rec, ec)));
  };
  auto engine = discipline::make_engine(sim::engine_config(p, "kalman"));
  sim::RunOptions o;
  o.duration_s = static_cast<double>(kDurationS);
  const sim::SimResult direct = sim::run_simulation(p, *engine, "kalman", o);
  const double direct_mean = mean_from(direct.true_error_ns);
  const double re_mean = reservo_mean(0);     // the recording's tick
  const double learned_mean = reservo_mean(1);  // what learning it from the moved edges gives
  INFO("mean true error from " << kFromS << " s: direct " << direct_mean << " ns, re-servo "
                               << re_mean << " ns, with a 1 ns tick " << learned_mean << " ns");
  CHECK(std::abs(re_mean - direct_mean) < 1);  // measured 0.08 ns
  CHECK(learned_mean - direct_mean == Approx(3.5).margin(1));
  // The recorded servo re-run steers as the recording did, but for its first 32 pulses: the
  // recorded engine had not learned the tick yet (it corrected 0.5 ns, not 4), so its first
  // step differs by 3 ns; after that a fraction of a ns (measured 0.65 ns at most).
  const sim::ReservoResult again = sim::run_reservo(rec, sim::engine_config(p, "pi"));
  double moved_max_ns = 0;
  for (std::int64_t k = 60; k <= kDurationS; ++k) {
    const double d = again.steering.minus(rec.recorded, tape.mono_t0_ns + k * kS);
    moved_max_ns = std::max(moved_max_ns, std::abs(d));
  }
  INFO("the recorded servo re-run moved its PHC by up to " << moved_max_ns << " ns");
  CHECK(moved_max_ns < 2);
  // The recorder only watches: the recorded PI run is the direct PI run.
  auto pi_engine = discipline::make_engine(sim::engine_config(p, "pi"));
  const sim::SimResult pi_direct = sim::run_simulation(p, *pi_engine, "pi", o);
  CHECK(tape_rms(p, tape) == Approx(sim::make_report(pi_direct, p).true_error_ns.rms).epsilon(1e-9));
}

TEST_CASE("re-servo report: no truth, what the recording can know", "[reservo]") {
  const sim::Profile p = profile("cm4-m8t-faults");
  const Tape tape = record_with_truth(p, 23000, "pi");
  const sim::Reconstruction rec = sim::reconstruct(tape.file);
  const sim::ReservoResult res = sim::run_reservo(rec, sim::engine_config(p, "kalman"));
  const sim::ReservoReport rep = sim::make_reservo_report(res, "faults.ntrec");
  REQUIRE(rep.lock_time_s);
  CHECK(*rep.lock_time_s < 1800);
  // The qErr-corrected residuals of a locked Kalman servo on this profile are a few ns (the
  // rms also holds the return from the outage below).
  CHECK(rep.residual_ns.p95 > 1);
  CHECK(rep.residual_ns.p95 < 30);
  // The GPIO wire's latency (2.5 µs mean on this profile) shows in the GPIO − PHC difference.
  REQUIRE(rep.gpio_difference_ns.n > 1000);
  CHECK(rep.gpio_difference_ns.rms > 1500);
  CHECK(rep.gpio_difference_ns.rms < 4000);
  // The 30 min PPS outage at 20 000 s: one holdover; the drift measured by the returning pulse
  // is the re-run PHC's true error then (here the truth is known), tens of µs on this
  // oscillator (0.8 ppb/√s random walk).
  REQUIRE(rep.holdover.size() == 1);
  const sim::HoldoverDrift& h = rep.holdover[0];
  CHECK(h.start_s == Approx(20000).margin(5));
  CHECK(h.duration_s == Approx(1800).margin(10));
  const auto k_back = static_cast<std::int64_t>(std::llround(h.start_s + h.duration_s));
  const std::int64_t mono_back = tape.mono_t0_ns + k_back * kS;
  const double true_back = tape.true_error_ns[static_cast<std::size_t>(k_back)] +
                           res.steering.minus(rec.recorded, mono_back);
  INFO("drift " << h.drift_ns << " ns, true error then " << true_back << " ns");
  CHECK(std::abs(h.drift_ns) > 1000);
  CHECK(std::abs(h.drift_ns - true_back) < 100);
  const std::string json = sim::reservo_report_json(rep);
  CHECK(json.find("\"truth\": false") != std::string::npos);
  CHECK(json.find("\"true_error_ns\": null") != std::string::npos);
}

TEST_CASE("the recorded daemon's engine and conductor settings come from the header") {
  const r::Header h{{"engine.cable_delay_ns", "57.5"}, {"engine.both_edges", "1"},
                    {"engine.tai_utc_s", "38"}, {"engine.max_freq_ppb", "garbage"},
                    {"conductor.channel", "1"}, {"conductor.pin", "2"},
                    {"conductor.cable_delay_shift_ns", "-3.5"}};
  const discipline::EngineConfig e = sim::recorded_engine_config(h, "pi");
  CHECK(e.servo == "pi");
  CHECK(e.cable_delay_ns == 57.5);
  CHECK(e.both_edges);
  CHECK(e.tai_utc_s == 38);
  CHECK(e.max_freq_ppb == discipline::EngineConfig{}.max_freq_ppb);  // garbled: the default
  const conductor::ConductorOptions co = sim::recorded_conductor_options(h);
  CHECK(co.channel == 1);
  CHECK(co.pin == 2);
  CHECK(co.cable_delay_shift_ns == -3.5);
  const conductor::ConductorOptions none = sim::recorded_conductor_options({});
  CHECK(none.channel == 0);
  CHECK(none.cable_delay_shift_ns == 0);
}

TEST_CASE("re-servo of a cut recording uses what is there") {
  const sim::Profile p = profile("cm4-m8t");
  const Tape tape = record_with_truth(p, 600, "kalman");
  const std::string cut = tape.file.substr(0, tape.file.size() * 2 / 3);
  const sim::Reconstruction rec = sim::reconstruct(cut);
  CHECK_FALSE(rec.stop_message.empty());
  const sim::ReservoResult res = sim::run_reservo(rec, sim::engine_config(p, "pi"));
  CHECK(res.pulses > 100);
  CHECK(res.duration_s < 600);
  CHECK_THROWS_AS(sim::reconstruct("not a recording at all"), r::FormatError);
}

// Writes a recorded simulated run (cm4-m8t-faults, PI, 6.4 h: past the PPS outage) to the file
// $NANOTIME_RECORDING_OUT, for servo-bench --recording's test (tests/unit/recording/CMakeLists.txt).
TEST_CASE("write a recording for the bench", "[.write]") {
  const char* path = std::getenv("NANOTIME_RECORDING_OUT");
  REQUIRE(path != nullptr);
  const Tape tape = record_with_truth(profile("cm4-m8t-faults"), 23000, "pi");
  std::ofstream out(path, std::ios::binary);
  out << tape.file;
  REQUIRE(out.good());
}

// The cost of a re-servo of a day (bench/README.md#recorded-runs): `test_recording_reservo "[cost]"`.
TEST_CASE("cost of a re-servo of a day", "[.cost]") {
  const sim::Profile p = profile("cm4-m8t-faults");
  const Tape tape = record_with_truth(p, 86400, "pi");
  const double t0 = cpu_s();
  const sim::Reconstruction rec = sim::reconstruct(tape.file);
  const double t1 = cpu_s();
  const sim::ReservoResult res = sim::run_reservo(rec, sim::engine_config(p, "kalman"));
  const double t2 = cpu_s();
  WARN("a day of cm4-m8t-faults: reading " << t1 - t0 << " s CPU, re-servo " << t2 - t1
                                          << " s CPU, " << res.pulses << " pulses");
}


// Is 2 % resolvable on an 8 ns tick at all? A direct run's rms depends on where its phase sits
// on the tick grid, which a recording never tells (it has only truncated readings). Here the
// same profile, seed and noise with the PHC's start moved by 0, 2, 4, 6 ns (the profiles' 1.5e9 s
// is a multiple of 8 ns but not representable to the ns in a double; a 1 s start, also a
// multiple of 8 ns, gives the identical run, measured). Measured spread (max − min over mean),
// a day: cm4-m8t 0.10 % Kalman, 0.11 % PI; cm4-m8t-faults 0.47 % Kalman, 0.31 % PI (12 h:
// 0.08/0.09/0.62/0.49 %). Far below 2 %: the goal is not finer than the comparison's own noise.
TEST_CASE("a direct run's rms over the PHC's place on the 8 ns tick grid", "[alignment]") {
  for (const char* name : {"cm4-m8t", "cm4-m8t-faults"}) {
    for (const char* servo : {"kalman", "pi"}) {
      sim::Profile p = profile(name);
      REQUIRE(p.phc.resolution_ns == 8);
      std::vector<double> rms;
      for (const int phase_ns : {0, 2, 4, 6}) {
        p.phc.initial_offset_s = 1.0 + phase_ns * 1e-9;
        rms.push_back(direct_rms(p, 86400, servo));
      }
      const auto [lo, hi] = std::minmax_element(rms.begin(), rms.end());
      double mean = 0;
      for (const double v : rms) mean += v / static_cast<double>(rms.size());
      const double spread = (*hi - *lo) / mean;
      WARN(name << " " << servo << ": rms " << rms[0] << ", " << rms[1] << ", " << rms[2] << ", "
                << rms[3] << " ns at 0, 2, 4, 6 ns: spread " << 100 * spread << " %");
      CHECK(spread > 0);     // the phase does change the truncation errors
      CHECK(spread < 0.01);  // and a re-servo's 2 % is well above that noise
    }
  }
}
