// The GPIO PPS cross-check, against a small hand-built world whose truth is known: the latch
// somewhere near the end of a ~50 µs bracket, the GPIO late by a µs-class interrupt latency with
// rare long tails and losses.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "transfer/gpio_cross_check.hpp"

using namespace nanotime::transfer;

namespace {

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kSystemOffsetNs = 123'000;  // true − system

struct Box {                     // the hardware, as the simulation profiles describe a CM4
  double latch_fraction = 0.985;
  double latch_jitter_ns = 150;
  double gpio_extra_ns = 0;      // added to every GPIO latency (a broken floor assumption)
  double tail_probability = 0.002;
  double loss_probability = 0.0;
};

struct Pulse {
  Transfer transfer;
  double true_error_ns = 0;          // true latch time − estimate
  std::optional<double> difference;  // nullopt: the GPIO pulse was lost
};

class World {
 public:
  World(Box box, const LatchModel& model, std::uint64_t seed) : box_(box), model_(model), rng_(seed) {}

  Pulse pulse(std::int64_t j) {
    std::normal_distribution<double> width(50500, 250), jitter(0, box_.latch_jitter_ns),
        latency(2500, 400);
    std::uniform_real_distribution<double> u(0, 1), delay(0, 0.25);
    const std::int64_t edge_true = (1'800'000'000 + j) * kS;
    const auto read_true = edge_true + static_cast<std::int64_t>(delay(rng_) * 1e9);
    const double w = std::max(25250.0, width(rng_));
    const double into = std::clamp(box_.latch_fraction * w + jitter(rng_), 0.0, w);
    const std::int64_t latch_system = read_true - kSystemOffsetNs;
    const auto before = latch_system - static_cast<std::int64_t>(std::llround(into));
    const Bracket read{before, read_true, before + static_cast<std::int64_t>(std::llround(w))};
    Pulse p;
    p.transfer = transfer_of(read, model_);
    p.true_error_ns = static_cast<double>(latch_system - p.transfer.system_ns);
    double l = std::max(1000.0, latency(rng_)) + box_.gpio_extra_ns;
    if (u(rng_) < box_.tail_probability) l += u(rng_) * 50000;
    const bool lost = u(rng_) < box_.loss_probability;
    const auto gpio = edge_true - kSystemOffsetNs + static_cast<std::int64_t>(std::llround(l));
    if (!lost) p.difference = gpio_difference_ns(gpio, edge_true, p.transfer, 0.0);
    return p;
  }

 private:
  Box box_;
  const LatchModel& model_;
  std::mt19937_64 rng_;
};

struct RunFigures {
  std::size_t samples = 0, within = 0, calibrated = 0, alarms = 0;
  std::vector<double> bounds, errors;
  double median_bound() {
    std::sort(bounds.begin(), bounds.end());
    return bounds[bounds.size() / 2];
  }
  double rms_error() const {
    double s = 0;
    for (double e : errors) s += e * e;
    return std::sqrt(s / static_cast<double>(errors.size()));
  }
};

RunFigures run(Box box, const LatchModel& model, int pulses, std::uint64_t seed = 1) {
  World world(box, model, seed);
  GpioCrossCheck check(model);
  RunFigures f;
  for (int j = 0; j < pulses; ++j) {
    const Pulse p = world.pulse(j);
    if (p.difference) check.add(*p.difference);
    const CheckedTransfer c = check.check(p.transfer, 0);
    const double error = p.true_error_ns - c.shift_ns;
    ++f.samples;
    if (error >= c.error_min_ns && error <= c.error_max_ns) ++f.within;
    if (c.method == TransferMethod::gpio_calibrated) ++f.calibrated;
    if (c.alarm) ++f.alarms;
    if (j >= 64) {
      f.bounds.push_back(c.bound_ns());
      f.errors.push_back(error);
    }
  }
  return f;
}

}  // namespace

TEST_CASE("the difference of one pulse, by hand", "[unit]") {
  Transfer read;
  read.phc_ns = 1'800'000'000'300'000'000;  // read 0.3 s of PHC time after the edge
  read.system_ns = 1'799'999'999'999'877'000;
  const std::int64_t edge_phc = 1'800'000'000'000'000'000;
  // The PHC path puts the edge at system time 1 799 999 999 699 877 000; the GPIO saw it 2.5 µs
  // later.
  const std::int64_t gpio = 1'799'999'999'699'879'500;
  REQUIRE(gpio_difference_ns(gpio, edge_phc, read, 0.0));
  CHECK(*gpio_difference_ns(gpio, edge_phc, read, 0.0) == 2500);
  // A system clock running 1 ppm fast of the PHC covered 300 ns more of the 0.3 s.
  CHECK(*gpio_difference_ns(gpio, edge_phc, read, 1e-6) == Approx(2800).margin(1e-6));
  // Another second's edge is not this one.
  CHECK_FALSE(gpio_difference_ns(gpio + kS / 2, edge_phc, read, 0.0));
  CHECK_FALSE(gpio_difference_ns(gpio - kS, edge_phc, read, 0.0));
}

TEST_CASE("until enough pulses are known, the bracket alone counts", "[unit]") {
  const LatchModel& bcm = *find_latch_model("bcm-phy-ptp");
  GpioCrossCheck check(bcm);
  Transfer t = transfer_of(Bracket{0, 0, 50500}, bcm);
  for (int i = 0; i < 15; ++i) check.add(2500);
  CheckedTransfer c = check.check(t, 40);
  CHECK(c.method == TransferMethod::latch_model);
  CHECK(c.error_min_ns == t.error_min_ns - 40);
  CHECK(c.error_max_ns == t.error_max_ns + 40);
  check.add(2500);
  c = check.check(t, 40);
  CHECK(c.method == TransferMethod::gpio_calibrated);
  // min d = 2500: e ≤ 2500 + 1000 (spread); e ≥ 2500 − 4000 − 1000.
  CHECK(c.error_max_ns == Approx(std::min(t.error_max_ns + 40, 3500.0)));
  CHECK(c.error_min_ns == Approx(-2500));
  CHECK(c.shift_ns == 0);
}

TEST_CASE("the right model with a GPIO wire: truth always inside a bound of a few µs", "[unit]") {
  RunFigures f = run(Box{}, *find_latch_model("bcm-phy-ptp"), 3000);
  CHECK(f.within == f.samples);
  CHECK(f.alarms == 0);
  CHECK(f.calibrated == f.samples - 15);
  CHECK(f.median_bound() <= 5000);
  CHECK(f.rms_error() <= 300);  // the latch jitter (150 ns sd), nothing added by the check
}

TEST_CASE("the wrong model is calibrated by the GPIO", "[unit]") {
  // The midpoint model on a CM4 is ~24 µs early; the GPIO moves the estimate back.
  const RunFigures without = run(Box{}, *find_latch_model("midpoint"), 15);
  RunFigures f = run(Box{}, *find_latch_model("midpoint"), 3000);
  CHECK(f.within == f.samples);
  CHECK(f.alarms == 0);
  CHECK(f.median_bound() <= 5000);
  CHECK(f.rms_error() <= 2000);
  CHECK(without.calibrated == 0);
}

TEST_CASE("tails and lost GPIO pulses move nothing", "[unit]") {
  const LatchModel& bcm = *find_latch_model("bcm-phy-ptp");
  GpioCrossCheck check(bcm);
  for (int i = 0; i < 32; ++i) check.add(2400 + 10 * (i % 7));
  const Transfer t = transfer_of(Bracket{0, 0, 50500}, bcm);
  const CheckedTransfer before = check.check(t, 0);
  check.add(2400 + 48000);  // a long interrupt-latency tail
  const CheckedTransfer after = check.check(t, 0);
  CHECK(after.error_min_ns == before.error_min_ns);
  CHECK(after.error_max_ns == before.error_max_ns);
  CHECK(after.shift_ns == before.shift_ns);
  // And in a run with ten times the tails and 5 % of the GPIO pulses lost, still always inside.
  Box rough;
  rough.tail_probability = 0.02;
  rough.loss_probability = 0.05;
  RunFigures f = run(rough, bcm, 3000, 3);
  CHECK(f.within == f.samples);
  CHECK(f.alarms == 0);
  CHECK(f.median_bound() <= 5000);
}

TEST_CASE("GPIO and PHC disagreeing beyond their bounds raise the alarm", "[unit]") {
  const LatchModel& bcm = *find_latch_model("bcm-phy-ptp");
  const Transfer t = transfer_of(Bracket{0, 0, 50500}, bcm);
  SECTION("the GPIO earlier than any latch in the bracket allows") {
    GpioCrossCheck check(bcm);
    for (int i = 0; i < 20; ++i) check.add(-60000);
    const CheckedTransfer c = check.check(t, 0);
    CHECK(c.alarm);
    CHECK(c.method == TransferMethod::latch_model);
    // min d + spread = −59 000 against the bracket's −49 743.
    CHECK(c.disagreement_ns == Approx(-59000 + 49743));
    CHECK(c.error_min_ns == t.error_min_ns);  // the bracket stands
    CHECK(c.error_max_ns == t.error_max_ns);
  }
  SECTION("the GPIO later than the latency floor allows") {
    Box slow;
    slow.gpio_extra_ns = 100000;
    RunFigures f = run(slow, bcm, 200);
    CHECK(f.alarms == 200 - 15);
    CHECK(f.within == f.samples);  // falling back to the bracket keeps the truth inside
  }
}
