// The simulated-time run (the world through the real Conductor), driven by test-only stand-in
// engines: what the engine is sent (closed forms, fault timing) and how its commands and claims
// are judged.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>

#include "sim/profile.hpp"
#include "sim/report.hpp"
#include "sim/simulation.hpp"
#include "stand_in_engine.hpp"

using namespace nanotime::sim;
using namespace nanotime::sim::test;

namespace {
constexpr std::int64_t kNs = 1000000000;
constexpr std::int64_t kTai0 = 1767225600 + 37;  // default start 2026-01-01, TAI − UTC 37

Profile quiet(const std::string& extra = "") {
  return parse_profile("[sim]\nduration_s = 200\n" + extra, "/t/quiet.toml");
}
}  // namespace

TEST_CASE("noise-free run: every edge is the hand-computed PHC reading", "[unit]") {
  Profile p = quiet("[phc]\ninitial_offset_s = 0.25\nfreq_offset_ppb = 1000\nresolution_ns = 8\n");
  RecordingEngine e;
  const SimResult r = run_simulation(p, e, "none");
  const auto edges = e.all<d::ExttsEvent>();
  REQUIRE(edges.size() == 200);
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const auto k = static_cast<std::int64_t>(i) + 1;
    const std::int64_t exact = (kTai0 + k) * kNs + 250000000 + 1000 * k;
    REQUIRE(edges[i].phc_ns == exact / 8 * 8);
    REQUIRE(edges[i].arrival_mono_ns == k * kNs + kMonoOffsetNs);  // zero delivery delay
  }
  REQUIRE(r.true_error_ns.size() == 201);
  CHECK(r.true_error_ns[0] == 250000000.0);
  CHECK(r.true_error_ns[200] == 250000000.0 + 200000.0);
  CHECK(r.pulses_seen == 200);
  CHECK(r.pulses_lost == 0);
  CHECK(e.all<d::Tick>().size() == 200);
  CHECK(e.all<d::TemperatureReading>().empty());  // no [temperature]: no sensor
}

TEST_CASE("commands are applied: one step and a frequency give zero error from then on",
          "[unit]") {
  Profile p = quiet("[phc]\ninitial_offset_s = 0.25\nfreq_offset_ppb = 1000\n");
  IdealDriver driver(1000);
  const SimResult r = run_simulation(p, driver, "ideal");
  CHECK(r.steps == 1);
  CHECK(r.frequency_commands == 1);
  // Second 1 is recorded just before its edge is delivered and the step applied.
  CHECK(r.true_error_ns[1] == 250001000.0);
  for (std::size_t k = 2; k < r.true_error_ns.size(); ++k) {
    REQUIRE(r.true_error_ns[k] == Approx(0).margin(1e-6));
  }
  const Report rep = make_report(r, p);
  REQUIRE(rep.lock_time_s);
  CHECK(*rep.lock_time_s == 2);
  CHECK(rep.true_error_ns.n == 199);
  CHECK(rep.true_error_ns.max < 1e-6);
}

TEST_CASE("edges carry the receiver's error; qErr comes 20 ms before its edge", "[unit]") {
  Profile p = quiet("[gnss]\nsawtooth_pp_ns = 21\nqerr = true\ncable_delay_ns = 30\n");
  RecordingEngine e;
  run_simulation(p, e, "none");
  const auto edges = e.all<d::ExttsEvent>();
  const auto reports = e.all<d::PulseReport>();
  REQUIRE(edges.size() == 200);
  REQUIRE(reports.size() == 200);
  // Order of events: the report of pulse k precedes the edge of pulse k.
  std::size_t seen_reports = 0, seen_edges = 0;
  for (const auto& ev : e.events) {
    if (std::holds_alternative<d::PulseReport>(ev)) ++seen_reports;
    if (std::holds_alternative<d::ExttsEvent>(ev)) REQUIRE(seen_reports > seen_edges++);
  }
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const auto k = static_cast<std::int64_t>(i) + 1;
    const auto& rep = reports[i];
    REQUIRE(rep.utc_s + 37 == kTai0 + k);
    REQUIRE(rep.qerr_ns.has_value());
    REQUIRE(std::abs(*rep.qerr_ns) <= 10.5);
    // Edge (ns past the second, integer-floored) = sawtooth + cable delay = qErr + 30.
    const double late_ns = static_cast<double>(edges[i].phc_ns - (kTai0 + k) * kNs);
    REQUIRE(late_ns == std::floor(*rep.qerr_ns + 30));
    REQUIRE(rep.edge_mono_ns - kMonoOffsetNs - k * kNs == static_cast<std::int64_t>(late_ns));
  }
}

TEST_CASE("EXTTS delays stay in their range and pulses are lost with probability p", "[unit]") {
  Profile p = parse_profile(
      "[sim]\nduration_s = 20000\n[extts]\ndelivery_delay_s = [0.0, 0.25]\nloss_probability = 0.14\n",
      "/t/lossy.toml");
  RecordingEngine e;
  const SimResult r = run_simulation(p, e, "none");
  const auto edges = e.all<d::ExttsEvent>();
  for (const auto& x : edges) {
    const std::int64_t k = x.phc_ns / kNs - kTai0;  // the PHC is exact: it names its second
    const std::int64_t delay = x.arrival_mono_ns - kMonoOffsetNs - k * kNs;
    REQUIRE(delay >= 0);
    REQUIRE(delay <= 250000000);
  }
  CHECK(edges.size() == r.pulses_seen);
  CHECK(r.pulses_seen + r.pulses_lost == 20000);
  CHECK(static_cast<double>(r.pulses_lost) / 20000.0 == Approx(0.14).margin(0.009));
}

TEST_CASE("carrier loss: stale duplicates of the last edge 4x/s, then none", "[unit]") {
  Profile p = quiet(
      "[extts]\nstale_duplicates = true\n[[faults.carrier_loss]]\nstart_s = 100.2\nduration_s = 45\n");
  RecordingEngine e;
  const SimResult r = run_simulation(p, e, "none");
  const auto carrier = e.all<d::CarrierChange>();
  REQUIRE(carrier.size() == 2);
  CHECK_FALSE(carrier[0].up);
  CHECK(carrier[0].mono_ns == 100200000000 + kMonoOffsetNs);
  CHECK(carrier[1].up);
  CHECK(carrier[1].mono_ns == 145200000000 + kMonoOffsetNs);
  const std::int64_t last_real = (kTai0 + 100) * kNs;  // pulse 100 came before the loss
  std::vector<std::int64_t> stale_at;
  for (const auto& x : e.all<d::ExttsEvent>()) {
    const std::int64_t t = x.arrival_mono_ns - kMonoOffsetNs;
    if (t > 100200000000 && t < 145200000000) {
      REQUIRE(x.phc_ns == last_real);
      stale_at.push_back(t);
    }
  }
  REQUIRE(stale_at.size() == 39);  // every 0.25 s for the first 10 s, then silence
  for (std::size_t i = 0; i < stale_at.size(); ++i) {
    REQUIRE(stale_at[i] == 100200000000 + static_cast<std::int64_t>(i + 1) * 250000000);
  }
  CHECK(r.pulses_lost == 45);  // pulses 101 … 145
  CHECK(r.pulses_seen == 155);
}

TEST_CASE("time-message faults: wrong second and late arrival shift exactly", "[unit]") {
  Profile p = quiet(
      "[tod]\ndelay_s = 0.35\n"
      "[[faults.tod_wrong]]\nstart_s = 50\nduration_s = 10\noffset_s = 1\n"
      "[[faults.tod_late]]\nstart_s = 100\nduration_s = 20\nextra_delay_s = 0.6\n"
      "[[faults.tod_outage]]\nstart_s = 150\nduration_s = 5\n"
      "[[faults.pps_outage]]\nstart_s = 170\nduration_s = 3\n");
  RecordingEngine e;
  run_simulation(p, e, "none");
  std::map<std::int64_t, d::TimeReport> by_arrival_second;
  for (const auto& t : e.all<d::TimeReport>()) {
    const std::int64_t at = t.arrival_mono_ns - kMonoOffsetNs;
    by_arrival_second[at / kNs] = t;
  }
  for (std::int64_t k = 1; k <= 200; ++k) {
    INFO("pulse " << k);
    if (k >= 150 && k < 155) {
      CHECK(by_arrival_second.count(k) == 0);  // gpsd down
      continue;
    }
    const bool late = k >= 100 && k < 120;
    REQUIRE(by_arrival_second.count(k) == 1);
    const auto& t = by_arrival_second[k];
    CHECK(t.arrival_mono_ns - kMonoOffsetNs == k * kNs + (late ? 950000000 : 350000000));
    const std::int64_t wrong = (k >= 50 && k < 60) ? 1 : 0;
    CHECK(t.utc_s + 37 == kTai0 + k + wrong);
    CHECK(t.tai_utc_s == 37);
  }
  std::set<std::int64_t> edge_seconds;
  for (const auto& x : e.all<d::ExttsEvent>()) edge_seconds.insert(x.phc_ns / kNs - kTai0);
  CHECK(edge_seconds.count(169) == 1);
  CHECK(edge_seconds.count(170) == 0);  // pps outage 170 … 172
  CHECK(edge_seconds.count(172) == 0);
  CHECK(edge_seconds.count(173) == 1);
  CHECK(edge_seconds.count(152) == 1);  // EXTTS goes on while gpsd is down
  CHECK(e.all<d::PulseReport>().size() == 200 - 5 - 3);
}

TEST_CASE("outliers and phase jumps move the edges by exactly their offset", "[unit]") {
  Profile p = quiet(
      "[[faults.outlier]]\nat_s = 20\noffset_ns = 800\n"
      "[[faults.phase_jump]]\nat_s = 30\noffset_ns = -40\n");
  RecordingEngine e;
  run_simulation(p, e, "none");
  for (const auto& x : e.all<d::ExttsEvent>()) {
    const std::int64_t k = (x.phc_ns + kNs / 2) / kNs - kTai0;
    const std::int64_t off = x.phc_ns - (kTai0 + k) * kNs;
    REQUIRE(off == (k == 20 ? 800 : k >= 30 ? -40 : 0));
  }
}

TEST_CASE("the leap second: every time report has TAI = utc_s + tai_utc_s", "[unit]") {
  Profile p = parse_profile(
      "[sim]\nduration_s = 50000\nstart_utc = \"2026-12-31T12:00:00Z\"\nleap_second = \"2026-12-31\"\n",
      "/t/leap.toml");
  RecordingEngine e;
  run_simulation(p, e, "none");
  const std::int64_t tai0 = 1798718400 + 37;
  const auto reports = e.all<d::TimeReport>();
  REQUIRE(reports.size() == 50000);
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const auto k = static_cast<std::int64_t>(i) + 1;
    const auto& r = reports[i];
    REQUIRE(r.tai_utc_s.has_value());
    REQUIRE(r.utc_s + *r.tai_utc_s == tai0 + k);
    REQUIRE(*r.tai_utc_s == (k < 43200 ? 37 : 38));
    REQUIRE((r.leap == d::LeapWarning::insert) == (k < 43200));
  }
  CHECK(reports[43199 - 1].utc_s == reports[43200 - 1].utc_s);  // 23:59:59 named twice
}

TEST_CASE("both edges: a falling edge pulse_width_s after each rising edge, delivered after it",
          "[unit]") {
  Profile p = quiet("[phc]\nboth_edges = true\npulse_width_s = 0.1\n"
                    "[extts]\ndelivery_delay_s = [0.0005, 0.2]\n");
  RecordingEngine e;
  run_simulation(p, e, "none");
  const auto edges = e.all<d::ExttsEvent>();
  REQUIRE(edges.size() == 400);
  for (std::size_t i = 0; i < edges.size(); i += 2) {
    const auto k = static_cast<std::int64_t>(i / 2) + 1;
    REQUIRE(edges[i].phc_ns == (kTai0 + k) * kNs);
    REQUIRE(edges[i + 1].phc_ns == (kTai0 + k) * kNs + 100000000);
    REQUIRE(edges[i + 1].arrival_mono_ns >= edges[i].arrival_mono_ns);
  }
}

TEST_CASE("temperature readings once a second with noise around the true value", "[unit]") {
  Profile p = quiet("[temperature]\nmean_c = 48\nnoise_c = 0.1\nsteps = [ { at_s = 100, delta_c = 8 } ]\n");
  RecordingEngine e;
  run_simulation(p, e, "none");
  const auto t = e.all<d::TemperatureReading>();
  REQUIRE(t.size() == 200);
  for (const auto& x : t) {
    const double at_s = static_cast<double>(x.mono_ns - kMonoOffsetNs) * 1e-9;
    REQUIRE(std::abs(x.celsius - (at_s >= 100 ? 56 : 48)) < 0.6);
  }
}

TEST_CASE("chrony samples are judged against true UTC, 1 us limit", "[unit]") {
  Profile p = quiet();
  RecordingEngine e;
  int n = 0;
  e.respond = [&](const d::Event& ev) {
    d::Output out;
    if (std::holds_alternative<d::ExttsEvent>(ev)) {
      // Alternate an honest claim (error 0), one 999 ns off, one 1001 ns off, a wrong TAI−UTC.
      static const double kOff[] = {0, 999, 1001, 0};
      static const int kTaiUtc[] = {37, 37, 37, 36};
      out.chrony = d::ChronySample{kOff[n % 4], kTaiUtc[n % 4], d::LeapWarning::none, 100};
      ++n;
    }
    return out;
  };
  const SimResult r = run_simulation(p, e, "none");
  CHECK(r.chrony_samples == 200);
  CHECK(r.chrony_over_1us == 100);
}

TEST_CASE("pulses used with the wrong second are counted as mislabelled", "[unit]") {
  Profile p = quiet("[extts]\ndelivery_delay_s = [0.0, 0.25]\n");
  RecordingEngine e;
  e.respond = [&](const d::Event& ev) {
    d::Output out;
    if (const auto* x = std::get_if<d::ExttsEvent>(&ev)) {
      const std::int64_t tai = (x->phc_ns + kNs / 2) / kNs;
      const std::int64_t label = tai + ((tai % 10) == 0 ? 1 : 0);  // every 10th off by one
      out.pulse = d::PulseMeasurement{label, static_cast<double>(x->phc_ns - label * kNs),
                                      (tai % 7) != 0, (tai % 7) == 0};
    }
    return out;
  };
  const SimResult r = run_simulation(p, e, "none");
  // Pulses 1 … 200: TAI seconds kTai0+1 … kTai0+200. Used unless TAI % 7 == 0.
  std::uint64_t expect_mislabelled = 0, expect_outliers = 0;
  for (std::int64_t tai = kTai0 + 1; tai <= kTai0 + 200; ++tai) {
    if (tai % 7 == 0) ++expect_outliers;
    else if (tai % 10 == 0) ++expect_mislabelled;
  }
  CHECK(r.mislabelled == expect_mislabelled);
  CHECK(r.outliers_rejected == expect_outliers);
  CHECK(r.residuals.size() == 200 - expect_outliers);
}

TEST_CASE("same profile + seed: identical report; another seed: a different one", "[unit]") {
  const std::string text = R"([sim]
duration_s = 3000
seed = 4
[phc]
initial_offset_s = 2.0
freq_offset_ppb = 300
white_fm_ppb = 2.8
flicker_fm_ppb = 1.3
random_walk_fm_ppb_per_sqrt_s = 0.8
step_error_ns = 2000
resolution_ns = 8
[gnss]
jitter_ns = 0.24
sawtooth_pp_ns = 21
ar1 = [ { tau_s = 2200, sigma_ns = 4.7 } ]
[extts]
delivery_delay_s = [0.0, 0.25]
loss_probability = 0.1
[tod]
delay_s = 0.35
jitter_s = 0.05
[[faults.pps_outage]]
start_s = 1000
duration_s = 100
)";
  const Profile p = parse_profile(text, "/t/det.toml");
  auto run = [&](std::optional<std::uint64_t> seed) {
    IdealDriver driver(300);
    RunOptions o;
    o.seed = seed;
    const SimResult r = run_simulation(p, driver, "ideal", o);
    return std::make_pair(report_json(make_report(r, p)), r.true_error_ns);
  };
  const auto a = run(std::nullopt), b = run(std::nullopt), c = run(5);
  CHECK(a.first == b.first);
  CHECK(a.second == b.second);
  CHECK(a.first != c.first);
  CHECK(a.second != c.second);
  CHECK_THAT(a.first, Catch::Matchers::Contains("\"seed\": 4"));
}

TEST_CASE("samples pass the conductor's rule: no PHC read near pulses, read when they stop",
          "[unit]") {
  Profile p = quiet("[[faults.pps_outage]]\nstart_s = 100\nduration_s = 50\n");
  RecordingEngine e;
  // Allows a sample on every tick (k + 0.5 s) but never says it is tracking, so the conductor
  // takes no reading after the edges: a sample can only come from a read on the tick itself,
  // which it makes only once pulses have been quiet for 1.5 s.
  e.respond = [](const d::Event& ev) {
    d::Output out;
    if (std::holds_alternative<d::Tick>(ev)) {
      out.chrony = d::ChronySample{0, 37, d::LeapWarning::none, 100};
    }
    return out;
  };
  const SimResult r = run_simulation(p, e, "none");
  // Pulse 99 is the last before the outage; ticks 100.5 … 149.5 are ≥ 1.5 s after it.
  CHECK(r.chrony_samples == 50);
  CHECK(r.chrony_skipped == 150);
  CHECK(r.chrony_over_1us == 0);
  CHECK(r.max_chrony_error_ns == 0);  // a noise-free PHC on TAI claims exactly true UTC
}
