// The report: definitions (lock time, statistics, holdover) and the exact JSON contract.
#include <catch2/catch.hpp>

#include <limits>

#include "sim/report.hpp"

using namespace nanotime::sim;

TEST_CASE("lock time: first second from which |error| < 100 ns for 60 s", "[unit]") {
  std::vector<double> e(300, 1000.0);
  for (std::size_t k = 50; k < 100; ++k) e[k] = 10;   // 50 s only: not locked
  for (std::size_t k = 120; k < 300; ++k) e[k] = -99;
  CHECK(lock_time(e) == 120);
  e[180] = 100;  // 120 … 179 is exactly 60 s below, then one at the limit
  CHECK(lock_time(e) == 181);
  CHECK_FALSE(lock_time(std::vector<double>(100, 200.0)));
}

TEST_CASE("error statistics: rms of signed values, nearest-rank p95 and max of |value|",
          "[unit]") {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i % 2 == 0 ? i : -i);
  const ErrorStats s = error_stats(v);
  CHECK(s.n == 100);
  CHECK(s.p95 == 95);
  CHECK(s.max == 100);
  CHECK(s.rms == Approx(std::sqrt(338350.0 / 100)));
  CHECK(error_stats({}).n == 0);
}

TEST_CASE("holdover and exclusions follow the fault windows", "[unit]") {
  Profile p;
  p.faults.pps_outage = {{100, 10}};
  p.faults.tod_wrong = {{{400, 5}, 1}};
  SimResult r;
  r.duration_s = 1000;
  r.true_error_ns.assign(1001, 1.0);
  r.error_bound_ns.assign(1001, 50.0);
  r.clock_class.assign(1001, 6);
  for (std::size_t k = 100; k < 110; ++k) {
    r.true_error_ns[k] = static_cast<double>(k) - 100;  // 0 … 9 ns
    r.error_bound_ns[k] = 5;
    r.clock_class[k] = k < 107 ? 7 : 52;
  }
  r.true_error_ns[405 + 299] = 1e6;  // inside the 300 s after tod_wrong: left out
  r.true_error_ns[405 + 300] = 3;    // just after: counted
  const Report rep = make_report(r, p);
  REQUIRE(rep.lock_time_s);
  CHECK(*rep.lock_time_s == 0);
  // 1 … 1000 minus 100 … 409 (outage + 300 s) and 400 … 704 (tod_wrong + 300 s).
  CHECK(rep.true_error_ns.n == 1000 - (705 - 100));
  CHECK(rep.true_error_ns.max == 3);
  REQUIRE(rep.holdover.size() == 1);
  CHECK(rep.holdover[0].max_true_error_ns == 9);
  CHECK(rep.holdover[0].max_bound_ns == 5);
  CHECK(rep.holdover[0].within_bound_fraction == Approx(0.6));  // 0 … 5 of 0 … 9
  CHECK(rep.holdover[0].class7_s == 7);
}

TEST_CASE("the JSON has exactly the README keys, deterministically formatted", "[unit]") {
  Report r;
  r.profile = "cm4-m8t";
  r.servo = "kalman";
  r.seed = 1;
  r.duration_s = 86400;
  r.lock_time_s = 9;
  r.true_error_ns = {1.5, 2.25, 3, 10};
  r.residual_ns = {0.5, 1, 2, 9};
  r.holdover = {{40000, 3600, 120.5, std::numeric_limits<double>::infinity(), 0.5, 3000}};
  r.chrony_samples = 80000;
  r.chrony_samples_over_1us = 0;
  r.pulses_seen = 86000;
  r.pulses_lost = 400;
  r.outliers_rejected = 2;
  r.mislabelled = 0;
  r.steps = 1;
  r.system.samples = 79000;
  r.system.error_ns = {150.25, 295.5, 691.75, 79000};
  r.system.bound_median_ns = 3485.5;
  r.system.bound_max_ns = 49689.25;
  r.system.within_bound_fraction = 0.995;
  r.system.gpio_pulses = 78990;
  r.system.gpio_alarms = 2;
  CHECK(report_json(r) ==
        "{\n"
        "  \"profile\": \"cm4-m8t\", \"servo\": \"kalman\", \"seed\": 1, \"duration_s\": 86400,\n"
        "  \"lock_time_s\": 9.0,\n"
        "  \"true_error_ns\": {\"rms\": 1.500, \"p95\": 2.250, \"max\": 3.000, \"n\": 10},\n"
        "  \"residual_ns\": {\"rms\": 0.500, \"p95\": 1.000, \"max\": 2.000, \"n\": 9},\n"
        "  \"holdover\": [\n"
        "    {\"start_s\": 40000.0, \"duration_s\": 3600.0, \"max_true_error_ns\": 120.500, "
        "\"max_bound_ns\": null, \"within_bound_fraction\": 0.500000, \"class7_s\": 3000.0}\n"
        "  ],\n"
        "  \"chrony\": {\"samples\": 80000, \"samples_over_1us\": 0},\n"
        "  \"pulses\": {\"seen\": 86000, \"lost\": 400, \"outliers_rejected\": 2, \"mislabelled\": 0},\n"
        "  \"steps\": 1,\n"
        "  \"system\": {\n"
        "    \"samples\": 79000,\n"
        "    \"error_ns\": {\"rms\": 150.250, \"p95\": 295.500, \"max\": 691.750},\n"
        "    \"bound_ns\": {\"median\": 3485.500, \"max\": 49689.250},\n"
        "    \"within_bound_fraction\": 0.995000,\n"
        "    \"pps_gpio\": {\"pulses\": 78990, \"alarms\": 2}\n"
        "  }\n"
        "}\n");
  r.lock_time_s.reset();
  r.holdover.clear();
  const std::string j = report_json(r);
  CHECK_THAT(j, Catch::Matchers::Contains("\"lock_time_s\": null,"));
  CHECK_THAT(j, Catch::Matchers::Contains("\"holdover\": [],"));
}

TEST_CASE("system stats: |error| against each sample's own bound, nearest-rank bound median",
          "[unit]") {
  // Errors are absolute (the judge gives |claimed − real|); bounds per sample.
  const std::vector<SystemSample> samples = {
      {100, 3000}, {2500, 3000}, {3500, 3000}, {7000, 3000}, {300, 50000}};
  const SystemStats st = system_stats(samples);
  CHECK(st.samples == 5);
  CHECK(st.within_bound_fraction == Approx(0.6));  // 3500 and 7000 are outside 3000
  CHECK(st.over_twice_bound == 1);                 // only 7000 > 2 × 3000
  CHECK(st.bound_median_ns == 3000);
  CHECK(st.bound_max_ns == 50000);
  CHECK(st.error_ns.max == 7000);
  CHECK(st.error_ns.rms == Approx(std::sqrt((1e4 + 6.25e6 + 1.225e7 + 4.9e7 + 9e4) / 5)));
  const SystemStats none = system_stats({});
  CHECK(none.samples == 0);
  CHECK(none.within_bound_fraction == 1);
}
