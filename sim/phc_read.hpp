#pragma once
// How the simulated system clock reads the PHC ([phc_read], docs/simulation.md) and how the
// kernel timestamps the same PPS on a GPIO ([pps_gpio]). Each draws from its own random streams,
// only when a read or a GPIO pulse happens, so profiles without these sections run exactly as
// before and no other model's draws move.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>

#include "sim/profile.hpp"
#include "sim/random.hpp"

namespace nanotime::sim {

// One read's bracket around the system time t_L at which the PHC value was latched:
// before = t_L + before_ns (≤ 0), after = t_L + after_ns (≥ 0).
struct DrawnBracket {
  std::int64_t before_ns = 0;
  std::int64_t after_ns = 0;
  bool slow = false;
};

class PhcReadModel {
 public:
  PhcReadModel(const PhcReadSection& config, std::uint64_t seed)
      : cfg_(config),
        width_rng_(seed, Stream::phc_read_width),
        latch_rng_(seed, Stream::phc_read_latch),
        slow_rng_(seed, Stream::phc_read_slow),
        error_rng_(seed, Stream::phc_read_error) {}

  bool present() const { return cfg_.present; }

  // Drawn once per request, before its reads: the request fails with ETIMEDOUT.
  bool request_fails() { return cfg_.present && error_rng_.bernoulli(cfg_.error_probability); }

  // W = max(bracket/2, N(bracket, jitter)); the latch f·W + e into it, e ~ N(0, latch_jitter)
  // clipped so the latch stays inside; a slow read moves `before` earlier or `after` later by
  // slow_read_extra_ns (equal odds). Absent section: an exact, zero-width read.
  DrawnBracket draw() {
    DrawnBracket b;
    if (!cfg_.present) return b;
    const double w = std::max(cfg_.bracket_ns / 2, cfg_.bracket_ns + width_rng_.gaussian(cfg_.bracket_jitter_ns));
    const double into = std::clamp(cfg_.latch_fraction * w + latch_rng_.gaussian(cfg_.latch_jitter_ns), 0.0, w);
    b.before_ns = -std::llround(into);
    b.after_ns = std::llround(w) + b.before_ns;
    b.slow = slow_rng_.bernoulli(cfg_.slow_read_probability);
    if (b.slow) {
      const auto extra = std::llround(cfg_.slow_read_extra_ns);
      if (slow_rng_.bernoulli(0.5)) {
        b.before_ns -= extra;
      } else {
        b.after_ns += extra;
      }
    }
    return b;
  }

 private:
  PhcReadSection cfg_;
  Rng width_rng_, latch_rng_, slow_rng_, error_rng_;
};

class GpioPpsModel {
 public:
  GpioPpsModel(const PpsGpioSection& config, std::uint64_t seed)
      : cfg_(config),
        latency_rng_(seed, Stream::pps_gpio_latency),
        tail_rng_(seed, Stream::pps_gpio_tail),
        loss_rng_(seed, Stream::pps_gpio_loss) {}

  bool present() const { return cfg_.present; }

  // The kernel's timestamp of an edge comes this late after the edge (system time), or never.
  // L = max(latency_min, N(latency, jitter)), plus uniform(0, tail_extra) with tail_probability.
  std::optional<double> latency_ns() {
    if (!cfg_.present) return std::nullopt;
    double l = std::max(cfg_.latency_min_ns, cfg_.latency_ns + latency_rng_.gaussian(cfg_.latency_jitter_ns));
    const bool tail = tail_rng_.bernoulli(cfg_.tail_probability);
    const double extra = tail_rng_.uniform(0, cfg_.tail_extra_ns);  // drawn either way: one per pulse
    if (tail) l += extra;
    if (loss_rng_.bernoulli(cfg_.loss_probability)) return std::nullopt;
    return l;
  }

 private:
  PpsGpioSection cfg_;
  Rng latency_rng_, tail_rng_, loss_rng_;
};

}  // namespace nanotime::sim
