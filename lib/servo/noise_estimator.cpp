#include "servo/noise_estimator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nanotime::servo {

namespace {
constexpr std::uint64_t kPriorCount = 20;   // the prior weighs like this many samples
constexpr std::uint64_t kWindow = 4000;     // memory of the exponential means (samples)
constexpr double kClip = 30;                // a squared difference counts at most kClip × mean

// Solves the 3×3 system a·p = b restricted to the parameters in `mask`; false if singular.
bool solve_subset(const double a[3][3], const double b[3], unsigned mask, double p[3]) {
  int idx[3];
  int n = 0;
  for (int i = 0; i < 3; ++i) {
    if (mask & (1u << i)) idx[n++] = i;
  }
  double m[3][4] = {};
  for (int r = 0; r < n; ++r) {
    for (int c = 0; c < n; ++c) m[r][c] = a[idx[r]][idx[c]];
    m[r][n] = b[idx[r]];
  }
  for (int c = 0; c < n; ++c) {  // Gauss-Jordan with partial pivoting
    int piv = c;
    for (int r = c + 1; r < n; ++r) {
      if (std::fabs(m[r][c]) > std::fabs(m[piv][c])) piv = r;
    }
    if (std::fabs(m[piv][c]) < 1e-300) return false;
    for (int k = 0; k <= n; ++k) std::swap(m[c][k], m[piv][k]);
    for (int r = 0; r < n; ++r) {
      if (r == c) continue;
      double f = m[r][c] / m[c][c];
      for (int k = c; k <= n; ++k) m[r][k] -= f * m[c][k];
    }
  }
  p[0] = p[1] = p[2] = 0;
  for (int r = 0; r < n; ++r) p[idx[r]] = m[r][n] / m[r][r];
  return true;
}
}  // namespace

NoiseModel NoiseEstimator::default_prior() {
  // A poor crystal read through a noisy receiver: errs on the side of following fast.
  return NoiseModel{100.0, 10.0, 1.0};
}

NoiseEstimator::NoiseEstimator(double period_s, NoiseModel prior)
    : period_s_(period_s), model_(prior) {
  for (int i = 0; i < kLags; ++i) {
    double tau = std::ldexp(1.0, i) * period_s_;
    mean_sq_[i] = 6 * prior.meas_var_ns2 + 2 * prior.wfm_ns2_per_s * tau +
                  (2.0 / 3.0) * prior.rwfm_ns2_per_s3 * tau * tau * tau;
    count_[i] = kPriorCount;
  }
}

void NoiseEstimator::clear_history() { valid_.fill(false); }

void NoiseEstimator::add(std::int64_t index, double x_ns) {
  std::size_t slot = static_cast<std::size_t>(index) % kHistory;
  index_[slot] = index;
  x_[slot] = x_ns;
  valid_[slot] = true;
  for (int i = 0; i < kLags; ++i) {
    std::int64_t m = std::int64_t{1} << i;
    std::size_t s1 = static_cast<std::size_t>(index - m) % kHistory;
    std::size_t s2 = static_cast<std::size_t>(index - 2 * m) % kHistory;
    if (index - 2 * m < 0 || !valid_[s1] || !valid_[s2] || index_[s1] != index - m ||
        index_[s2] != index - 2 * m) {
      continue;
    }
    double d = x_ns - 2 * x_[s1] + x_[s2];
    double d2 = std::min(d * d, kClip * mean_sq_[i]);  // one glitch must not blow the model up
    ++count_[i];
    double w = 1.0 / static_cast<double>(std::min(count_[i], kWindow));
    mean_sq_[i] += w * (d2 - mean_sq_[i]);
  }
  ++adds_;
  if (!frozen_) refit();
}

void NoiseEstimator::refit() {
  double a[3][3] = {};
  double b[3] = {};
  for (int i = 0; i < kLags; ++i) {
    double m = std::ldexp(1.0, i);
    double tau = m * period_s_;
    double row[3] = {6.0, 2.0 * tau, (2.0 / 3.0) * tau * tau * tau};
    double s = std::max(mean_sq_[i], 1e-6);
    double w = static_cast<double>(std::min(count_[i], kWindow)) / (m * s * s);
    for (int r = 0; r < 3; ++r) {
      b[r] += w * row[r] * mean_sq_[i];
      for (int c = 0; c < 3; ++c) a[r][c] += w * row[r] * row[c];
    }
  }
  // Non-negative least squares by trying every subset (only 7): best feasible residual wins.
  double best_cost = std::numeric_limits<double>::infinity();
  double best[3] = {model_.meas_var_ns2, model_.wfm_ns2_per_s, model_.rwfm_ns2_per_s3};
  for (unsigned mask = 1; mask < 8; ++mask) {
    double p[3];
    if (!solve_subset(a, b, mask, p)) continue;
    if (p[0] < 0 || p[1] < 0 || p[2] < 0) continue;
    double cost = 0;
    for (int i = 0; i < kLags; ++i) {
      double m = std::ldexp(1.0, i);
      double tau = m * period_s_;
      double pred = 6 * p[0] + 2 * p[1] * tau + (2.0 / 3.0) * p[2] * tau * tau * tau;
      double s = std::max(mean_sq_[i], 1e-6);
      double w = static_cast<double>(std::min(count_[i], kWindow)) / (m * s * s);
      cost += w * (pred - mean_sq_[i]) * (pred - mean_sq_[i]);
    }
    if (cost < best_cost) {
      best_cost = cost;
      std::copy(p, p + 3, best);
    }
  }
  // Floors keep the filter from trusting anything absolutely (a zero variance would freeze it).
  model_.meas_var_ns2 = std::max(best[0], 0.01);
  model_.wfm_ns2_per_s = std::max(best[1], 1e-4);
  model_.rwfm_ns2_per_s3 = std::max(best[2], 1e-8);
}

}  // namespace nanotime::servo
