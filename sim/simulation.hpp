#pragma once
// The discrete-event simulation: a SimulatedPhc, a SimulatedReceiver, EXTTS delivery, gpsd time
// messages, temperature and faults, run in true time against a discipline engine driven only
// through its public API (lib/discipline/engine.hpp). The simulator knows the truth; the engine
// does not.
//
// Events sent to the engine, per true second k (pulse k is the edge of TAI second start + k):
//   PulseReport   20 ms before the nominal edge (gpsd learns the qErr of a pulse before the
//                 pulse), edge_mono_ns = when the edge really arrives; qerr_ns when gnss.qerr.
//                 Not sent during pps_outage or tod_outage; utc_s shifted by tod_wrong.
//   ExttsEvent    phc_ns = the PHC's (quantised) reading at the true instant the edge reached
//                 the pin, delivered delivery_delay_s later. With phc.both_edges a second event
//                 for the falling edge pulse_width_s later.
//   TimeReport    at k + delay (+ tod_late), naming utc_s (+ tod_wrong) with tai_utc_s such that
//                 TAI = utc_s + tai_utc_s (see timescale.hpp for the leap second).
//   Tick, TemperatureReading   at k + 0.5 s (readings only with a [temperature] section).
//   CarrierChange at each carrier_loss start and end.
// mono time = true time + kMonoOffsetNs. Commands are applied at the instant of the event that
// produced them: the step first, then the frequency.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "discipline/engine.hpp"
#include "sim/profile.hpp"

namespace nanotime::sim {

inline constexpr std::int64_t kMonoOffsetNs = 1000123456789;  // mono at t = 0 (~17 min uptime)
inline constexpr std::int64_t kPulseReportLeadNs = 20000000;
inline constexpr std::int64_t kTickPhaseNs = 500000000;

// The engine configuration a correctly configured daemon would have for this profile
// (the operator knows the cable delay, the driver's edges and its frequency limit).
discipline::EngineConfig engine_config(const Profile& profile, const std::string& servo);

struct ResidualSample {
  std::int64_t k = 0;       // true pulse index (seconds from the start)
  double offset_ns = 0;     // what the engine measured
};

// Everything the run produced; the report (report.hpp) is computed from it.
struct SimResult {
  std::string profile;
  std::string servo;
  std::uint64_t seed = 0;
  std::int64_t duration_s = 0;
  // Per true second k = 0 … duration_s: PHC − TAI (exact, before quantisation), the engine's
  // published error bound and clockClass at that instant.
  std::vector<double> true_error_ns;
  std::vector<double> error_bound_ns;
  std::vector<std::uint8_t> clock_class;
  std::vector<ResidualSample> residuals;   // pulses the engine used
  std::uint64_t chrony_samples = 0;
  std::uint64_t chrony_over_1us = 0;
  std::uint64_t pulses_seen = 0;           // real edges delivered (pulses, not edges)
  std::uint64_t pulses_lost = 0;           // sent by the receiver, never delivered
  std::uint64_t outliers_rejected = 0;     // pulse measurements the engine marked outlier
  std::uint64_t mislabelled = 0;           // used with a TAI second other than the edge's
  std::uint64_t steps = 0;
  std::uint64_t frequency_commands = 0;
  double max_chrony_error_ns = 0;          // worst |claimed − true UTC| of a chrony sample
};

struct RunOptions {
  std::optional<std::uint64_t> seed;       // default: the profile's
  std::optional<double> duration_s;        // default: the profile's
};

// Runs the profile against `engine` (fresh, configured with engine_config()).
SimResult run_simulation(const Profile& profile, discipline::Engine& engine,
                         const std::string& servo, const RunOptions& options = {});

}  // namespace nanotime::sim
