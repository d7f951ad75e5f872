#pragma once
// The receiver's share of the error bound that comes from its time mode (engine.hpp): in
// survey_in or navigation mode the pulse carries the position solution's error, an extra
// wander of 1σ = wander_ns; once the position is fixed the term fades over settle_s, because
// the servo still carries the last navigation error until it has tracked it out.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>

#include "discipline/events.hpp"

namespace nanotime::discipline {

class ReceiverWander {
 public:
  ReceiverWander(double wander_ns, double settle_s) : wander_ns_(wander_ns), settle_s_(settle_s) {}

  // unknown (the watch lost) keeps what was known: the receiver may still be surveying.
  void on_mode(ReceiverTimeMode mode, std::int64_t mono_ns) {
    if (mode == ReceiverTimeMode::unknown) {
      if (!known_) mode_ = mode;
      return;
    }
    const bool navigating = mode == ReceiverTimeMode::survey_in ||
                            mode == ReceiverTimeMode::navigation;
    if (!navigating && navigating_) fixed_since_mono_ns_ = mono_ns;
    if (navigating) fixed_since_mono_ns_.reset();
    navigating_ = navigating;
    known_ = true;
    mode_ = mode;
  }

  ReceiverTimeMode mode() const { return mode_; }
  bool navigating() const { return navigating_; }

  // 1σ of the extra wander at mono time t.
  double sd_ns_at(std::int64_t t) const {
    if (navigating_) return wander_ns_;
    if (!fixed_since_mono_ns_ || settle_s_ <= 0) return 0;
    const double age_s = std::max(0.0, static_cast<double>(t - *fixed_since_mono_ns_) * 1e-9);
    return wander_ns_ * std::exp(-age_s / settle_s_);
  }

 private:
  double wander_ns_;
  double settle_s_;
  ReceiverTimeMode mode_ = ReceiverTimeMode::unknown;
  bool known_ = false;
  bool navigating_ = false;
  std::optional<std::int64_t> fixed_since_mono_ns_;
};

}  // namespace nanotime::discipline
