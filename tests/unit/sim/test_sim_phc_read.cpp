// The [phc_read] and [pps_gpio] draws against the contract's description (docs/simulation.md):
// exact cases by hand, distributions by their moments.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "sim/phc_read.hpp"

using namespace nanotime::sim;

namespace {
PhcReadSection cm4_read() {
  PhcReadSection c;
  c.present = true;
  c.bracket_ns = 50500;
  c.bracket_jitter_ns = 250;
  c.latch_fraction = 0.985;
  c.latch_jitter_ns = 150;
  c.slow_read_probability = 0.01;
  c.slow_read_extra_ns = 9400;
  return c;
}
PpsGpioSection cm4_gpio() {
  PpsGpioSection c;
  c.present = true;
  c.latency_ns = 2500;
  c.latency_jitter_ns = 400;
  c.latency_min_ns = 1000;
  c.tail_probability = 0.002;
  c.tail_extra_ns = 50000;
  return c;
}
}  // namespace

TEST_CASE("without [phc_read] a read is exact and draws nothing", "[unit]") {
  PhcReadModel m(PhcReadSection{}, 1);
  CHECK_FALSE(m.present());
  for (int i = 0; i < 10; ++i) {
    const DrawnBracket b = m.draw();
    CHECK(b.before_ns == 0);
    CHECK(b.after_ns == 0);
    CHECK_FALSE(m.request_fails());
  }
}

TEST_CASE("a read without jitter is the bracket at the latch fraction, by hand", "[unit]") {
  PhcReadSection c;
  c.present = true;
  c.bracket_ns = 50500;
  c.latch_fraction = 0.985;
  PhcReadModel m(c, 1);
  const DrawnBracket b = m.draw();
  CHECK(b.before_ns == -49743);  // 0.985 × 50 500 = 49 742.5, rounded
  CHECK(b.after_ns == 757);
  CHECK_FALSE(b.slow);
}

TEST_CASE("the CM4 read: width, latch position, slow reads and failures by their moments",
          "[unit]") {
  PhcReadSection c = cm4_read();
  c.error_probability = 0.05;
  PhcReadModel m(c, 3);
  const int n = 200000;
  double sum_w = 0, sum_w2 = 0, sum_f = 0;
  int slow = 0, slow_before = 0, fails = 0, normal = 0;
  for (int i = 0; i < n; ++i) {
    if (m.request_fails()) ++fails;
    const DrawnBracket b = m.draw();
    REQUIRE(b.before_ns <= 0);
    REQUIRE(b.after_ns >= 0);
    if (b.slow) {
      ++slow;
      if (b.after_ns - b.before_ns > 0 && -b.before_ns > 50500) ++slow_before;
      continue;
    }
    const auto w = static_cast<double>(b.after_ns - b.before_ns);
    sum_w += w;
    sum_w2 += w * w;
    sum_f += static_cast<double>(-b.before_ns) / w;
    ++normal;
  }
  const double mean_w = sum_w / normal;
  CHECK(mean_w == Approx(50500).margin(5));
  CHECK(std::sqrt(sum_w2 / normal - mean_w * mean_w) == Approx(250).epsilon(0.03));
  CHECK(sum_f / normal == Approx(0.985).margin(0.0005));
  CHECK(static_cast<double>(slow) / n == Approx(0.01).epsilon(0.07));
  CHECK(static_cast<double>(slow_before) / slow == Approx(0.5).margin(0.05));
  CHECK(static_cast<double>(fails) / n == Approx(0.05).epsilon(0.03));
}

TEST_CASE("the GPIO latency: floor, mean, tails and losses", "[unit]") {
  PpsGpioSection c = cm4_gpio();
  c.loss_probability = 0.01;
  GpioPpsModel m(c, 5);
  const int n = 200000;
  int lost = 0, tails = 0;
  double sum = 0;
  int counted = 0;
  for (int i = 0; i < n; ++i) {
    const auto l = m.latency_ns();
    if (!l) {
      ++lost;
      continue;
    }
    REQUIRE(*l >= 1000);
    if (*l > 2500 + 8 * 400) {
      ++tails;
      continue;
    }
    sum += *l;
    ++counted;
  }
  CHECK(static_cast<double>(lost) / n == Approx(0.01).epsilon(0.07));
  // Tails are uniform(0, 50 µs) on top: the ones that land beyond 5.7 µs are ~89 % of them.
  CHECK(static_cast<double>(tails) / n == Approx(0.002 * (1 - 3200.0 / 50000)).epsilon(0.15));
  CHECK(sum / counted == Approx(2500).margin(10));
}

TEST_CASE("without jitter the GPIO latency is exact; without [pps_gpio] there is no pulse",
          "[unit]") {
  PpsGpioSection c;
  c.present = true;
  c.latency_ns = 3000;
  GpioPpsModel m(c, 1);
  CHECK(m.latency_ns() == 3000.0);
  GpioPpsModel none(PpsGpioSection{}, 1);
  CHECK_FALSE(none.latency_ns());
}
