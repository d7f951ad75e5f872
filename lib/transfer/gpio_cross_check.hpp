#pragma once
// The GPIO PPS cross-check of the PHC-to-system transfer.
//
// The same PPS that the PHC timestamps (EXTTS) also reaches a GPIO, whose interrupt handler
// timestamps it with the system clock (pps-gpio, /dev/ppsN; docs/hardware-notes.md#gpio-pps):
// an independent reading of the system clock at the same edge, always *late* by the interrupt
// latency L ≥ 0 (µs-class, rare long tails, sometimes lost). For each pulse j the difference
//     d_j = GPIO timestamp − system time the PHC path gives the edge
// equals e_j + L_j, where e_j is the PHC path's error (true latch time − estimate, the sign of
// latch_model.hpp). Hence, for every sample:
//   - e ≤ min_j d_j + spread: a latency is never negative (the minimum over a window is robust to
//     tails and losses: a late or missing pulse never lowers it);
//   - e ≥ min_j d_j − floor − spread, where `floor` bounds the *smallest* latency in a window of
//     kWindow pulses — an assumption about the box (latency_floor_max_ns), far safer than a bound
//     on every latency, and measured by `nanotime doctor` on real hardware;
//   - `spread` allows for the latch instant moving between reads (LatchModel::spread_ns).
// Intersected with the bracket's own interval this is usually a few µs instead of ~50 µs. When the
// two intervals do not meet, the paths disagree beyond their bounds: an alarm, and the bracket
// alone is used. When the model's estimate lies outside the combined interval (a wrong model), the
// estimate is moved to the interval's middle: the transfer is calibrated by the GPIO.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "transfer/latch_model.hpp"

namespace nanotime::transfer {

struct GpioCheckConfig {
  double latency_floor_max_ns = 4000;  // the smallest latency within a window is below this
  std::size_t window = 64;             // pulses the minimum is taken over
  std::size_t min_pulses = 16;         // before this many, the bracket alone counts
};

enum class TransferMethod { latch_model, gpio_calibrated };
const char* method_name(TransferMethod m);

// One chronyd sample's transfer after the cross-check.
struct CheckedTransfer {
  double shift_ns = 0;        // add to the estimated system time (0 unless calibrated)
  double error_min_ns = 0;    // interval of (true − estimate) after the shift
  double error_max_ns = 0;
  TransferMethod method = TransferMethod::latch_model;
  bool alarm = false;         // GPIO and PHC disagree beyond their bounds
  double disagreement_ns = 0; // by how much the intervals miss each other (alarm only)
  double bound_ns() const;
};

// d_j for one pulse: the GPIO's timestamp of edge j against the system time the PHC path gives
// it: the transfer's system time moved back by the PHC time from the edge to the read, scaled by
// the system clock's rate relative to the PHC (1 + system_rate, e.g. from consecutive reads).
// nullopt when the GPIO timestamp is more than 0.5 s away: not the same edge.
std::optional<double> gpio_difference_ns(std::int64_t gpio_system_ns, std::int64_t edge_phc_ns,
                                         const Transfer& read, double system_rate);

class GpioCrossCheck {
 public:
  GpioCrossCheck(const LatchModel& model, GpioCheckConfig config = {});

  // A pulse seen by both paths. Nothing else moves the window.
  void add(double difference_ns);
  // A sample's transfer, checked against the window.
  CheckedTransfer check(const Transfer& t, double phc_bound_ns) const;

  std::size_t pulses() const { return window_.size(); }
  std::optional<double> min_difference_ns() const;
  const GpioCheckConfig& config() const { return config_; }

 private:
  double spread_ns_;
  GpioCheckConfig config_;
  std::deque<double> window_;
};

}  // namespace nanotime::transfer
