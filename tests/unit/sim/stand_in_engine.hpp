#pragma once
// Test-only stand-ins for the discipline engine, so the simulator is tested on its own against
// closed forms (never shipped: the product drives the real engine).

#include <functional>
#include <vector>

#include "discipline/engine.hpp"

namespace nanotime::sim::test {

namespace d = nanotime::discipline;

// Records every event; answers with whatever `respond` returns (nothing by default).
class RecordingEngine : public d::Engine {
 public:
  std::function<d::Output(const d::Event&)> respond;
  std::vector<d::Event> events;
  d::EngineStatus st;

  d::Output handle(const d::Event& e) override {
    events.push_back(e);
    return respond ? respond(e) : d::Output{};
  }
  d::EngineStatus status() const override { return st; }

  template <typename T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& e : events) {
      if (const T* x = std::get_if<T>(&e)) out.push_back(*x);
    }
    return out;
  }
};

// A trivial driver for a noise-free clock: on the first edge it steps the PHC onto the TAI
// second nearest the edge and cancels a known frequency offset.
class IdealDriver : public d::Engine {
 public:
  explicit IdealDriver(double cancel_ppb) : cancel_ppb_(cancel_ppb) {}
  d::Output handle(const d::Event& e) override {
    d::Output out;
    if (const auto* x = std::get_if<d::ExttsEvent>(&e)) {
      const std::int64_t second = (x->phc_ns + 500000000) / 1000000000;
      const std::int64_t offset = x->phc_ns - second * 1000000000;
      if (!stepped_) {
        out.step = d::StepClock{-offset};
        out.frequency = d::SetFrequency{-cancel_ppb_};
        stepped_ = true;
      }
    }
    return out;
  }
  d::EngineStatus status() const override { return {}; }

 private:
  double cancel_ppb_;
  bool stepped_ = false;
};

}  // namespace nanotime::sim::test
