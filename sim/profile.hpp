#pragma once
// A simulation profile (docs/simulation.md is the contract for every key): one PHC, one
// GNSS receiver, the path between them and the faults to inject. Absent keys mean "no such
// effect" unless a default is given. Units are in the names.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nanotime::sim {

struct SimSection {
  double duration_s = 86400;
  std::uint64_t seed = 1;
  std::int64_t start_utc_s = 1767225600;  // POSIX seconds; 2026-01-01T00:00:00Z
  int tai_utc_s = 37;
  std::optional<std::int64_t> leap_day_utc_s;  // POSIX seconds of 00:00 of the leap day
  double system_offset_s = 0;                  // realtime mode only: true − CLOCK_REALTIME
};

struct PhcSection {
  double initial_offset_s = 0;      // PHC − TAI at t = 0
  double freq_offset_ppb = 0;
  double aging_ppb_per_day = 0;
  double white_fm_ppb = 0;
  double flicker_fm_ppb = 0;
  double random_walk_fm_ppb_per_sqrt_s = 0;
  double temp_coeff_ppb_per_c = 0;
  std::int64_t resolution_ns = 1;
  double max_adj_ppb = 100000000;
  double step_error_ns = 0;
  bool both_edges = false;
  double pulse_width_s = 0.1;
  bool precise_offset = false;
};

struct TemperatureStep {
  double at_s = 0;
  double delta_c = 0;
};

struct TemperatureSection {
  bool present = false;  // readings are sent to the engine only when the board has a sensor
  double mean_c = 45;
  double daily_amp_c = 0;
  double noise_c = 0;
  std::vector<TemperatureStep> steps;
};

struct Ar1Spec {
  double tau_s = 1;
  double sigma_ns = 0;
};

struct SinusoidSpec {
  double period_s = 86400;
  double amp_ns = 0;
};

struct GnssSection {
  double jitter_ns = 0;
  double sawtooth_pp_ns = 0;
  bool qerr = false;
  double qerr_residual_ns = 0;
  std::vector<Ar1Spec> ar1;
  std::vector<SinusoidSpec> sinusoid;
  double cable_delay_ns = 0;
};

// [receiver]: the receiver's time mode (docs/simulation.md#receiver). Absent: fixed mode from
// the start, no receiver watch (today's figures). Present: the receiver surveys its position
// for survey_duration_s from t = 0, navigating meanwhile, so its pulse carries an extra
// wander (AR(1): 1σ navigation_wander_ns, correlation time navigation_wander_tau_s) that is
// gone once the position is fixed; the world's receiver watch reports mode and survey.
struct ReceiverSection {
  bool present = false;
  double survey_duration_s = 0;
  double navigation_wander_ns = 0;
  double navigation_wander_tau_s = 300;
};

struct ExttsSection {
  double delivery_delay_min_s = 0;
  double delivery_delay_max_s = 0;
  double loss_probability = 0;
  bool stale_duplicates = false;
};

struct TodSection {
  double delay_s = 0;
  double jitter_s = 0;
  double loss_probability = 0;
};

// [phc_read]: how the system clock is compared with the PHC. One PHC read is latched at system
// time t_L inside a PTP_SYS_OFFSET_EXTENDED bracket [before, after] (docs/simulation.md).
// Absent: exact, zero-width reads.
struct PhcReadSection {
  bool present = false;
  double bracket_ns = 0;            // width of one read's bracket
  double bracket_jitter_ns = 0;     // sd of the width (never below half of bracket_ns)
  double latch_fraction = 0.5;      // 0 = latched at `before`, 1 = at `after`
  double latch_jitter_ns = 0;       // sd of the latch instant (kept inside the bracket)
  double slow_read_probability = 0; // a read delayed by slow_read_extra_ns, before or after
  double slow_read_extra_ns = 0;
  double error_probability = 0;     // a request fails with ETIMEDOUT
};

// [pps_gpio]: the same PPS on a GPIO, timestamped by the kernel (late by the interrupt latency).
// Absent: no such wire.
struct PpsGpioSection {
  bool present = false;
  double latency_ns = 0;            // mean delay from the true edge to the kernel's timestamp
  double latency_jitter_ns = 0;     // sd (normal, truncated at latency_min_ns)
  double latency_min_ns = 0;
  double tail_probability = 0;      // a further uniform(0, tail_extra_ns) delay
  double tail_extra_ns = 0;
  double loss_probability = 0;
};

struct Window {  // [start_s, start_s + duration_s)
  double start_s = 0;
  double duration_s = 0;
  bool contains(double t_s) const { return t_s >= start_s && t_s < start_s + duration_s; }
  double end_s() const { return start_s + duration_s; }
};

struct PointFault {
  double at_s = 0;
  double offset_ns = 0;
};

struct TodWrong {
  Window window;
  std::int64_t offset_s = 0;
};

struct TodLate {
  Window window;
  double extra_delay_s = 0;
};

struct Faults {
  std::vector<Window> pps_outage;
  std::vector<Window> tod_outage;
  std::vector<PointFault> outlier;
  std::vector<PointFault> phase_jump;
  std::vector<Window> carrier_loss;
  std::vector<TodWrong> tod_wrong;
  std::vector<TodLate> tod_late;
  std::vector<TemperatureStep> temperature_step;
};

struct Profile {
  std::string name;  // file stem, e.g. "cm4-m8t"
  SimSection sim;
  PhcSection phc;
  TemperatureSection temperature;
  GnssSection gnss;
  ReceiverSection receiver;
  ExttsSection extts;
  TodSection tod;
  PhcReadSection phc_read;
  PpsGpioSection pps_gpio;
  Faults faults;
};

// Both throw config::ConfigError "file:line:col: [table] key: message" (unknown keys too).
Profile load_profile(const std::string& path);
Profile parse_profile(std::string_view text, const std::string& file_name);

// "2026-06-30T12:00:00Z" or "2026-06-30" (→ midnight) to POSIX seconds; nullopt if malformed.
std::optional<std::int64_t> parse_utc(std::string_view text);

}  // namespace nanotime::sim
