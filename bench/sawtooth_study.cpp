// sawtooth-study: can a non-linear filter beat the Kalman filter by exploiting the shape of the
// receiver's sawtooth? (bench/README.md "Beyond linear filters")
//
// A linear filter's error depends only on the variances of the noise. The sawtooth (uniform,
// ±pp/2) and the PHC's tick quantisation are bounded, so an estimator that knows their exact
// shape could in principle do better. This runs both on one profile's own noise (the
// simulator's PHC and receiver, same seeds as servo-bench, the receiver's wander left out:
// no filter can remove that) and prints their one-step prediction errors:
//   kalman    phase + frequency, flicker FM counted as white FM (as bench/kalman_limit.hpp);
//   particle  a bootstrap particle filter over the same state, with the exact likelihood of
//             a reading: P(floor((θ + sawtooth + jitter)/res) = reading), systematic resampling.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "config/config.hpp"
#include "oracle_limit.hpp"
#include "sim/profile.hpp"
#include "sim/random.hpp"

namespace {

using nanotime::sim::Rng;
using nanotime::sim::Stream;
constexpr std::int64_t kWarmupS = 600;
constexpr auto kParticleStream = static_cast<Stream>(1000);  // not one of the simulator's

double phi(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2 * std::numbers::pi); }
double cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

// P(sawtooth + jitter ≤ x) for sawtooth uniform in ±w/2 and jitter N(0, s²).
class ReadingNoise {
 public:
  ReadingNoise(double width, double sd) : w_(width), s_(std::max(sd, 1e-3)) {}
  double cdf_at(double x) const {
    if (w_ <= 0) return cdf(x / s_);
    return (g(x + w_ / 2) - g(x - w_ / 2)) / w_;
  }

 private:
  double g(double y) const { return y * cdf(y / s_) + s_ * phi(y / s_); }  // ∫ Φ(y/s) dy
  double w_, s_;
};

struct Model {
  double q_phase = 0, q_freq = 0, res = 1, saw = 0, jitter = 0;
};

class Kalman {
 public:
  explicit Kalman(const Model& m) : m_(m), r_(m.jitter * m.jitter + m.saw * m.saw / 12 + m.res * m.res / 12) {}
  double predicted() const { return x_; }
  void step(double z) {
    const double s = p00_ + r_, k0 = p00_ / s, k1 = p01_ / s, nu = z - x_;
    x_ += k0 * nu;
    y_ += k1 * nu;
    const double p00 = p00_, p01 = p01_;
    p00_ = (1 - k0) * p00;
    p01_ = (1 - k0) * p01;
    p11_ -= k1 * p01;
    x_ += y_;
    p00_ += 2 * p01_ + p11_ + m_.q_phase;
    p01_ += p11_;
    p11_ += m_.q_freq;
  }

 private:
  Model m_;
  double r_;
  double x_ = 0, y_ = 0, p00_ = 1e6, p01_ = 0, p11_ = 1e-6;
};

class ParticleFilter {
 public:
  ParticleFilter(const Model& m, std::size_t n, std::uint64_t seed)
      : m_(m), noise_(m.saw, m.jitter), rng_(seed, kParticleStream), x_(n), y_(n), w_(n), nx_(n), ny_(n) {
    for (auto& x : x_) x = rng_.uniform(-1000, 1000);  // diffuse start
  }
  std::uint64_t fallbacks() const { return fallbacks_; }
  double predicted() const {
    double s = 0;
    for (double x : x_) s += x;
    return s / static_cast<double>(x_.size());
  }
  // z: the reading (a multiple of res, plus res/2 as the engine centres it).
  void step(double z) {
    const double lo = z - m_.res / 2, hi = z + m_.res / 2;
    double total = 0;
    for (std::size_t i = 0; i < x_.size(); ++i) {
      w_[i] = std::max(noise_.cdf_at(hi - x_[i]) - noise_.cdf_at(lo - x_[i]), 0.0);
      total += w_[i];
    }
    // The exact likelihood has bounded support: a cloud that drifted off (the flicker FM is
    // not in the model) would get weight 0 everywhere and never come back. Then this reading
    // is weighed with the Gaussian of the same variance (the Kalman filter's view).
    if (total < 1e-9) {
      const double r = m_.jitter * m_.jitter + m_.saw * m_.saw / 12 + m_.res * m_.res / 12;
      total = 0;
      for (std::size_t i = 0; i < x_.size(); ++i) {
        const double d = z - x_[i];
        w_[i] = std::exp(-0.5 * d * d / r) + 1e-300;
        total += w_[i];
      }
      ++fallbacks_;
    }
    resample(total);
    const double sd_phase = std::sqrt(m_.q_phase), sd_freq = std::sqrt(m_.q_freq);
    for (std::size_t i = 0; i < x_.size(); ++i) {
      x_[i] = nx_[i] + ny_[i] + sd_phase * rng_.gaussian();
      y_[i] = ny_[i] + sd_freq * rng_.gaussian();
    }
  }

 private:
  void resample(double total) {  // systematic
    const double step = total / static_cast<double>(x_.size());
    double u = rng_.uniform() * step, c = w_[0];
    std::size_t j = 0;
    for (std::size_t i = 0; i < x_.size(); ++i, u += step) {
      while (u > c && j + 1 < x_.size()) c += w_[++j];
      nx_[i] = x_[j];
      ny_[i] = y_[j];
    }
  }
  Model m_;
  ReadingNoise noise_;
  Rng rng_;
  std::vector<double> x_, y_, w_, nx_, ny_;
  std::uint64_t fallbacks_ = 0;
};

struct Result {
  double kalman_rms = 0, particle_rms = 0;
  std::uint64_t fallbacks = 0;
};

Result run(const nanotime::sim::Profile& p, std::uint64_t seed, std::int64_t duration_s, std::size_t particles) {
  nanotime::sim::Profile white = p;  // the question is the sawtooth itself: no wander, no qErr
  white.gnss.ar1.clear();
  white.gnss.sinusoid.clear();
  white.gnss.qerr = false;
  nanotime::bench::NoiseReplay noise(white, seed);
  Model m;
  m.q_phase = p.phc.white_fm_ppb * p.phc.white_fm_ppb + p.phc.flicker_fm_ppb * p.phc.flicker_fm_ppb;
  m.q_freq = p.phc.random_walk_fm_ppb_per_sqrt_s * p.phc.random_walk_fm_ppb_per_sqrt_s;
  m.res = noise.resolution_ns();
  m.saw = white.gnss.sawtooth_pp_ns;
  m.jitter = white.gnss.jitter_ns;
  Kalman kalman(m);
  ParticleFilter pf(m, particles, seed);
  double se_k = 0, se_p = 0;
  std::int64_t n = 0;
  for (std::int64_t k = 0; k <= duration_s; ++k) {
    const auto pulse = noise.pulse(k);
    if (k >= kWarmupS) {
      se_k += (pulse.theta_ns - kalman.predicted()) * (pulse.theta_ns - kalman.predicted());
      se_p += (pulse.theta_ns - pf.predicted()) * (pulse.theta_ns - pf.predicted());
      ++n;
    }
    kalman.step(pulse.reading_ns);
    pf.step(pulse.reading_ns);
  }
  return {std::sqrt(se_k / static_cast<double>(n)), std::sqrt(se_p / static_cast<double>(n)), pf.fallbacks()};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sawtooth-study: Kalman vs a particle filter that knows the sawtooth's shape"};
  std::string profile_path = std::string(NANOTIME_BENCH_PROFILES) + "/cm4-m8t.toml";
  int seeds = 3;
  std::int64_t duration_s = 20000;
  std::size_t particles = 1000;
  app.add_option("--profile", profile_path, "profile (TOML)")->capture_default_str();
  app.add_option("--seeds", seeds, "seeds 1..N")->check(CLI::Range(1, 100))->capture_default_str();
  app.add_option("--duration", duration_s, "simulated seconds per seed")
      ->check(CLI::Range(std::int64_t{kWarmupS + 1}, std::int64_t{864000}))->capture_default_str();
  app.add_option("--particles", particles, "particles")->check(CLI::Range(10, 1000000))->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 64;
  }
  nanotime::sim::Profile profile;
  try {
    profile = nanotime::sim::load_profile(profile_path);
  } catch (const nanotime::config::ConfigError& e) {
    fmt::print(stderr, "sawtooth-study: {}\n", e.what());
    return nanotime::config::kExitConfig;
  }
  fmt::print("{}: sawtooth {} ns pp, tick {} ns, wander left out; {} particles, {} s per seed\n",
             profile.name, profile.gnss.sawtooth_pp_ns, profile.phc.resolution_ns, particles, duration_s);
  fmt::print("{:>5} {:>10} {:>10} {:>9} {:>10}\n", "seed", "kalman", "particle", "pf/kalman", "fallbacks");
  std::vector<double> ratios;
  for (int s = 1; s <= seeds; ++s) {
    const Result r = run(profile, static_cast<std::uint64_t>(s), duration_s, particles);
    ratios.push_back(r.particle_rms / r.kalman_rms);
    fmt::print("{:>5} {:>10.3f} {:>10.3f} {:>9.3f} {:>10}\n", s, r.kalman_rms, r.particle_rms, ratios.back(), r.fallbacks);
  }
  std::sort(ratios.begin(), ratios.end());
  fmt::print("median pf/kalman: {:.3f}\n", ratios[ratios.size() / 2]);
  return 0;
}
