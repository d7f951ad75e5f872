#include "sim/receiver.hpp"

#include <cmath>
#include <numbers>

namespace nanotime::sim {

SimulatedReceiver::SimulatedReceiver(const GnssSection& config, std::uint64_t seed,
                                     const ReceiverSection& rx)
    : cfg_(config),
      jitter_rng_(seed, Stream::gnss_jitter),
      sawtooth_rng_(seed, Stream::gnss_sawtooth),
      qerr_rng_(seed, Stream::gnss_qerr_residual),
      navigation_(rx, seed) {
  for (std::size_t i = 0; i < cfg_.ar1.size(); ++i) {
    ar1_rng_.emplace_back(seed, Stream::gnss_ar1, i);
    ar1_state_.push_back(0);
  }
}

PulseError SimulatedReceiver::next(std::int64_t k) {
  PulseError p;
  double e = jitter_rng_.gaussian(cfg_.jitter_ns);
  if (cfg_.sawtooth_pp_ns > 0) {
    p.sawtooth_ns = sawtooth_rng_.uniform(-cfg_.sawtooth_pp_ns / 2, cfg_.sawtooth_pp_ns / 2);
  }
  e += p.sawtooth_ns;
  for (std::size_t i = 0; i < cfg_.ar1.size(); ++i) {
    const auto& spec = cfg_.ar1[i];
    const double z = ar1_rng_[i].gaussian(spec.sigma_ns);
    if (first_) {
      ar1_state_[i] = z;  // stationary start
    } else {
      const double a = std::exp(-1.0 / spec.tau_s);
      ar1_state_[i] = a * ar1_state_[i] + std::sqrt(1 - a * a) * z;
    }
    e += ar1_state_[i];
  }
  for (const auto& s : cfg_.sinusoid) {
    e += s.amp_ns * std::sin(2 * std::numbers::pi * static_cast<double>(k) / s.period_s);
  }
  first_ = false;
  e += navigation_.next(k);  // not in qErr: the receiver does not know its position error
  p.edge_error_ns = e;
  if (cfg_.qerr) p.qerr_ns = p.sawtooth_ns + qerr_rng_.gaussian(cfg_.qerr_residual_ns);
  return p;
}

}  // namespace nanotime::sim
