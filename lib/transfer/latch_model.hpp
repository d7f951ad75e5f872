#pragma once
// The PHC-to-system-clock transfer of one read: which system time a PHC value belongs to, and the
// interval that surely holds the truth.
//
// A driver latches the PHC at one instant inside the read's bracket [before, after]. Where is a
// property of the driver (docs/hardware-notes.md#phc-read):
//   bcm-phy-ptp  CM4/CM5 PHY: the latch fires when the second MDIO write of the access has been
//                clocked in, about one MDIO frame after the bracket's middle — near its end.
//   midpoint     a driver nobody has characterised: the middle, as phc2sys and chrony assume.
//   precise      PTP_SYS_OFFSET_PRECISE: a hardware cross-timestamp, no bracket.
// The model only moves the estimate. The bound rule: without an independent reference the error
// interval is the whole bracket seen from the estimate, [before − est, after − est], so it holds
// wherever the latch really is; a model can never make it narrower than half the bracket.
//
// Sign: error = true latch time − estimated latch time = claimed (true − system) offset − the real
// one. So `error_max_ns` > 0 means chronyd may be told a system clock that is behind by that much.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "transfer/bracket.hpp"

namespace nanotime::transfer {

struct LatchModel {
  std::string_view name;
  double fraction = 0.5;      // where in [before, after] the latch is taken to be
  // How much the latch instant may differ between two reads of the same driver (MDIO clocking,
  // the interrupt that ends the access): the allowance when reads are compared with each other.
  double spread_ns = 0;
  std::string_view description;
};

// The models that can be named in the configuration ("auto" is resolved by model_for_driver).
std::span<const LatchModel> latch_models();
const LatchModel* find_latch_model(std::string_view name);
// "auto": the model for a PHC's driver, from its clock name (/sys/class/ptp/ptpN/clock_name) and
// whether it cross-timestamps.
const LatchModel& model_for_driver(std::string_view clock_name, bool cross_timestamping);
std::string latch_model_choices();  // "auto, bcm-phy-ptp, midpoint, precise", for messages

struct Transfer {
  std::int64_t phc_ns = 0;
  std::int64_t system_ns = 0;  // estimated system time of the latch
  double error_min_ns = 0;     // true latch time − system_ns is at least this (≤ 0)
  double error_max_ns = 0;     // and at most this (≥ 0)
  std::int64_t bracket_ns = 0;
  double bound_ns() const;     // max(|error_min_ns|, |error_max_ns|)
};

Transfer transfer_of(const Bracket& read, const LatchModel& model);

}  // namespace nanotime::transfer
