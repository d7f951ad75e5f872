#pragma once
// Seeded random streams for the simulator. Every model draws from its own stream, derived from
// (seed, stream id), so adding a model or a draw to one model never changes another model's
// sequence, and the same seed gives the same run bit for bit. The transforms below are written
// out (not std::*_distribution, whose algorithms differ between standard libraries).

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>

namespace nanotime::sim {

// Stream ids: fixed forever (changing one changes every run that uses it).
enum class Stream : std::uint64_t {
  phc_white_fm = 1,
  phc_flicker_fm = 2,
  phc_random_walk_fm = 3,
  phc_step = 4,
  gnss_jitter = 10,
  gnss_sawtooth = 11,
  gnss_qerr_residual = 12,
  gnss_navigation = 13,
  gnss_ar1 = 100,  // + index of the AR(1) process
  extts_delay = 20,
  extts_loss = 21,
  tod_delay = 30,
  tod_loss = 31,
  temperature_noise = 40,
  phc_read_width = 50,
  phc_read_latch = 51,
  phc_read_slow = 52,
  phc_read_error = 53,
  pps_gpio_latency = 60,
  pps_gpio_tail = 61,
  pps_gpio_loss = 62,
};

inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Rng {
 public:
  Rng(std::uint64_t seed, Stream stream, std::uint64_t index = 0)
      : engine_(splitmix64(splitmix64(seed) ^ splitmix64(static_cast<std::uint64_t>(stream) + index))) {}

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool bernoulli(double p) { return uniform() < p; }

  // Standard normal (Box-Muller; the second value is kept for the next call).
  double gaussian() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double a = 2.0 * std::numbers::pi * u2;
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
  }
  double gaussian(double sd) { return sd == 0.0 ? 0.0 : sd * gaussian(); }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace nanotime::sim
