#include "oracle_limit.hpp"

#include <cmath>
#include <numbers>
#include <vector>

#include "util/units.hpp"

namespace nanotime::bench {
namespace {

using util::kNsPerS;

double tick_ns(const sim::Profile& p) { return static_cast<double>(std::max<std::int64_t>(p.phc.resolution_ns, 1)); }

// A dense Kalman filter whose transition F is the identity except: row 0 (θ) adds the
// frequency states, and AR(1) states decay by their coefficient. That structure makes the
// prediction O(n²) instead of O(n³).
class OracleFilter {
 public:
  // Adds a state with transition coefficient `decay`, process variance q, initial variance p0;
  // `drives_phase`: it is a frequency that θ integrates.
  std::size_t add_state(double decay, double q, double p0, bool drives_phase) {
    decay_.push_back(decay);
    q_.push_back(q);
    drives_.push_back(drives_phase);
    x_.push_back(0);
    const std::size_t n = x_.size();
    std::vector<double> p(n * n, 0);
    for (std::size_t r = 0; r + 1 < n; ++r) {
      for (std::size_t c = 0; c + 1 < n; ++c) p[r * n + c] = p_[r * (n - 1) + c];
    }
    p[n * n - 1] = p0;
    p_ = std::move(p);
    return n - 1;
  }
  double estimate(std::size_t i) const { return x_[i]; }
  std::size_t size() const { return x_.size(); }

  // Scalar measurement z = h·x + noise of variance r.
  void update(const std::vector<double>& h, double z, double r) {
    const std::size_t n = x_.size();
    std::vector<double> ph(n, 0);  // P hᵀ
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) ph[i] += p_[i * n + j] * h[j];
    }
    double s = r, hx = 0;
    for (std::size_t i = 0; i < n; ++i) {
      s += h[i] * ph[i];
      hx += h[i] * x_[i];
    }
    const double nu = z - hx;
    for (std::size_t i = 0; i < n; ++i) x_[i] += ph[i] / s * nu;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) p_[i * n + j] -= ph[i] * ph[j] / s;
    }
  }

  void predict() {
    const std::size_t n = x_.size();
    double theta = x_[0];
    for (std::size_t i = 1; i < n; ++i) {
      if (drives_[i]) theta += x_[i];
    }
    for (std::size_t i = 1; i < n; ++i) x_[i] *= decay_[i];
    x_[0] = theta;
    left_multiply();
    transpose();   // P is symmetric: (F P)ᵀ = P Fᵀ, so F (P Fᵀ) is the same operation again
    left_multiply();
    for (std::size_t i = 0; i < n; ++i) p_[i * n + i] += q_[i];
  }

 private:
  void left_multiply() {  // P ← F P
    const std::size_t n = x_.size();
    for (std::size_t c = 0; c < n; ++c) {
      double row0 = p_[c];
      for (std::size_t r = 1; r < n; ++r) {
        if (drives_[r]) row0 += p_[r * n + c];
      }
      for (std::size_t r = 1; r < n; ++r) p_[r * n + c] *= decay_[r];
      p_[c] = row0;
    }
  }
  void transpose() {
    const std::size_t n = x_.size();
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t c = r + 1; c < n; ++c) std::swap(p_[r * n + c], p_[c * n + r]);
    }
  }
  std::vector<double> decay_, q_, x_, p_;
  std::vector<bool> drives_;
};

// The filter of a profile, and where its measured states are.
struct OracleModel {
  OracleFilter filter;
  std::vector<std::size_t> ar1_idx, sin_idx;  // sin_idx[j]: c of sinusoid j (d follows)
  double meas_var_ns2 = 0;

  explicit OracleModel(const sim::Profile& p) {
    const auto& pc = p.phc;
    const auto& g = p.gnss;
    filter.add_state(1, pc.white_fm_ppb * pc.white_fm_ppb, 1e6, false);  // θ (diffuse start)
    const double rw = pc.random_walk_fm_ppb_per_sqrt_s;
    filter.add_state(1, rw * rw, 1e-6, true);                             // y_rw starts at 0
    if (pc.flicker_fm_ppb > 0) {
      // As sim/phc.hpp: kFlickerPoles AR(1) poles, τ = 10^(i/3) s, each of variance s².
      const double s2 = pc.flicker_fm_ppb * pc.flicker_fm_ppb * (std::log(10.0) / 3.0) / (2 * std::log(2.0));
      for (int i = 0; i < sim::SimulatedPhc::kFlickerPoles; ++i) {
        const double a = std::exp(-1.0 / std::pow(10.0, i / 3.0));
        filter.add_state(a, (1 - a * a) * s2, s2, true);
      }
    }
    for (const auto& a : g.ar1) {
      const double b = std::exp(-1.0 / a.tau_s);
      const double var = a.sigma_ns * a.sigma_ns;
      ar1_idx.push_back(filter.add_state(b, (1 - b * b) * var, var, false));
    }
    for (const auto& s : g.sinusoid) {  // unknown phase: c and d each of variance amp²/2
      sin_idx.push_back(filter.add_state(1, 0, s.amp_ns * s.amp_ns / 2, false));
      filter.add_state(1, 0, s.amp_ns * s.amp_ns / 2, false);
    }
    const double res = tick_ns(p);
    meas_var_ns2 = g.jitter_ns * g.jitter_ns + res * res / 12 +
                   (g.qerr ? g.qerr_residual_ns * g.qerr_residual_ns : g.sawtooth_pp_ns * g.sawtooth_pp_ns / 12);
    meas_var_ns2 = std::max(meas_var_ns2, 1e-6);
  }

  // h of pulse k: θ plus each AR(1) plus each sinusoid's sin/cos at k.
  void measurement_row(const sim::GnssSection& g, double k, std::vector<double>& h) const {
    h.assign(filter.size(), 0.0);
    h[0] = 1;
    for (std::size_t i : ar1_idx) h[i] = 1;
    for (std::size_t j = 0; j < sin_idx.size(); ++j) {
      const double wk = 2 * std::numbers::pi * k / g.sinusoid[j].period_s;
      h[sin_idx[j]] = std::sin(wk);
      h[sin_idx[j] + 1] = std::cos(wk);
    }
  }
};

}  // namespace

// No initial offset (θ stays small and exact in a double), no temperature: noise only.
sim::PhcSection NoiseReplay::free_running(sim::PhcSection phc) {
  phc.initial_offset_s = 0;
  phc.temp_coeff_ppb_per_c = 0;
  return phc;
}

sim::GnssSection NoiseReplay::wander_only(sim::GnssSection gnss) {  // same draws, no white noise
  gnss.jitter_ns = 0;
  gnss.sawtooth_pp_ns = 0;
  return gnss;
}

NoiseReplay::NoiseReplay(const sim::Profile& profile, std::uint64_t seed)
    : phc_cfg_(profile.phc),
      res_ns_(tick_ns(profile)),
      phc_(free_running(profile.phc), seed),
      receiver_(profile.gnss, seed),
      wander_(wander_only(profile.gnss), seed) {}

NoiseReplay::Pulse NoiseReplay::pulse(std::int64_t k) {
  phc_.advance_to(k * kNsPerS);
  const auto ks = static_cast<double>(k);
  Pulse p;
  p.theta_ns = phc_.error_ns() - phc_cfg_.freq_offset_ppb * ks - phc_cfg_.aging_ppb_per_day / static_cast<double>(util::kSPerDay) * ks * ks / 2;
  const sim::PulseError e = receiver_.next(k);
  p.reading_ns = std::floor((p.theta_ns + e.edge_error_ns) / res_ns_) * res_ns_ + res_ns_ / 2;
  if (e.qerr_ns) p.reading_ns -= *e.qerr_ns;
  p.wander_ns = wander_.next(k).edge_error_ns;
  return p;
}

OracleResult oracle_run(const sim::Profile& profile, std::uint64_t seed, std::int64_t duration_s,
                        std::int64_t warmup_s) {
  NoiseReplay noise(profile, seed);
  OracleModel m(profile);
  OracleResult out;
  double sum_err2 = 0, sum_wander2 = 0;
  std::vector<double> h;
  for (std::int64_t k = 0; k <= duration_s; ++k) {
    const NoiseReplay::Pulse p = noise.pulse(k);
    if (k >= warmup_s) {
      const double err = p.theta_ns - m.filter.estimate(0);
      sum_err2 += err * err;
      sum_wander2 += p.wander_ns * p.wander_ns;
      ++out.n;
    }
    m.measurement_row(profile.gnss, static_cast<double>(k), h);
    m.filter.update(h, p.reading_ns, m.meas_var_ns2);
    m.filter.predict();
  }
  if (out.n > 0) {
    out.true_rms_ns = std::sqrt(sum_err2 / static_cast<double>(out.n));
    out.wander_rms_ns = std::sqrt(sum_wander2 / static_cast<double>(out.n));
  }
  return out;
}

}  // namespace nanotime::bench
