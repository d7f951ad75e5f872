#include "sim/receiver_mode.hpp"

#include <algorithm>
#include <cmath>

namespace nanotime::sim {
namespace {
constexpr double kNsPerMetre = 3.336;  // light travel time over 1 m
}

NavigationWander::NavigationWander(const ReceiverSection& config, std::uint64_t seed)
    : cfg_(config), rng_(seed, Stream::gnss_navigation) {}

double NavigationWander::next(std::int64_t k) {
  if (!cfg_.present || cfg_.navigation_wander_ns <= 0) return 0;
  if (static_cast<double>(k) >= cfg_.survey_duration_s) return 0;
  const double z = rng_.gaussian(cfg_.navigation_wander_ns);
  if (first_) {
    state_ns_ = z;  // stationary start
  } else {
    const double a = std::exp(-1.0 / cfg_.navigation_wander_tau_s);
    state_ns_ = a * state_ns_ + std::sqrt(1 - a * a) * z;
  }
  first_ = false;
  return state_ns_;
}

conductor::ReceiverStatus simulated_receiver_state(const ReceiverSection& c, double t_s) {
  conductor::ReceiverStatus s;
  s.connected = true;
  s.model = "SIM-T";
  s.firmware = "simulated";
  s.generation = 9;
  s.antenna = conductor::AntennaState::ok;
  s.jamming_indicator = 3;
  s.satellites_used = 12;
  s.timtp_present = true;
  const bool surveying = t_s < c.survey_duration_s;
  s.mode = surveying ? discipline::ReceiverTimeMode::survey_in : discipline::ReceiverTimeMode::fixed;
  s.survey_active = surveying;
  const double elapsed_s = std::floor(std::clamp(t_s, 0.0, c.survey_duration_s));
  s.survey_duration_s = elapsed_s;
  if (c.survey_duration_s > 0) {
    const double sigma_m = c.navigation_wander_ns / kNsPerMetre;
    s.survey_accuracy_m =
        sigma_m * std::sqrt(c.navigation_wander_tau_s /
                            std::max(elapsed_s, c.navigation_wander_tau_s));
  }
  return s;
}

}  // namespace nanotime::sim
