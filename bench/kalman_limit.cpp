#include "kalman_limit.hpp"

#include <cmath>

namespace nanotime::bench {

double riccati_prediction_variance(double q_phase, double q_freq, double r) {
  // P = [[a, b], [b, c]] is the prediction covariance; F = [[1, 1], [0, 1]], H = [1, 0].
  double a = 1e12, b = 0, c = 1e6;
  for (int i = 0; i < 1000000; ++i) {
    const double s = a + r;
    // Update: P − P Hᵀ Hᵀ P / s.
    const double ua = a - a * a / s, ub = b - a * b / s, uc = c - b * b / s;
    // Predict: F P Fᵀ + Q.
    const double na = ua + 2 * ub + uc + q_phase, nb = ub + uc, nc = uc + q_freq;
    const bool done = std::abs(na - a) <= 1e-13 * std::abs(na) && std::abs(nc - c) <= 1e-13 * std::abs(nc) + 1e-300;
    a = na;
    b = nb;
    c = nc;
    if (done && i > 10) break;
  }
  return a;
}

Limit kalman_limit(const sim::Profile& p) {
  const auto& g = p.gnss;
  const double res = static_cast<double>(p.phc.resolution_ns);
  double r = g.jitter_ns * g.jitter_ns + res * res / 12;
  r += g.qerr ? g.qerr_residual_ns * g.qerr_residual_ns : g.sawtooth_pp_ns * g.sawtooth_pp_ns / 12;
  const double q_phase = p.phc.white_fm_ppb * p.phc.white_fm_ppb + p.phc.flicker_fm_ppb * p.phc.flicker_fm_ppb;
  const double q_freq = p.phc.random_walk_fm_ppb_per_sqrt_s * p.phc.random_walk_fm_ppb_per_sqrt_s;
  double wander = 0;
  for (const auto& a : g.ar1) wander += a.sigma_ns * a.sigma_ns;
  for (const auto& s : g.sinusoid) wander += s.amp_ns * s.amp_ns / 2;
  Limit l;
  l.measurement_sd_ns = std::sqrt(r);
  l.prediction_sd_ns = std::sqrt(riccati_prediction_variance(q_phase, q_freq, r));
  l.wander_sd_ns = std::sqrt(wander);
  l.limit_ns = std::sqrt(l.prediction_sd_ns * l.prediction_sd_ns + wander);
  return l;
}

}  // namespace nanotime::bench
