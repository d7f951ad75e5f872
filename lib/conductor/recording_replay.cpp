#include "conductor/recording_replay.hpp"

#include <cerrno>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace nanotime::conductor {

namespace rec = nanotime::recording;

namespace {

// Thrown through the Conductor to end the replay. Deliberately not a std::exception: the
// Conductor catches those from some ports (a GPIO failure), and this must not be swallowed.
struct Diverged {};
struct TapeEnded {};

std::string describe_quality(const discipline::ClockQuality& q) {
  return rec::describe(rec::Quality{q});
}

}  // namespace

struct Replay::Tape {
  explicit Tape(rec::RecordSource& r) : reader(r) {}
  rec::RecordSource& reader;
  std::optional<rec::Record> next;
  ReplayResult result;

  const rec::Record* peek() {
    if (!next) next = reader.next();
    return next ? &*next : nullptr;
  }
  rec::Record take() {
    rec::Record r = *std::exchange(next, std::nullopt);
    ++result.records;
    if (result.records == 1) result.first_mono_ns = r.mono_ns;
    result.last_mono_ns = r.mono_ns;
    return r;
  }
  [[noreturn]] void differ(std::string replayed) {
    const rec::Record* n = peek();
    result.mismatch = ReplayMismatch{n != nullptr ? n->mono_ns : result.last_mono_ns,
                                     n != nullptr ? rec::describe(n->body)
                                                  : "the end of the recording",
                                     std::move(replayed)};
    throw Diverged{};
  }
  // The next record, which must be a T: what the Conductor asks for (`asked`) now.
  template <class T>
  T expect(const std::string& asked) {
    const rec::Record* n = peek();
    if (n == nullptr) throw TapeEnded{};
    if (!std::holds_alternative<T>(n->body)) differ(asked);
    return std::get<T>(take().body);
  }
};

class Replay::Ports final : public Clocks,
                            public phc::PtpClock,
                            public ChronySink,
                            public GpioPpsSource,
                            public ConductorObserver {
 public:
  explicit Ports(Tape& t) : t_(t) {}

  // ---- Clocks ----
  std::int64_t mono_ns() override { return t_.expect<rec::MonoRead>("a monotonic clock read").ns; }
  std::int64_t realtime_ns() override {
    return t_.expect<rec::RealRead>("a system clock read").ns;
  }
  // ---- PtpClock ----
  phc::PhcCaps caps() override { return t_.expect<rec::Caps>("the PHC's caps").caps; }
  void set_pin_function(unsigned pin, phc::PinFunction func, unsigned channel) override {
    const rec::PinFunction want{pin, static_cast<std::uint32_t>(func), channel};
    command(want, t_.expect<rec::PinFunction>(rec::describe(want)));
  }
  void enable_extts(unsigned channel) override { extts(channel, true); }
  void disable_extts(unsigned channel) override { extts(channel, false); }
  std::size_t read_extts(std::vector<phc::ExttsRecord>& out) override {
    const auto got = t_.expect<rec::ExttsRead>("the EXTTS queue").records;
    out.insert(out.end(), got.begin(), got.end());
    return got.size();
  }
  double set_frequency_ppb(double freq_ppb) override {
    const std::string asked = rec::describe(rec::Frequency{freq_ppb, freq_ppb});
    const rec::Frequency f = t_.expect<rec::Frequency>(asked);
    if (f.requested_ppb != freq_ppb) differ_last(f, asked);
    ++t_.result.commands;
    return f.applied_ppb;
  }
  void step_ns(std::int64_t delta_ns) override {
    const rec::Step want{delta_ns};
    command(want, t_.expect<rec::Step>(rec::describe(want)));
    ++t_.result.commands;
  }
  std::int64_t now_ns() override { t_.differ("a PHC time read (never recorded)"); }
  phc::PhcReadings read_system(unsigned) override {
    const rec::Record* n = t_.peek();
    if (n == nullptr) throw TapeEnded{};
    if (const auto* f = std::get_if<rec::PhcFailure>(&n->body)) {
      const rec::PhcFailure failure = *f;
      t_.take();
      if (failure.read_error) throw phc::PhcReadError(failure.error_number, failure.message);
      throw phc::PhcError(failure.error_number, failure.message);
    }
    return t_.expect<rec::PhcReadings>("a PHC read").readings;
  }
  int poll_fd() const override { return -1; }
  // ---- ChronySink ----
  bool send_time(std::int64_t system_ns, double offset_ns, refclock::Leap leap) override {
    const rec::ChronySent want{system_ns, offset_ns, static_cast<std::int32_t>(leap), true};
    const rec::ChronySent got = t_.expect<rec::ChronySent>(rec::describe(want));
    if (got.system_ns != system_ns || got.offset_ns != offset_ns || got.leap != want.leap) {
      differ_last(got, rec::describe(want));
    }
    ++t_.result.chrony_samples;
    return got.delivered;
  }
  // ---- GpioPpsSource ----
  std::optional<pps::PpsTimestamp> latest_assert() override {
    const rec::Record* n = t_.peek();
    if (n == nullptr) throw TapeEnded{};
    if (const auto* f = std::get_if<rec::GpioFailure>(&n->body)) {
      const std::string message = f->message;
      t_.take();
      throw pps::PpsError(EIO, message);
    }
    return t_.expect<rec::GpioFetch>("a GPIO PPS fetch").edge;
  }
  std::string describe() const override { return "recorded GPIO PPS"; }
  // ---- ConductorObserver ----
  void applied(const discipline::Output& out, std::int64_t) override {
    if (!out.quality) return;
    const std::string asked = describe_quality(*out.quality);
    const rec::Quality got = t_.expect<rec::Quality>(asked);
    if (!(got.quality == *out.quality)) differ_last(got, asked);
    ++t_.result.quality_changes;
  }

 private:
  void extts(unsigned channel, bool enable) {
    const rec::ExttsEnable want{channel, enable};
    command(want, t_.expect<rec::ExttsEnable>(rec::describe(want)));
  }
  template <class T>
  void command(const T& want, const T& got) {
    if (!(rec::Record{0, want} == rec::Record{0, got})) differ_last(got, rec::describe(want));
  }
  // The record just taken differs from what the Conductor did.
  template <class T>
  [[noreturn]] void differ_last(const T& got, std::string replayed) {
    t_.result.mismatch =
        ReplayMismatch{t_.result.last_mono_ns, rec::describe(got), std::move(replayed)};
    throw Diverged{};
  }

  Tape& t_;
};

Replay::Replay(rec::RecordSource& reader)
    : tape_(std::make_unique<Tape>(reader)), ports_(std::make_unique<Ports>(*tape_)) {}
Replay::~Replay() = default;

Clocks& Replay::clocks() { return *ports_; }
phc::PtpClock& Replay::clock() { return *ports_; }
ChronySink& Replay::chrony() { return *ports_; }
GpioPpsSource& Replay::gpio() { return *ports_; }
ConductorObserver& Replay::observer() { return *ports_; }

ReplayResult Replay::run(Conductor& c) {
  Tape& t = *tape_;
  try {
    c.start();
    while (const rec::Record* n = t.peek()) {
      if (std::holds_alternative<rec::ExttsRead>(n->body)) {
        c.on_extts_readable();
      } else if (const auto* tod = std::get_if<rec::TodEvents>(&n->body)) {
        const std::vector<gpsd::Event> events = tod->events;
        t.take();
        c.on_tod_events(events);
      } else if (const auto* tick = std::get_if<rec::Tick>(&n->body)) {
        const std::optional<double> temperature = tick->temperature_c;
        t.take();
        c.on_tick(temperature);
      } else if (const auto* carrier = std::get_if<rec::Carrier>(&n->body)) {
        const bool up = carrier->up;
        t.take();
        c.on_carrier(up);
      } else if (const auto* rx = std::get_if<rec::ReceiverMode>(&n->body)) {
        ReceiverStatus state;  // only the mode reaches the engine
        state.mode = static_cast<discipline::ReceiverTimeMode>(rx->mode);
        t.take();
        c.on_receiver(state);
      } else if (const auto* e = std::get_if<rec::ExttsEnable>(&n->body); e && !e->enable) {
        c.stop(0);  // the daemon stopping: it disables EXTTS
      } else {
        t.differ("the next input to a handler (EXTTS, time of day, tick, carrier or receiver)");
      }
    }
  } catch (const Diverged&) {
  } catch (const TapeEnded&) {
    t.result.ended_inside_handler = true;
  } catch (const phc::PhcError& e) {
    // A recorded fatal PHC error ends the daemon, and so the replay, the same way.
    if (t.peek() != nullptr) {
      t.result.mismatch = ReplayMismatch{t.result.last_mono_ns, "the recording goes on",
                                         std::string("the replay stopped: ") + e.what()};
    }
  }
  return t.result;
}

}  // namespace nanotime::conductor
