#pragma once
// Exact replay (docs/recording.md#replay): a recording's tape played back through the real
// Conductor in virtual time. The replay is the Conductor's world: its Clocks answer the
// recorded clock reads, its PHC the recorded EXTTS events and PHC reads, its GPIO the recorded
// fetches; the handlers are called where the recording has what the daemon handed them (time
// of day, ticks, carrier). Every command and output the replayed Conductor makes is compared
// with the recorded one, in order; the first difference (or a port asked for something other
// than what the tape has next) ends the replay with both sides and the time.

#include <cstdint>
#include <optional>
#include <string>

#include "conductor/conductor.hpp"
#include "recording/file.hpp"
#include "recording/records.hpp"

namespace nanotime::conductor {

struct ReplayMismatch {
  std::int64_t mono_ns = 0;  // of the recorded record where the two differ
  std::string recorded;      // recording::describe of it, or "the end of the recording"
  std::string replayed;      // what the replayed Conductor did or asked for
};

struct ReplayResult {
  std::optional<ReplayMismatch> mismatch;  // none: identical
  std::uint64_t records = 0;               // consumed
  std::uint64_t commands = 0;              // frequency and step commands compared
  std::uint64_t chrony_samples = 0;        // compared
  std::uint64_t quality_changes = 0;       // compared
  std::int64_t first_mono_ns = 0;
  std::int64_t last_mono_ns = 0;
  bool ended_inside_handler = false;  // the tape stopped mid-handler (a cut tail)
};

// The replay's world. Build the Conductor on clocks(), clock(), chrony() (when the recording
// had a chronyd output), gpio() (when it had a wire); set observer(); then run().
class Replay final {
 public:
  explicit Replay(recording::RecordSource& source);  // a Reader or a Chain
  ~Replay();
  Replay(const Replay&) = delete;
  Replay& operator=(const Replay&) = delete;

  Clocks& clocks();
  phc::PtpClock& clock();
  ChronySink& chrony();
  GpioPpsSource& gpio();
  ConductorObserver& observer();

  // Calls conductor.start(), then each handler where the tape has its input, until the tape
  // ends or differs.
  ReplayResult run(Conductor& conductor);

 private:
  struct Tape;
  class Ports;
  std::unique_ptr<Tape> tape_;
  std::unique_ptr<Ports> ports_;
};

}  // namespace nanotime::conductor
