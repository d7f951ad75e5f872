#pragma once
// How a pulse and a time message reach the daemon: EXTTS delivery (driver polling, losses) and
// gpsd time reports (delay, jitter, losses). Each draws from its own random streams once per
// pulse, whether or not the result is used, so faults never shift later draws.

#include <algorithm>
#include <cstdint>

#include "sim/profile.hpp"
#include "sim/random.hpp"

namespace nanotime::sim {

struct Delivery {
  double delay_s = 0;  // after the edge reached the PHC
  bool lost = false;
};

class ExttsChannel {
 public:
  ExttsChannel(const ExttsSection& config, std::uint64_t seed)
      : cfg_(config), delay_rng_(seed, Stream::extts_delay), loss_rng_(seed, Stream::extts_loss) {}

  // One pulse: a uniform delivery delay per edge (two with both edges) and one loss decision.
  Delivery next() {
    Delivery d;
    d.delay_s = delay_rng_.uniform(cfg_.delivery_delay_min_s, cfg_.delivery_delay_max_s);
    d.lost = loss_rng_.bernoulli(cfg_.loss_probability);
    return d;
  }
  double next_delay_s() {
    return delay_rng_.uniform(cfg_.delivery_delay_min_s, cfg_.delivery_delay_max_s);
  }
  const ExttsSection& config() const { return cfg_; }

 private:
  ExttsSection cfg_;
  Rng delay_rng_, loss_rng_;
};

class TodChannel {
 public:
  static constexpr double kMinDelayS = 0.001;  // gpsd cannot report a second before its edge

  TodChannel(const TodSection& config, std::uint64_t seed)
      : cfg_(config), delay_rng_(seed, Stream::tod_delay), loss_rng_(seed, Stream::tod_loss) {}

  // Delay after the (true) edge: delay_s + N(0, jitter_s), at least kMinDelayS.
  Delivery next() {
    Delivery d;
    d.delay_s = std::max(kMinDelayS, cfg_.delay_s + delay_rng_.gaussian(cfg_.jitter_s));
    d.lost = loss_rng_.bernoulli(cfg_.loss_probability);
    return d;
  }
  const TodSection& config() const { return cfg_; }

 private:
  TodSection cfg_;
  Rng delay_rng_, loss_rng_;
};

}  // namespace nanotime::sim
