#include "conductor/recording_recorder.hpp"

namespace nanotime::conductor {

namespace rec = nanotime::recording;

class Recorder::WrappedClocks final : public Clocks {
 public:
  WrappedClocks(Recorder& r, Clocks& inner) : r_(r), inner_(&inner) {}
  void set(Clocks& inner) { inner_ = &inner; }
  std::int64_t mono_ns() override {
    const std::int64_t v = inner_->mono_ns();
    r_.note(rec::MonoRead{v});
    return v;
  }
  std::int64_t realtime_ns() override {
    const std::int64_t v = inner_->realtime_ns();
    r_.note(rec::RealRead{v});
    return v;
  }

 private:
  Recorder& r_;
  Clocks* inner_;
};

class Recorder::WrappedClock final : public phc::PtpClock {
 public:
  WrappedClock(Recorder& r, phc::PtpClock& inner) : r_(r), inner_(&inner) {}
  void set(phc::PtpClock& inner) { inner_ = &inner; }
  phc::PhcCaps caps() override {
    const phc::PhcCaps c = inner_->caps();
    r_.note(rec::Caps{c});
    return c;
  }
  void set_pin_function(unsigned pin, phc::PinFunction func, unsigned channel) override {
    inner_->set_pin_function(pin, func, channel);
    r_.note(rec::PinFunction{pin, static_cast<std::uint32_t>(func), channel});
  }
  void enable_extts(unsigned channel) override {
    inner_->enable_extts(channel);
    r_.note(rec::ExttsEnable{channel, true});
  }
  void disable_extts(unsigned channel) override {
    inner_->disable_extts(channel);
    r_.note(rec::ExttsEnable{channel, false});
  }
  std::size_t read_extts(std::vector<phc::ExttsRecord>& out) override {
    const std::size_t first = out.size();
    const std::size_t n = inner_->read_extts(out);
    r_.note(rec::ExttsRead{{out.begin() + static_cast<std::ptrdiff_t>(first), out.end()}});
    return n;
  }
  double set_frequency_ppb(double freq_ppb) override {
    const double applied = inner_->set_frequency_ppb(freq_ppb);
    r_.note(rec::Frequency{freq_ppb, applied});
    return applied;
  }
  void step_ns(std::int64_t delta_ns) override {
    inner_->step_ns(delta_ns);
    r_.note(rec::Step{delta_ns});
  }
  std::int64_t now_ns() override { return inner_->now_ns(); }  // the Conductor never asks
  phc::PhcReadings read_system(unsigned reads) override {
    try {
      phc::PhcReadings got = inner_->read_system(reads);
      r_.note(rec::PhcReadings{got});
      return got;
    } catch (const phc::PhcReadError& e) {
      r_.note(rec::PhcFailure{e.error_number(), true, e.what()});
      throw;
    } catch (const phc::PhcError& e) {
      r_.note(rec::PhcFailure{e.error_number(), false, e.what()});
      throw;
    }
  }
  int poll_fd() const override { return inner_->poll_fd(); }

 private:
  Recorder& r_;
  phc::PtpClock* inner_;
};

class Recorder::WrappedChrony final : public ChronySink {
 public:
  explicit WrappedChrony(Recorder& r) : r_(r) {}
  void set(ChronySink* inner) { inner_ = inner; }
  bool send_time(std::int64_t system_ns, double offset_ns, refclock::Leap leap) override {
    const bool delivered = inner_->send_time(system_ns, offset_ns, leap);
    r_.note(rec::ChronySent{system_ns, offset_ns, static_cast<std::int32_t>(leap), delivered});
    return delivered;
  }

 private:
  Recorder& r_;
  ChronySink* inner_ = nullptr;
};

class Recorder::WrappedGpio final : public GpioPpsSource {
 public:
  explicit WrappedGpio(Recorder& r) : r_(r) {}
  void set(GpioPpsSource* inner) { inner_ = inner; }
  std::optional<pps::PpsTimestamp> latest_assert() override {
    try {
      const auto edge = inner_->latest_assert();
      r_.note(rec::GpioFetch{edge});
      return edge;
    } catch (const std::exception& e) {
      r_.note(rec::GpioFailure{e.what()});
      throw;
    }
  }
  std::string describe() const override { return inner_->describe(); }

 private:
  Recorder& r_;
  GpioPpsSource* inner_ = nullptr;
};

Recorder::Recorder(Clocks& stamp_clock) : stamp_(stamp_clock) {}
Recorder::~Recorder() = default;

void Recorder::note(recording::Body body) {
  if (sink_ == nullptr) return;
  sink_->write({stamp_.mono_ns(), std::move(body)});
}

Clocks& Recorder::clocks(Clocks& inner) {
  if (!clocks_) clocks_ = std::make_unique<WrappedClocks>(*this, inner);
  clocks_->set(inner);
  return *clocks_;
}

phc::PtpClock& Recorder::clock(phc::PtpClock& inner) {
  if (!clock_) clock_ = std::make_unique<WrappedClock>(*this, inner);
  clock_->set(inner);
  return *clock_;
}

ChronySink* Recorder::chrony(ChronySink* inner) {
  if (inner == nullptr) return nullptr;
  if (!chrony_) chrony_ = std::make_unique<WrappedChrony>(*this);
  chrony_->set(inner);
  return chrony_.get();
}

GpioPpsSource* Recorder::gpio(GpioPpsSource* inner) {
  if (inner == nullptr) return nullptr;
  if (!gpio_) gpio_ = std::make_unique<WrappedGpio>(*this);
  gpio_->set(inner);
  return gpio_.get();
}

const std::vector<gpsd::Event>& Recorder::tod(const std::vector<gpsd::Event>& events) {
  // An empty batch changes nothing in the Conductor: not worth a record (gpsd's maintain()
  // returns one on every timer).
  if (!events.empty()) note(rec::TodEvents{events});
  return events;
}

std::optional<double> Recorder::tick(std::optional<double> temperature_c) {
  note(rec::Tick{temperature_c});
  return temperature_c;
}

bool Recorder::carrier(bool up) {
  note(rec::Carrier{up});
  return up;
}

const ReceiverStatus& Recorder::receiver(const ReceiverStatus& state) {
  // The Conductor feeds the engine (and reads the clock) only on a new mode: the same rule.
  if (receiver_mode_ != state.mode) note(rec::ReceiverMode{static_cast<std::uint8_t>(state.mode)});
  receiver_mode_ = state.mode;
  return state;
}

void Recorder::applied(const discipline::Output& out, std::int64_t now_mono_ns) {
  if (out.quality) note(rec::Quality{*out.quality});
  if (next_ != nullptr) next_->applied(out, now_mono_ns);
}

void Recorder::chrony_sample(const discipline::ChronySample& s, const SampleTransfer& t,
                             double offset_ns, std::int64_t now_mono_ns) {
  if (next_ != nullptr) next_->chrony_sample(s, t, offset_ns, now_mono_ns);
}

}  // namespace nanotime::conductor
