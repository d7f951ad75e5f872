#pragma once
// Fakes for the conductor's ports: a scripted engine, a PHC that records every call, fixed
// clocks, a chronyd that records samples and a ptp4l publisher that records what it was told.

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "conductor/ports.hpp"
#include "discipline/engine.hpp"
#include "phc/ptp_clock.hpp"

namespace nanotime::ppsd::test {

using namespace nanotime::conductor;

namespace d = nanotime::discipline;

class FakeClocks final : public Clocks {
 public:
  std::int64_t mono = 1'000'000'000'000;                    // 1000 s of uptime
  std::int64_t real = 1'767'225'600'000'000'000 + 250'000'000;  // 2026-01-01T00:00:00.25Z
  std::int64_t mono_ns() override { return mono; }
  std::int64_t realtime_ns() override { return real; }
  void advance(std::int64_t ns) {
    mono += ns;
    real += ns;
  }
};

// Returns, for each event, whatever `script` says (default: nothing), and records the events.
class FakeEngine final : public d::Engine {
 public:
  std::vector<d::Event> events;
  std::function<d::Output(const d::Event&)> script;
  d::EngineStatus st;
  d::Output handle(const d::Event& e) override {
    events.push_back(e);
    return script ? script(e) : d::Output{};
  }
  d::EngineStatus status() const override { return st; }
  template <typename T>
  std::vector<T> of() const {
    std::vector<T> out;
    for (const auto& e : events) {
      if (const auto* p = std::get_if<T>(&e)) out.push_back(*p);
    }
    return out;
  }
};

class FakePtpClock final : public phc::PtpClock {
 public:
  std::deque<phc::ExttsRecord> queued;
  // What read_system() gives unless `scripted_reads` has something: one zero-width read of
  // phc_ns at system_ns.
  struct {
    std::int64_t phc_ns = 0;
    std::int64_t system_ns = 0;
  } next_offset;
  // Requests to answer first, in order (a function may throw phc::PhcReadError).
  std::deque<std::function<phc::PhcReadings()>> scripted_reads;
  int read_calls = 0;
  int enable_calls = 0;
  int disable_calls = 0;
  int pin_calls = 0;
  std::vector<std::int64_t> steps;
  std::vector<double> frequencies;
  std::vector<std::string> calls;  // order of step/frequency
  phc::PhcCaps c{100000000, 0, 1, 1, 1, false, false, false};

  phc::PhcCaps caps() override { return c; }
  void set_pin_function(unsigned, phc::PinFunction f, unsigned) override {
    ++pin_calls;
    pin_extts = f == phc::PinFunction::extts;
  }
  void enable_extts(unsigned) override {
    ++enable_calls;
    enabled = true;
  }
  void disable_extts(unsigned) override {
    ++disable_calls;
    enabled = false;
  }
  std::size_t read_extts(std::vector<phc::ExttsRecord>& out) override {
    const std::size_t n = queued.size();
    out.insert(out.end(), queued.begin(), queued.end());
    queued.clear();
    return n;
  }
  double set_frequency_ppb(double f) override {
    frequencies.push_back(f);
    calls.push_back("frequency");
    return f;
  }
  void step_ns(std::int64_t delta) override {
    steps.push_back(delta);
    calls.push_back("step");
  }
  std::int64_t now_ns() override { return next_offset.phc_ns; }
  phc::PhcReadings read_system(unsigned) override {
    ++read_calls;
    if (!scripted_reads.empty()) {
      auto next = std::move(scripted_reads.front());
      scripted_reads.pop_front();
      return next();
    }
    phc::PhcReadings r;
    r.method = phc::OffsetMethod::extended;
    r.reads.push_back({next_offset.system_ns, next_offset.phc_ns, next_offset.system_ns});
    return r;
  }
  int poll_fd() const override { return -1; }
  bool enabled = false;
  bool pin_extts = false;
};

struct ChronySampleRecord {
  std::int64_t system_ns;
  double offset_ns;
  refclock::Leap leap;
};

class FakeChrony final : public ChronySink {
 public:
  std::vector<ChronySampleRecord> samples;
  bool deliver = true;
  bool send_time(std::int64_t system_ns, double offset_ns, refclock::Leap leap) override {
    samples.push_back({system_ns, offset_ns, leap});
    return deliver;
  }
};

class FakePublisher final : public QualityPublisher {
 public:
  std::vector<d::ClockQuality> wants;
  std::optional<d::ClockQuality> final_q;
  int final_timeout_ms = 0;
  int services = 0;
  void want(const d::ClockQuality& q, std::int64_t) override { wants.push_back(q); }
  void service(std::int64_t) override { ++services; }
  int fd() const override { return -1; }
  bool announce_final(const d::ClockQuality& q, int timeout_ms) override {
    final_q = q;
    final_timeout_ms = timeout_ms;
    return true;
  }
};

}  // namespace nanotime::ppsd::test
