// The profile parser: every README key, strict (unknown keys rejected with file:line).
#include <catch2/catch.hpp>

#include <filesystem>
#include <iterator>
#include <set>
#include <fstream>

#include "config/config.hpp"
#include "sim/profile.hpp"

using namespace nanotime::sim;
using nanotime::config::ConfigError;
using Catch::Matchers::Contains;

namespace {
// The README's example, with every key and every fault type.
const char* kEverything = R"([sim]
duration_s = 86400
seed = 1
start_utc = "2026-06-30T12:00:00Z"
tai_utc_s = 37
leap_second = "2026-06-30"
system_offset_s = 0.000123

[phc]
initial_offset_s = 1.5e9
freq_offset_ppb = 13400
aging_ppb_per_day = 0.5
white_fm_ppb = 2.8
flicker_fm_ppb = 1.3
random_walk_fm_ppb_per_sqrt_s = 0.8
temp_coeff_ppb_per_c = -60
resolution_ns = 8
max_adj_ppb = 100000000
step_error_ns = 2000
both_edges = true
pulse_width_s = 0.2
precise_offset = true

[temperature]
mean_c = 45
daily_amp_c = 3
noise_c = 0.1
steps = [ { at_s = 30000, delta_c = 8 } ]

[gnss]
jitter_ns = 0.24
sawtooth_pp_ns = 21
qerr = true
qerr_residual_ns = 0.5
ar1 = [ { tau_s = 2200, sigma_ns = 4.7 } ]
sinusoid = [ { period_s = 86400, amp_ns = 7.5 }, { period_s = 43200, amp_ns = 2.5 } ]
cable_delay_ns = 45

[receiver]
survey_duration_s = 3600
navigation_wander_ns = 12
navigation_wander_tau_s = 300

[extts]
delivery_delay_s = [0.0, 0.25]
loss_probability = 0.14
stale_duplicates = true

[tod]
delay_s = 0.35
jitter_s = 0.05
loss_probability = 0.01

[phc_read]
bracket_ns = 50500
bracket_jitter_ns = 250
latch_fraction = 0.985
latch_jitter_ns = 150
slow_read_probability = 0.01
slow_read_extra_ns = 9400
error_probability = 0.001

[pps_gpio]
latency_ns = 2500
latency_jitter_ns = 400
latency_min_ns = 1000
tail_probability = 0.002
tail_extra_ns = 50000
loss_probability = 0.003

[[faults.pps_outage]]
start_s = 40000
duration_s = 3600
[[faults.tod_outage]]
start_s = 30000
duration_s = 120
[[faults.outlier]]
at_s = 10000
offset_ns = 800
[[faults.phase_jump]]
at_s = 12000
offset_ns = -40
[[faults.carrier_loss]]
start_s = 50000
duration_s = 45
[[faults.tod_wrong]]
start_s = 56000
duration_s = 60
offset_s = 1
[[faults.tod_late]]
start_s = 35000
duration_s = 300
extra_delay_s = 0.6
[[faults.temperature_step]]
at_s = 60000
delta_c = 8
)";

std::string error_of(const std::string& text) {
  try {
    parse_profile(text, "/p/bad.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("every README key is read", "[unit]") {
  const Profile p = parse_profile(kEverything, "/x/cm4-everything.toml");
  CHECK(p.name == "cm4-everything");
  CHECK(p.sim.duration_s == 86400);
  CHECK(p.sim.start_utc_s == 1782820800);  // 2026-06-30T12:00:00Z
  CHECK(p.sim.leap_day_utc_s == 1782777600);
  CHECK(p.sim.system_offset_s == Approx(0.000123));
  CHECK(p.phc.initial_offset_s == 1.5e9);
  CHECK(p.phc.aging_ppb_per_day == 0.5);
  CHECK(p.phc.temp_coeff_ppb_per_c == -60);
  CHECK(p.phc.resolution_ns == 8);
  CHECK(p.phc.both_edges);
  CHECK(p.phc.pulse_width_s == 0.2);
  CHECK(p.phc.precise_offset);
  CHECK(p.temperature.present);
  CHECK(p.temperature.daily_amp_c == 3);
  REQUIRE(p.temperature.steps.size() == 1);
  CHECK(p.temperature.steps[0].delta_c == 8);
  CHECK(p.gnss.qerr);
  CHECK(p.gnss.cable_delay_ns == 45);
  REQUIRE(p.gnss.sinusoid.size() == 2);
  CHECK(p.gnss.sinusoid[1].period_s == 43200);
  CHECK(p.gnss.ar1[0].tau_s == 2200);
  CHECK(p.receiver.present);
  CHECK(p.receiver.survey_duration_s == 3600);
  CHECK(p.receiver.navigation_wander_ns == 12);
  CHECK(p.receiver.navigation_wander_tau_s == 300);
  CHECK(p.extts.delivery_delay_max_s == 0.25);
  CHECK(p.extts.stale_duplicates);
  CHECK(p.tod.loss_probability == 0.01);
  CHECK(p.phc_read.present);
  CHECK(p.phc_read.bracket_ns == 50500);
  CHECK(p.phc_read.bracket_jitter_ns == 250);
  CHECK(p.phc_read.latch_fraction == 0.985);
  CHECK(p.phc_read.latch_jitter_ns == 150);
  CHECK(p.phc_read.slow_read_probability == 0.01);
  CHECK(p.phc_read.slow_read_extra_ns == 9400);
  CHECK(p.phc_read.error_probability == 0.001);
  CHECK(p.pps_gpio.present);
  CHECK(p.pps_gpio.latency_ns == 2500);
  CHECK(p.pps_gpio.latency_jitter_ns == 400);
  CHECK(p.pps_gpio.latency_min_ns == 1000);
  CHECK(p.pps_gpio.tail_probability == 0.002);
  CHECK(p.pps_gpio.tail_extra_ns == 50000);
  CHECK(p.pps_gpio.loss_probability == 0.003);
  CHECK(p.faults.pps_outage[0].duration_s == 3600);
  CHECK(p.faults.tod_outage[0].start_s == 30000);
  CHECK(p.faults.outlier[0].offset_ns == 800);
  CHECK(p.faults.phase_jump[0].offset_ns == -40);
  CHECK(p.faults.carrier_loss[0].duration_s == 45);
  CHECK(p.faults.tod_wrong[0].offset_s == 1);
  CHECK(p.faults.tod_late[0].extra_delay_s == 0.6);
  CHECK(p.faults.temperature_step[0].at_s == 60000);
}

TEST_CASE("absent keys mean no effect; the defaults of the README", "[unit]") {
  const Profile p = parse_profile("", "/x/empty.toml");
  CHECK(p.sim.duration_s == 86400);
  CHECK(p.sim.start_utc_s == 1767225600);  // 2026-01-01T00:00:00Z
  CHECK(p.sim.tai_utc_s == 37);
  CHECK_FALSE(p.sim.leap_day_utc_s);
  CHECK(p.phc.white_fm_ppb == 0);
  CHECK(p.phc.resolution_ns == 1);
  CHECK_FALSE(p.temperature.present);
  CHECK_FALSE(p.gnss.qerr);
  CHECK_FALSE(p.receiver.present);  // fixed mode from the start, no receiver watch
  CHECK(p.faults.pps_outage.empty());
}

TEST_CASE("unknown keys and sections are rejected with file:line", "[unit]") {
  CHECK(error_of("[phc]\nfreq_offset_ppb = 1\nwhite_fm = 2\n") ==
        "/p/bad.toml:3:1: [phc] white_fm: unknown key");
  CHECK_THAT(error_of("[sim]\nseed = 1\n[antenna]\njitter_ns = 1\n"),
             Contains("/p/bad.toml:3") && Contains("antenna: unknown section"));
  CHECK(error_of("[sim]\nseed = 1\n[receiver]\njitter_ns = 1\n") ==
        "/p/bad.toml:4:1: [receiver] jitter_ns: unknown key");
  CHECK_THAT(error_of("[gnss]\nar1 = [ { tau_s = 1, sigma_ns = 2, sigma = 2 } ]\n"),
             Contains("/p/bad.toml:2") && Contains("sigma: unknown key"));
  CHECK_THAT(error_of("[[faults.pps_outage]]\nstart_s = 1\nduration_s = 2\nend_s = 3\n"),
             Contains("/p/bad.toml:4:1") && Contains("end_s: unknown key"));
  CHECK_THAT(error_of("[[faults.antenna_cut]]\nstart_s = 1\n"),
             Contains("/p/bad.toml:1") && Contains("antenna_cut: unknown key"));
}

TEST_CASE("bad values name file:line and the key", "[unit]") {
  CHECK_THAT(error_of("[sim]\nstart_utc = \"2026-02-30T00:00:00Z\"\n"),
             Contains("/p/bad.toml:2") && Contains("start_utc"));
  CHECK_THAT(error_of("[sim]\nleap_second = \"2026-06-30T00:00:00Z\"\n"),
             Contains("/p/bad.toml:2") && Contains("leap_second"));
  CHECK_THAT(error_of("[extts]\ndelivery_delay_s = [0.3, 0.1]\n"),
             Contains("/p/bad.toml:2") && Contains("delivery_delay_s"));
  CHECK_THAT(error_of("[[faults.outlier]]\nat_s = 5\n"),
             Contains("/p/bad.toml:1") && Contains("offset_ns: missing"));
  CHECK_THAT(error_of("[phc]\nresolution_ns = 0\n"), Contains("/p/bad.toml:2"));
  CHECK_THAT(error_of("[gnss]\njitter_ns = \"x\"\n"), Contains("/p/bad.toml:2"));
  CHECK_THAT(error_of("[sim\n"), Contains("/p/bad.toml:1"));
}

TEST_CASE("dates parse to POSIX seconds", "[unit]") {
  CHECK(parse_utc("1970-01-01") == 0);
  CHECK(parse_utc("2026-12-31T12:00:00Z") == 1798718400);
  CHECK(parse_utc("2024-02-29") == 1709164800);
  CHECK_FALSE(parse_utc("2025-02-29"));
  CHECK_FALSE(parse_utc("2026-06-30 12:00:00"));
  CHECK_FALSE(parse_utc("26-06-30"));
}

namespace {
std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("the contract's profiles (sim/profiles) parse, and are all there", "[unit]") {
  const std::filesystem::path dir = std::filesystem::path(NANOTIME_SOURCE_DIR) / "sim" / "profiles";
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".toml") continue;
    INFO(entry.path().string());
    CHECK_NOTHROW(load_profile(entry.path().string()));
    names.insert(entry.path().stem().string());
  }
  CHECK(names == std::set<std::string>{"cm4-f9t", "cm4-m8t", "cm4-m8t-faults", "cm4-m8t-qerr", "timehat-f9t"});
}

TEST_CASE("sim/profiles is a verbatim copy of ../shared/sim/profiles (when that is checked out)",
          "[unit]") {
  const std::filesystem::path ours = std::filesystem::path(NANOTIME_SOURCE_DIR) / "sim" / "profiles";
  const std::filesystem::path shared =
      std::filesystem::path(NANOTIME_SOURCE_DIR) / ".." / "shared" / "sim" / "profiles";
  if (!std::filesystem::is_directory(shared)) {
    WARN("no ../shared/sim/profiles beside the repository: nothing to compare");
    return;
  }
  for (const auto& entry : std::filesystem::directory_iterator(shared)) {
    if (entry.path().extension() != ".toml") continue;
    INFO(entry.path().filename().string());
    CHECK(slurp(entry.path()) == slurp(ours / entry.path().filename()));
  }
}

TEST_CASE("absent [phc_read] and [pps_gpio] mean exact reads and no GPIO wire", "[unit]") {
  const Profile p = parse_profile("[sim]\nseed = 2\n", "/x/bare.toml");
  CHECK_FALSE(p.phc_read.present);
  CHECK(p.phc_read.bracket_ns == 0);
  CHECK_FALSE(p.pps_gpio.present);
  CHECK(error_of("[phc_read]\nlatch_fraction = 1.5\n").find("latch_fraction") != std::string::npos);
  CHECK(error_of("[pps_gpio]\nlatency = 3\n").find("latency") != std::string::npos);
}

TEST_CASE("a missing profile file is a clear error", "[unit]") {
  CHECK_THROWS_WITH(load_profile("/nonexistent/p.toml"), Contains("/nonexistent/p.toml"));
}
