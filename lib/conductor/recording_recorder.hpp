#pragma once
// The recorder: what the Conductor takes from the world at its ports and what it does with it,
// as a tape of records (lib/recording, docs/recording.md) that recording_replay.hpp plays back
// through the same Conductor.
//
// It sits between the Conductor and the Backend's ports: wrap each port given to the Conductor
// (clocks(), clock(), chrony(), gpio()), pass what the daemon hands the Conductor's handlers
// through tod(), tick() and carrier(), and make it the Conductor's observer (quality changes).
// Without a sink every wrapper only forwards: the daemon keeps the wrappers for its whole run
// and starts and stops recording by setting the sink. Each record is stamped with the stamp
// clock's mono time (the real one, not a recorded read).
//
// A recording replays exactly only if it starts before Conductor::start() (header
// origin = "start"): the engine's state is not in the file, so a recording attached to a
// running daemon (origin = "attached") holds the inputs and outputs but not their history.
//
// One more port: a wrapper class forwarding to the inner port and calling note() with what it
// answered, a Body alternative in lib/recording/records.hpp, and its case in the replay.

#include <memory>
#include <optional>
#include <vector>

#include "conductor/conductor.hpp"
#include "conductor/ports.hpp"
#include "recording/records.hpp"

namespace nanotime::conductor {

// Where records go (a file with rotation: recording_file.hpp; a vector in tests).
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void write(const recording::Record& r) = 0;
};

class Recorder final : public ConductorObserver {
 public:
  explicit Recorder(Clocks& stamp_clock);
  ~Recorder() override;
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Null: stop recording. The sink must outlive its use here.
  void set_sink(RecordSink* sink) { sink_ = sink; }
  bool recording() const { return sink_ != nullptr; }
  void note(recording::Body body);

  // The port wrappers (owned here; each call replaces the inner port of the same wrapper).
  Clocks& clocks(Clocks& inner);
  phc::PtpClock& clock(phc::PtpClock& inner);
  ChronySink* chrony(ChronySink* inner);        // null stays null (no chronyd output)
  GpioPpsSource* gpio(GpioPpsSource* inner);    // null stays null (no wire)

  // What the daemon hands the Conductor's handlers, recorded on the way.
  const std::vector<gpsd::Event>& tod(const std::vector<gpsd::Event>& events);
  std::optional<double> tick(std::optional<double> temperature_c);
  bool carrier(bool up);
  // A state for on_receiver: recorded only when its time mode is new (what reaches the engine).
  const ReceiverStatus& receiver(const ReceiverStatus& state);

  // ConductorObserver: quality changes (steps and frequencies are recorded at the PHC).
  void applied(const discipline::Output& out, std::int64_t now_mono_ns) override;
  // Also tell `next` what the Conductor did (the observer slot is single).
  void chain(ConductorObserver* next) { next_ = next; }
  void chrony_sample(const discipline::ChronySample& s, const SampleTransfer& t, double offset_ns,
                     std::int64_t now_mono_ns) override;

 private:
  class WrappedClocks;
  class WrappedClock;
  class WrappedChrony;
  class WrappedGpio;
  Clocks& stamp_;
  RecordSink* sink_ = nullptr;
  ConductorObserver* next_ = nullptr;
  std::optional<discipline::ReceiverTimeMode> receiver_mode_;  // as the Conductor last heard it
  std::unique_ptr<WrappedClocks> clocks_;
  std::unique_ptr<WrappedClock> clock_;
  std::unique_ptr<WrappedChrony> chrony_;
  std::unique_ptr<WrappedGpio> gpio_;
};

// A sink into memory (tests, and replay's comparison of a fresh recording).
class VectorSink final : public RecordSink {
 public:
  void write(const recording::Record& r) override { records.push_back(r); }
  std::vector<recording::Record> records;
};

}  // namespace nanotime::conductor
