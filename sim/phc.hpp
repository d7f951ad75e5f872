#pragma once
// A simulated PTP hardware clock: a free-running oscillator with noise, steered by the same
// commands the engine gives a real PHC (absolute frequency, steps), read with the driver's
// quantisation. The simulator (and later a real-time driver) owns one per run.
//
// State: the PHC error x = PHC − TAI = offset_int_ns + phase_ns. The integer part holds the
// initial offset and steps (up to ~1e18 ns, exact); phase_ns integrates the frequency error:
//   dx/dt = y(t) in ppb (= ns/s), positive = the PHC runs fast, with
//   y = freq_offset + aging·t + white + flicker + random walk + temp_coeff·(T − mean) + adj.
// Noise frequencies are piecewise constant over each true second [k, k+1) s:
// - white FM: independent N(0, white_fm_ppb) per second (so the sd of the 1 s average frequency
//   is white_fm_ppb and its Allan deviation is white_fm_ppb/√τ);
// - random-walk FM: y_rw(k+1) = y_rw(k) + N(0, random_walk_fm_ppb_per_sqrt_s), y_rw(0) = 0;
// - flicker FM: flicker_fm_ppb is the flat Allan-deviation floor. It is the sum of kFlickerPoles
//   stationary AR(1) processes with time constants 10^(i/3) s (1 s … 1e6 s), each of variance
//   s² = σ²·ln(r)/(2·ln 2), r = 10^(1/3): a sum of Lorentzians with equal variance and
//   log-spaced corners has the PSD s²/(ln r·f) = h₋₁/f, and flicker FM has σ_y² = 2·ln2·h₋₁.
//   The floor is flat from τ ≈ 2 s to ≈ 1e5 s;
// - aging: linear in t (integrated exactly); temperature: the true board temperature at the
//   start of each second.
// Frequency commands are quantised like clock_adjtime's scaled ppm (1/65.536 ppb), clamped to
// ±max_adj_ppb. A step lands off by uniform ±step_error_ns. Readings are floored to a multiple of
// resolution_ns (the PHC's tick grid).

#include <cstdint>
#include <functional>
#include <vector>

#include "sim/profile.hpp"
#include "sim/random.hpp"

namespace nanotime::sim {

class SimulatedPhc {
 public:
  static constexpr int kFlickerPoles = 19;

  // temperature_c(t_s): the true board temperature; nullptr when there is no temperature effect.
  SimulatedPhc(const PhcSection& config, std::uint64_t seed, double mean_temperature_c = 0,
               std::function<double(double t_s)> temperature_c = nullptr);

  // Integrate the oscillator up to true time t_ns (from the start; never decreasing).
  void advance_to(std::int64_t t_ns);
  std::int64_t now_ns() const { return t_ns_; }

  // PHC − TAI now, in ns (the integer part exact up to 2^53).
  double error_ns() const { return static_cast<double>(offset_int_ns_) + phase_ns_; }
  // What the PHC reads now (floored to resolution_ns), given true TAI now in ns;
  // extra_ns (0 ≤ extra_ns < 1) places the instant between two whole ns.
  std::int64_t read_ns(std::int64_t tai_ns, double extra_ns = 0) const;

  // clock_adjtime(ADJ_FREQUENCY): absolute, positive = faster. Returns what was applied.
  double set_frequency(double freq_ppb);
  // clock_adjtime(ADJ_SETOFFSET). Returns the step that really happened (ns, with its error).
  double step(std::int64_t delta_ns);

  double adjustment_ppb() const { return adj_ppb_; }
  // The oscillator's own frequency error during the current second (everything but adj).
  double own_frequency_ppb() const;
  // Components, for tests.
  double white_fm_ppb() const { return y_white_; }
  double flicker_fm_ppb() const { return y_flicker_; }
  double random_walk_fm_ppb() const { return y_rw_; }
  const PhcSection& config() const { return cfg_; }

 private:
  void begin_second(std::int64_t second);
  void integrate(std::int64_t from_ns, std::int64_t to_ns);

  PhcSection cfg_;
  std::function<double(double)> temperature_c_;
  double mean_temperature_c_;
  Rng white_rng_, flicker_rng_, rw_rng_, step_rng_;

  std::int64_t t_ns_ = 0;
  std::int64_t second_ = 0;  // noise values below hold for [second_, second_ + 1) s
  std::int64_t offset_int_ns_ = 0;
  double phase_ns_ = 0;
  double adj_ppb_ = 0;
  double y_white_ = 0;
  double y_rw_ = 0;
  double y_flicker_ = 0;
  double y_temp_ = 0;
  std::vector<double> flicker_;     // state of each AR(1) pole
  std::vector<double> flicker_a_;   // its coefficient exp(−1/τ)
  double flicker_sd_ = 0;           // stationary sd of each pole
};

}  // namespace nanotime::sim
