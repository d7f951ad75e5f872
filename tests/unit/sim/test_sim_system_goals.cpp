// The NTP half's goals (issue 13), in simulated time through the real conductor and engine:
// every chronyd sample judged whole against the truth (report's `system` block), seeds 1–5.
// The shared profiles run their full day (their faults are spread over it); the profiles of
// sim/profiles/transfer/ run 6 h each (the transfer reaches its steady state within minutes and
// nothing in them changes over the day), which keeps this test at ~20 s of CPU.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "discipline/engine.hpp"
#include "sim/profile.hpp"
#include "sim/report.hpp"
#include "sim/simulation.hpp"

using namespace nanotime;
using namespace nanotime::sim;

namespace {

constexpr double kTransferProfileS = 6 * 3600;

Profile shared(const std::string& name) {
  return load_profile(std::string(NANOTIME_SOURCE_DIR) + "/sim/profiles/" + name + ".toml");
}
Profile transfer_profile(const std::string& name) {
  return load_profile(std::string(NANOTIME_SOURCE_DIR) + "/sim/profiles/transfer/" + name +
                      ".toml");
}

SystemStats run_one(const Profile& p, std::uint64_t seed, RunOptions o) {
  o.seed = seed;
  auto engine = discipline::make_engine(engine_config(p, "kalman"));
  const SimResult r = run_simulation(p, *engine, "kalman", o);
  return make_report(r, p).system;
}

struct Seeds {
  std::vector<SystemStats> runs;
  template <typename F>
  double median(F f) const {
    std::vector<double> v;
    for (const SystemStats& s : runs) v.push_back(f(s));
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }
  double worst_within() const {
    double w = 1;
    for (const SystemStats& s : runs) w = std::min(w, s.within_bound_fraction);
    return w;
  }
  std::uint64_t over_twice() const {
    std::uint64_t n = 0;
    for (const SystemStats& s : runs) n += s.over_twice_bound;
    return n;
  }
};

Seeds seeds_1_to_5(const Profile& p, RunOptions o = {}) {
  Seeds s;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) s.runs.push_back(run_one(p, seed, o));
  return s;
}

double rms(const SystemStats& s) { return s.error_ns.rms; }
double bound_median(const SystemStats& s) { return s.bound_median_ns; }
double within(const SystemStats& s) { return s.within_bound_fraction; }

}  // namespace

TEST_CASE("CM4 with the GPIO wire: error rms <= 1 us, within bound >= 99 %, bound <= 5 us; "
          "midpoint is ~24 us off",
          "[bench][system]") {
  for (const std::string name : {"cm4-f9t", "cm4-m8t", "cm4-m8t-faults"}) {
    const Profile p = shared(name);
    const Seeds s = seeds_1_to_5(p);
    INFO(name << ": rms " << s.median(rms) << " ns, bound median " << s.median(bound_median)
              << " ns, within " << s.median(within));
    CHECK(s.runs[0].latch_model == "bcm-phy-ptp");
    CHECK(s.median(rms) <= 1000);
    CHECK(s.median(within) >= 0.99);
    CHECK(s.median(bound_median) <= 5000);
    CHECK(static_cast<double>(s.runs[0].gpio_pulses) >= 0.95 * static_cast<double>(s.runs[0].samples));
  }
  RunOptions midpoint;
  midpoint.latch_model = "midpoint";
  midpoint.gpio_wire = false;
  const Seeds m = seeds_1_to_5(shared("cm4-f9t"), midpoint);
  INFO("midpoint: rms " << m.median(rms) << " ns, bound median " << m.median(bound_median));
  CHECK(m.median(rms) > 20'000);  // what phc2sys and chrony's refclock PHC would give
  CHECK(m.median(rms) < 30'000);
  CHECK(m.median(within) >= 0.99);  // wrong, but honest about it: the bound covers it
}

TEST_CASE("cm4-m8t-qerr (no GPIO wire): within bound >= 99 % by the bound rule",
          "[bench][system]") {
  const Seeds s = seeds_1_to_5(shared("cm4-m8t-qerr"));
  INFO("rms " << s.median(rms) << " ns, bound median " << s.median(bound_median));
  CHECK(s.runs[0].gpio_pulses == 0);
  CHECK(s.median(within) >= 0.99);
  CHECK(s.worst_within() >= 0.99);
}

TEST_CASE("timehat-f9t (precise cross-timestamps): error rms <= 100 ns", "[bench][system]") {
  const Seeds s = seeds_1_to_5(shared("timehat-f9t"));
  INFO("rms " << s.median(rms) << " ns, bound median " << s.median(bound_median));
  CHECK(s.runs[0].latch_model == "precise");
  CHECK(s.median(rms) <= 100);
  CHECK(s.median(within) >= 0.99);
}

TEST_CASE("moved latch, wide CM5 bracket, a rough GPIO: with and without the wire, within "
          "bound >= 99 % and never twice the bound",
          "[bench][system]") {
  for (const std::string name : {"latch-0.3", "latch-0.6", "cm5-wide", "gpio-rough"}) {
    for (const bool wire : {true, false}) {
      RunOptions o;
      o.duration_s = kTransferProfileS;
      o.gpio_wire = wire;
      const Seeds s = seeds_1_to_5(transfer_profile(name), o);
      INFO(name << (wire ? " with" : " without") << " the GPIO wire: rms " << s.median(rms)
                << " ns, bound median " << s.median(bound_median) << " ns, worst within "
                << s.worst_within());
      CHECK(s.worst_within() >= 0.99);
      CHECK(s.over_twice() == 0);
      if (wire) CHECK(s.runs[0].gpio_pulses > 0);
    }
  }
}

TEST_CASE("the bound rule end to end: the latch anywhere in the bracket, no GPIO, every sample "
          "within its bound",
          "[bench][system]") {
  for (const std::string name : {"latch-0", "latch-0.5", "latch-1"}) {
    RunOptions o;
    o.duration_s = kTransferProfileS;
    const Seeds s = seeds_1_to_5(transfer_profile(name), o);
    INFO(name << ": rms " << s.median(rms) << " ns, bound median " << s.median(bound_median));
    CHECK(s.worst_within() == 1.0);
    CHECK(s.runs[0].samples > 20'000);
  }
}
