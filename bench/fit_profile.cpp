#include "fit_profile.hpp"

#include "sim/phc.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

namespace nanotime::bench {
namespace {

namespace r = nanotime::recording;
constexpr std::int64_t kNs = 1'000'000'000;
constexpr double kPairWindowNs = 1e8;  // a PPS report belongs to the edge this close to it
constexpr std::size_t kMinEdges = 1000;
constexpr std::size_t kSettleS = 60;
constexpr int kTerms = 4;  // white PM, white FM, flicker FM, random-walk FM

// Each edge's qErr (gpsd's PPS report of it, paired by the system time of the edge).
std::vector<std::optional<double>> qerr_of(const sim::Reconstruction& rec,
                                           const std::vector<sim::FreeEdge>& edges) {
  std::vector<std::pair<std::int64_t, double>> reports;  // (mono of the edge, qErr)
  std::optional<std::int64_t> real_minus_mono;
  for (const r::Record& x : rec.records) {
    if (const auto* rt = std::get_if<r::RealRead>(&x.body)) real_minus_mono = rt->ns - x.mono_ns;
    const auto* tod = std::get_if<r::TodEvents>(&x.body);
    if (tod == nullptr || !real_minus_mono) continue;
    for (const gpsd::Event& e : tod->events) {
      const auto* p = std::get_if<gpsd::PulseReport>(&e);
      if (p != nullptr && p->qerr_ns) reports.emplace_back(p->clock_ns - *real_minus_mono, *p->qerr_ns);
    }
  }
  std::sort(reports.begin(), reports.end());
  std::vector<std::optional<double>> out(edges.size());
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const std::int64_t m = edges[i].capture_mono_ns;
    auto it = std::lower_bound(reports.begin(), reports.end(), std::make_pair(m, -1e300));
    double best = kPairWindowNs;
    for (auto j : {it, it == reports.begin() ? it : std::prev(it)}) {
      if (j == reports.end()) continue;
      const double d = std::abs(static_cast<double>(j->first - m));
      if (d < best) {
        best = d;
        out[i] = j->second;
      }
    }
  }
  return out;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

// Delivery delays (EXTTS record − capture) and time-report delays (TOFF − the edge before it).
void fit_delays(const sim::Reconstruction& rec, const std::vector<sim::FreeEdge>& rising,
                FittedNoise& fit) {
  std::vector<double> delivery, tod;
  std::size_t edge = 0;
  for (const r::Record& x : rec.records) {
    while (edge < rising.size() && rising[edge].capture_mono_ns <= x.mono_ns &&
           std::holds_alternative<r::ExttsRead>(x.body)) {
      delivery.push_back(static_cast<double>(x.mono_ns - rising[edge].capture_mono_ns) * 1e-9);
      ++edge;
    }
    const auto* t = std::get_if<r::TodEvents>(&x.body);
    if (t == nullptr || edge == 0) continue;
    for (const gpsd::Event& e : t->events) {
      if (std::holds_alternative<gpsd::TimeReport>(e)) {
        const double d = static_cast<double>(x.mono_ns - rising[edge - 1].capture_mono_ns) * 1e-9;
        if (d >= 0 && d < 1) tod.push_back(d);
      }
    }
  }
  fit.delivery_min_s = std::max(0.0, percentile(delivery, 0.05));
  fit.delivery_max_s = std::min(0.9, std::max(fit.delivery_min_s, percentile(delivery, 0.95)));
  fit.tod_delay_s = percentile(tod, 0.5);
}

// Leaves out (NaN) the pulses whose one-second second difference is beyond 10 robust sigmas.
std::size_t reject_outliers(std::vector<double>& x) {
  std::vector<double> d;
  for (std::size_t i = 0; i + 2 < x.size(); ++i) {
    const double v = x[i + 2] - 2 * x[i + 1] + x[i];
    if (!std::isnan(v)) d.push_back(std::abs(v));
  }
  if (d.size() < 100) return 0;
  const double limit = 10 * 1.4826 * percentile(d, 0.5);
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i + 2 < x.size(); ++i) {
    const double v = x[i + 2] - 2 * x[i + 1] + x[i];
    if (!std::isnan(v) && std::abs(v) > limit) out.push_back(i + 1);
  }
  for (std::size_t i : out) x[i] = std::nan("");
  return out.size();
}

std::int64_t tick_of(const std::vector<sim::FreeEdge>& edges) {
  std::int64_t tick = 1024;
  for (const sim::FreeEdge& e : edges) {
    while (tick > 1 && e.recorded_phc_ns % tick != 0) tick /= 2;
  }
  return tick;
}

// Overlapping Allan deviation of phase x (ns, NaN where no edge) at τ = n s, over differences
// within one segment (a recorded step starts a new one: where it really landed is unknown,
// so the free-running phase jumps there by the step's error).
double adev(const std::vector<double>& x, const std::vector<std::uint32_t>& segment, std::size_t n) {
  double sum = 0;
  std::size_t count = 0;
  for (std::size_t i = 0; i + 2 * n < x.size(); ++i) {
    const double d = x[i + 2 * n] - 2 * x[i + n] + x[i];
    if (std::isnan(d) || segment[i] != segment[i + 2 * n]) continue;
    sum += d * d;
    ++count;
  }
  if (count < 10) return std::nan("");
  return std::sqrt(sum / (2.0 * static_cast<double>(count) * static_cast<double>(n * n)));
}

// The Allan variance at τ = n s of the simulator's flicker FM with a unit floor
// (sim/phc.hpp: a sum of AR(1) frequency poles, τ_i = 10^(i/3) s, each of variance
// ln(r)/(2·ln 2)), exactly: for each pole, var(ȳ_n) − cov(ȳ_n, next ȳ_n) of its n-second means.
double flicker_avar(std::size_t n) {
  const double ln_r = std::log(10.0) / 3.0;
  const double s2 = ln_r / (2.0 * std::log(2.0));
  const double nn = static_cast<double>(n);
  double total = 0;
  for (int i = 0; i < sim::SimulatedPhc::kFlickerPoles; ++i) {
    const double a = std::exp(-1.0 / std::pow(10.0, i / 3.0));
    // Σ_{m=1}^{n-1} (n − m) a^m and Σ_{m=1}^{2n-1} min(m, 2n − m) a^m over the two means' pairs.
    double var_sum = nn, cross = 0, am = 1;
    for (std::size_t m = 1; m < 2 * n; ++m) {
      am *= a;
      if (m < n) var_sum += 2 * static_cast<double>(n - m) * am;
      cross += static_cast<double>(std::min(m, 2 * n - m)) * am;
    }
    total += s2 * (var_sum - cross) / (nn * nn);
  }
  return total;
}

double basis(int term, double tau) {
  switch (term) {
    case 0: return 3.0 / (tau * tau);  // white PM: σx²
    case 1: return 1.0 / tau;          // white FM: w²
    case 2: return flicker_avar(static_cast<std::size_t>(tau));  // flicker FM: f²
    default: return tau / 3.0;         // random-walk FM: r²
  }
}

// Each τ's weight in the fit: the inverse of its Allan variance estimate's relative variance,
// which over a recording of N s is about τ/N (the estimate averages ~N/τ independent
// differences). Equal weights let the few long τ, where a day holds only a handful of
// independent intervals and the random walk's realisation scatters the estimate by tens of %,
// pull the flicker floor, which the white FM then makes up at short τ: flicker −50 % / −100 %
// and white FM +30 % / +53 % on the CM4 profiles, and the oracle on the fit 8 % off.
double weight(double tau) { return 1.0 / tau; }

// Weighted least squares on relative errors with only the terms in `mask`; nullopt when
// singular or a coefficient is not positive.
std::optional<std::array<double, kTerms>> solve_subset(
    const std::vector<std::pair<double, double>>& points, int mask) {
  std::vector<int> on;
  for (int t = 0; t < kTerms; ++t) {
    if (mask & (1 << t)) on.push_back(t);
  }
  const std::size_t k = on.size();
  std::vector<double> a(k * k, 0), b(k, 0);
  for (const auto& [tau, dev] : points) {
    const double v = dev * dev;
    const double w = weight(tau);
    for (std::size_t i = 0; i < k; ++i) {
      const double bi = w * basis(on[i], tau) / v;
      b[i] += bi;
      for (std::size_t j = 0; j < k; ++j) a[i * k + j] += bi * basis(on[j], tau) / v;
    }
  }
  for (std::size_t c = 0; c < k; ++c) {  // Gauss-Jordan with partial pivoting (k ≤ 4)
    std::size_t piv = c;
    for (std::size_t rr = c + 1; rr < k; ++rr) {
      if (std::abs(a[rr * k + c]) > std::abs(a[piv * k + c])) piv = rr;
    }
    if (std::abs(a[piv * k + c]) < 1e-300) return std::nullopt;
    for (std::size_t j = 0; j < k; ++j) std::swap(a[c * k + j], a[piv * k + j]);
    std::swap(b[c], b[piv]);
    for (std::size_t rr = 0; rr < k; ++rr) {
      if (rr == c) continue;
      const double f = a[rr * k + c] / a[c * k + c];
      for (std::size_t j = 0; j < k; ++j) a[rr * k + j] -= f * a[c * k + j];
      b[rr] -= f * b[c];
    }
  }
  std::array<double, kTerms> coef{};
  for (std::size_t i = 0; i < k; ++i) {
    const double v = b[i] / a[i * k + i];
    if (!(v > 0)) return std::nullopt;
    coef[static_cast<std::size_t>(on[i])] = v;
  }
  return coef;
}

// Non-negative weighted least squares on relative errors, by trying every subset of the four
// terms.
std::array<double, kTerms> fit_terms(const std::vector<std::pair<double, double>>& points) {
  std::array<double, kTerms> best{};
  double best_cost = std::numeric_limits<double>::infinity();
  for (int mask = 1; mask < (1 << kTerms); ++mask) {
    const auto coef = solve_subset(points, mask);
    if (!coef) continue;
    double cost = 0;
    for (const auto& [tau, dev] : points) {
      double m = 0;
      for (int t = 0; t < kTerms; ++t) m += (*coef)[static_cast<std::size_t>(t)] * basis(t, tau);
      cost += weight(tau) * (m / (dev * dev) - 1) * (m / (dev * dev) - 1);
    }
    if (cost < best_cost) {
      best_cost = cost;
      best = *coef;
    }
  }
  return best;
}

}  // namespace

FittedNoise fit_noise(const sim::Reconstruction& rec) {
  std::vector<sim::FreeEdge> edges = sim::free_running_edges(rec);
  // Rising edges only: a both-edges driver's falling edge comes a pulse width after its rising.
  std::vector<sim::FreeEdge> rising;
  for (const sim::FreeEdge& e : edges) {
    if (rising.empty() || e.capture_mono_ns - rising.back().capture_mono_ns > kNs / 2) {
      rising.push_back(e);
    }
  }
  FittedNoise fit;
  fit.edges = rising.size();
  if (rising.size() < kMinEdges) {
    throw std::runtime_error(fmt::format("{} pulse edges: a fit needs at least {}", rising.size(),
                                         kMinEdges));
  }
  const std::vector<std::optional<double>> qerr = qerr_of(rec, rising);
  fit.resolution_ns = tick_of(rising);
  // Phase per whole second from the first edge (NaN: no edge that second).
  const sim::FreeEdge& first = rising.front();
  const auto last_k = std::llround(static_cast<double>(rising.back().capture_mono_ns -
                                                       first.capture_mono_ns) * 1e-9);
  fit.duration_s = static_cast<double>(last_k);
  std::vector<double> x(static_cast<std::size_t>(last_k) + 1, std::nan(""));
  std::vector<std::uint32_t> segment(x.size(), 0);
  std::vector<double> qerrs;
  std::size_t with_qerr = 0;
  for (std::size_t i = 0; i < rising.size(); ++i) {
    const sim::FreeEdge& e = rising[i];
    const auto k = std::llround(static_cast<double>(e.capture_mono_ns - first.capture_mono_ns) * 1e-9);
    if (k < 0 || k > last_k) continue;
    if (i > 0 && e.steering.steps_ns != rising[i - 1].steering.steps_ns) {
      for (auto j = static_cast<std::size_t>(k); j < segment.size(); ++j) ++segment[j];
    }
    double phase = static_cast<double>(e.free_ns() - first.free_ns() - k * kNs) +
                   (e.free_frac_ns() - first.free_frac_ns());
    if (qerr[i]) {
      phase -= *qerr[i];
      qerrs.push_back(*qerr[i]);
      ++with_qerr;
    }
    x[static_cast<std::size_t>(k)] = phase;
  }
  fit.qerr = with_qerr * 2 > rising.size();
  // The mean frequency (ppb = ns/s) over the last segment.
  const auto seg_start = static_cast<std::size_t>(
      std::find(segment.begin(), segment.end(), segment.back()) - segment.begin());
  std::size_t a = seg_start, b = x.size() - 1;
  while (a < b && std::isnan(x[a])) ++a;
  while (b > a && std::isnan(x[b])) --b;
  fit.freq_offset_ppb = b > a ? (x[b] - x[a]) / static_cast<double>(b - a) : 0;
  // The first minute of each segment is left out: the acquisition's large frequency changes
  // make its phase the least certain part of the reconstruction.
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (i == 0 || segment[i] != segment[i - 1]) {
      for (std::size_t j = i; j < std::min(x.size(), i + kSettleS); ++j) x[j] = std::nan("");
    }
  }
  fit.outliers = reject_outliers(x);
  fit_delays(rec, rising, fit);
  // τ = 1, 2, 3, 4, 6, 8, 12, … s: half-octaves, so that the four terms' shapes are told apart.
  for (std::size_t n2 = 2; n2 * 10 <= x.size(); n2 *= 2) {
    for (std::size_t n : {n2 / 2, n2 * 3 / 4}) {
      const double d = adev(x, segment, n);
      if (!std::isnan(d) && (fit.adev.empty() || fit.adev.back().first < static_cast<double>(n))) {
        fit.adev.emplace_back(static_cast<double>(n), d);
      }
    }
  }
  const std::array<double, kTerms> c = fit_terms(fit.adev);
  fit.white_pm_ns = std::sqrt(c[0]);
  fit.white_fm_ppb = std::sqrt(c[1]);
  fit.flicker_fm_ppb = std::sqrt(c[2]);
  fit.random_walk_fm_ppb_per_sqrt_s = std::sqrt(c[3]);
  if (!qerrs.empty()) {
    double mean = 0, var = 0;
    for (double q : qerrs) mean += q;
    mean /= static_cast<double>(qerrs.size());
    for (double q : qerrs) var += (q - mean) * (q - mean);
    fit.sawtooth_pp_ns = std::sqrt(var / static_cast<double>(qerrs.size()) * 12.0);
  }
  const double res = static_cast<double>(fit.resolution_ns);
  double rest = c[0] - res * res / 12.0;
  if (!fit.qerr) rest -= fit.sawtooth_pp_ns * fit.sawtooth_pp_ns / 12.0;
  fit.jitter_ns = std::sqrt(std::max(0.0, rest));
  return fit;
}

std::string profile_toml(const FittedNoise& f, const std::string& source) {
  std::string out = fmt::format(
      "# Fitted by servo-bench --fit-profile from {} ({} pulse edges, {:.0f} s).\n"
      "# Overlapping Allan deviation of the free-running PHC (qErr-corrected), tau s: ppb\n",
      source, f.edges, f.duration_s);
  for (const auto& [tau, dev] : f.adev) out += fmt::format("#   {:>7.0f}: {:.4g}\n", tau, dev);
  out += fmt::format(
      "# Not fitted (absent here): the receiver's slow wander (ar1, sinusoid), temperature,\n"
      "# aging, faults, the PHC read bracket, the GPIO wire. {} pulses left out as outliers.\n"
      "[sim]\nduration_s = {:.0f}\n\n"
      "[extts]\ndelivery_delay_s = [{:.4f}, {:.4f}]\n\n[tod]\ndelay_s = {:.4f}\n\n"
      "[phc]\nfreq_offset_ppb = {:.3f}\nwhite_fm_ppb = {:.4f}\nflicker_fm_ppb = {:.4f}\n"
      "random_walk_fm_ppb_per_sqrt_s = {:.5f}\nresolution_ns = {}\n\n"
      "[gnss]\n# white pulse noise {:.3f} ns = tick {} ns + {}jitter\n"
      "jitter_ns = {:.4f}\nsawtooth_pp_ns = {:.3f}\nqerr = {}\n",
      f.outliers, f.duration_s, f.delivery_min_s, f.delivery_max_s, f.tod_delay_s,
      f.freq_offset_ppb, f.white_fm_ppb, f.flicker_fm_ppb,
      f.random_walk_fm_ppb_per_sqrt_s, f.resolution_ns, f.white_pm_ns, f.resolution_ns,
      f.qerr ? "" : "sawtooth + ", f.jitter_ns, f.sawtooth_pp_ns, f.qerr ? "true" : "false");
  return out;
}

sim::Profile fitted_profile(const FittedNoise& fit, const std::string& name) {
  sim::Profile p = sim::parse_profile(profile_toml(fit, name), name + ".toml");
  p.name = name;
  return p;
}

}  // namespace nanotime::bench
