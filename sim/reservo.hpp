#pragma once
// Re-servo on real data (docs/recording.md#reservo): any servo and configuration run
// closed-loop on a field recording, in virtual time, through the real Conductor.
//
// The recording holds what the PHC said (EXTTS timestamps, reads) while the recorded run
// steered it, and every command that run applied (frequency, steps) with its mono time. The
// free-running PHC is what remains when that steering is taken away:
//   free(t) = recorded PHC(t) − S_old(t),   S(t) = Σ steps before t + ∫ applied frequency dt
// and the PHC the new servo sees is free(t) + S_new(t), S_new its own commands. An EXTTS edge
// is moved at its capture instant (estimated from the PHC read the Conductor made right after
// it), a PHC read at its latch. Everything else the Conductor takes comes from the tape
// unchanged: the time-of-day events (gpsd's PPS with qErr), ticks with the temperature, carrier
// changes, GPIO timestamps, the system clock's offset from mono.
//
// What the reconstruction cannot know: where a recorded step really landed (its error stays in
// `free`, as the oscillator's), the PHC's value between reads (a read at another instant
// than a recorded one is extrapolated at the free-running rate measured from the pulses), and
// where inside its tick a recorded EXTTS edge fell (the counter truncates to its tick, 8 ns on
// the CM4): a moved edge keeps the recorded truncation error, which has the statistics of the
// new run's own. It is off the tick grid, though, so the new engine is told the recorded tick
// (EngineConfig::extts_tick_ns) instead of learning 1 ns from the moved timestamps: it corrects
// half a tick, and a wrong half tick is a bias the new servo steers into its true error.
// There is no truth in a recording: the report (ReservoReport) gives what it can know.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conductor/conductor.hpp"
#include "discipline/engine.hpp"
#include "recording/records.hpp"
#include "sim/report.hpp"

namespace nanotime::sim {

// The phase a run's commands added to the PHC, as a function of mono time. Steps are kept as
// whole ns apart from the frequency's integral: a first step of a PHC set to 1970 is ~1.8e18 ns,
// where a double's resolution is 256 ns.
class Steering {
 public:
  struct Phase {
    std::int64_t steps_ns = 0;  // steps at mono ≤ the instant
    double frequency_ns = 0;    // the applied frequency integrated up to it
  };
  void frequency(std::int64_t mono_ns, double applied_ppb);
  void step(std::int64_t mono_ns, std::int64_t delta_ns);
  Phase at(std::int64_t mono_ns) const;  // 0 before any command
  // This steering's phase minus `other`'s at mono_ns (exact in the steps).
  double minus(const Steering& other, std::int64_t mono_ns) const;
  std::size_t commands() const { return segments_.size(); }

 private:
  struct Segment {
    std::int64_t mono_ns = 0;  // from here on: phase + ppb × (t − mono_ns)
    Phase phase;
    double ppb = 0;
  };
  std::vector<Segment> segments_;
};

// A recording read whole, the recorded run's steering separated out.
struct Reconstruction {
  recording::Header header;
  std::vector<recording::Record> records;  // the tape, in order
  Steering recorded;                       // S_old
  std::optional<phc::PhcCaps> caps;
  std::int64_t first_mono_ns = 0;
  std::int64_t last_mono_ns = 0;
  // The recorded EXTTS timestamps' tick, as the engine would learn it (discipline::TickGcd).
  std::int64_t tick_ns = 1;
  std::string stop_message;                // a truncated tail (empty: read to the end)
};

// Throws recording::FormatError for a file that is not a readable recording.
Reconstruction reconstruct(std::string_view file);

// The engine configuration the recorded daemon had (header engine.*), with `servo`; keys the
// header lacks keep their defaults.
discipline::EngineConfig recorded_engine_config(const recording::Header& h,
                                                const std::string& servo);

// The recorded EXTTS edges on the free-running PHC: at the instant each was captured
// (estimated from the PHC read next to it), its recorded value minus the steering until then.
struct FreeEdge {
  std::int64_t capture_mono_ns = 0;
  std::int64_t recorded_phc_ns = 0;
  Steering::Phase steering;  // S_old at the capture
  // free-running PHC − (a constant) at the capture: recorded − steps − frequency integral
  std::int64_t free_ns() const { return recorded_phc_ns - steering.steps_ns; }
  double free_frac_ns() const { return -steering.frequency_ns; }
};
std::vector<FreeEdge> free_running_edges(const Reconstruction& rec);

// The recorded daemon's Conductor options (header conductor.*: pin, channel, cable-delay shift,
// GPIO latency floor); what the header lacks or garbles keeps its default.
conductor::ConductorOptions recorded_conductor_options(const recording::Header& h);

struct ReservoOptions {
  std::string latch_model = "auto";  // "auto": the header's conductor.latch_model
  bool gpio_wire = true;             // false: ignore the recorded GPIO timestamps
};

struct HoldoverDrift {
  double start_s = 0;       // from the recording's start: the last used pulse before the gap
  double duration_s = 0;    // until the first used pulse after it
  double drift_ns = 0;      // that pulse's measured offset: how far the PHC drifted meanwhile
};

struct ReservoResult {
  std::string servo;
  double duration_s = 0;
  Steering steering;                          // S_new
  std::vector<ResidualSample> residuals;      // k: whole seconds since the recording's start
  std::vector<double> gpio_difference_ns;     // GPIO − PHC path, per paired pulse
  std::vector<HoldoverDrift> holdovers;
  std::uint64_t pulses = 0;                   // EXTTS edges handed to the Conductor
  std::uint64_t steps = 0;
  std::uint64_t frequency_commands = 0;
  std::uint64_t chrony_samples = 0;
  std::uint64_t outliers_rejected = 0;
  std::string latch_model;
};

// Runs an engine configured by `config` closed-loop on the reconstruction; its EXTTS tick
// (extts_tick_ns), unless set, is the recording's (rec.tick_ns).
ReservoResult run_reservo(const Reconstruction& rec, discipline::EngineConfig config,
                          const ReservoOptions& options = {});

// Gaps of at least this long between used pulses count as holdovers.
inline constexpr double kHoldoverGapS = 60;

// The simulator's report shape, without truth (report_json says "truth": false).
struct ReservoReport {
  std::string recording;
  std::string servo;
  double duration_s = 0;
  std::optional<double> lock_time_s;   // |residual| < 100 ns for every used pulse of 60 s
  ErrorStats residual_ns;              // used pulses from lock on
  ErrorStats gpio_difference_ns;       // GPIO − PHC path (latency included), all pairs
  std::vector<HoldoverDrift> holdover;
  std::uint64_t pulses = 0;
  std::uint64_t steps = 0;
  std::uint64_t frequency_commands = 0;
  std::uint64_t chrony_samples = 0;
  std::uint64_t outliers_rejected = 0;
};
ReservoReport make_reservo_report(const ReservoResult& r, const std::string& recording_name);
std::string reservo_report_json(const ReservoReport& r);
std::string reservo_report_summary(const ReservoReport& r);

}  // namespace nanotime::sim
