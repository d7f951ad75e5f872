#pragma once
// The simulated-time run: the simulated world (sim/world.hpp) on virtual clocks, driven through
// the real Conductor (lib/conductor) exactly as the daemon's loop drives it, against a
// discipline engine used only through its public API (lib/discipline/engine.hpp). The world
// knows the truth; the conductor and the engine do not.
//
// At each simulated instant (the next world event, the 1 s tick at k + 0.5 s, the truth record
// at whole seconds) drive() moves the clocks there and calls the conductor's handlers as the
// daemon's poll loop does: EXTTS readable → on_extts_readable, time-of-day events →
// on_tod_events, carrier → on_carrier, the tick → on_tick(temperature). So the published
// figures pass through everything the daemon does: gpsd's fix gating and second rounding, the
// PHC reading's age and quiet time, skipped samples. Commands are applied at the instant of the
// event that produced them (the step first, then the frequency).
//
// Per true second k = 0 … duration the truth is recorded (PHC − TAI, the engine's bound and
// clockClass) before the conductor handles that instant. Each chrony sample is judged against
// true UTC (on virtual clocks the system clock is true UTC − [sim] system_offset_s), each pulse
// the engine reports against the edge it stands for (ConductorObserver).
// mono time = true time + kMonoOffsetNs.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "conductor/conductor.hpp"
#include "discipline/engine.hpp"
#include "sim/profile.hpp"

namespace nanotime::sim {

inline constexpr std::int64_t kMonoOffsetNs = 1000123456789;  // mono at t = 0 (~17 min uptime)
inline constexpr std::int64_t kPulseReportLeadNs = 20000000;
inline constexpr std::int64_t kTickPhaseNs = 500000000;

// The engine configuration a correctly configured daemon would have for this profile
// (the operator knows the cable delay, the driver's edges and its frequency limit).
discipline::EngineConfig engine_config(const Profile& profile, const std::string& servo);

// One chronyd sample as the system clock's NTP half sees it: |claimed − real| (true − system)
// offset, and the bound the program published for it.
struct SystemSample {
  double error_ns = 0;
  double bound_ns = 0;
};

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
  std::uint64_t chrony_skipped = 0;        // allowed by the engine, no fresh PHC reading
  double max_chrony_error_ns = 0;          // worst |claimed − true UTC| of a chrony sample
  // The NTP half (docs/simulation.md#report-system): every chronyd sample, whole.
  std::vector<SystemSample> system;
  std::string latch_model;                 // the model the run used (resolved from "auto")
  std::uint64_t gpio_pulses = 0;           // GPIO pulses the conductor paired with an edge
  std::uint64_t gpio_alarms = 0;           // times the GPIO/PHC alarm was raised
  std::uint64_t read_errors = 0;           // failed PHC read requests
  std::uint64_t slow_rejected = 0;         // requests whose narrowest read was slow
};

struct RunOptions {
  std::optional<std::uint64_t> seed;       // default: the profile's
  std::optional<double> duration_s;        // default: the profile's
  // The PHC-to-system transfer: "auto" (the model the daemon's phc_latch_model = "auto" picks
  // for this simulated PHC, sim::simulated_clock_name) or a model's name ("midpoint", …).
  std::string latch_model = "auto";
  // false: the [pps_gpio] wire is cut (the conductor gets no GpioPpsSource), so a bench can
  // compare the latch model alone with the GPIO-combined transfer on the same world.
  bool gpio_wire = true;
};

// The latch model a run uses: `name` ("auto" resolved for the profile's simulated PHC).
// Throws std::invalid_argument for an unknown name.
const transfer::LatchModel& run_latch_model(const Profile& profile, const std::string& name);

// Host clocks that stand still until told: mono and realtime advance together.
class VirtualClocks final : public conductor::Clocks {
 public:
  VirtualClocks(std::int64_t mono_ns, std::int64_t realtime_ns)
      : mono_ns_(mono_ns), real_minus_mono_ns_(realtime_ns - mono_ns) {}
  std::int64_t mono_ns() override { return mono_ns_; }
  std::int64_t realtime_ns() override { return mono_ns_ + real_minus_mono_ns_; }
  void set_mono_ns(std::int64_t mono_ns) { mono_ns_ = std::max(mono_ns_, mono_ns); }

 private:
  std::int64_t mono_ns_;
  std::int64_t real_minus_mono_ns_;
};

class World;

struct DriveOptions {
  std::int64_t duration_s = 0;  // ticks at k + 0.5 s and truth records at k, for k ≤ this
  // Bring the clocks to mono_ns: set virtual clocks, or sleep until then on the host's.
  std::function<void(std::int64_t mono_ns)> wait_until;
  // Called at each whole true second k (0 … duration_s), before the conductor handles it.
  std::function<void(std::int64_t k)> on_second;
};

// Drives `conductor` (started) on `world` until the world has nothing left to do (a world with
// a last pulse) and the last tick has come.
void drive(World& world, conductor::Conductor& conductor, const DriveOptions& options);

// Runs the profile against `engine` (fresh, configured with engine_config()).
SimResult run_simulation(const Profile& profile, discipline::Engine& engine,
                         const std::string& servo, const RunOptions& options = {});

}  // namespace nanotime::sim
