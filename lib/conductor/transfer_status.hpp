#pragma once
// What the conductor knows about the NTP half: how the system clock is compared with the PHC
// (the PHC-to-system transfer, lib/transfer) and the GPIO PPS cross-check. The status outputs
// (/status, /metrics, the dashboard, nanotime-status, the doctor) read it; the conductor fills
// it on every PHC read and GPIO pulse. Every figure that a user sees as "the system clock's
// error" is `system_bound_ns`: a bound that covers the truth (docs/hardware-notes.md#phc-read).

#include <cstdint>
#include <optional>
#include <string>

namespace nanotime::conductor {

struct TransferStatus {
  // --- the model ---
  std::string latch_model;          // "bcm-phy-ptp", "midpoint", "precise" (resolved from "auto")
  std::string method;               // "latch-model" or "gpio-calibrated" (transfer::method_name)

  // --- the last sample sent to chronyd ---
  // Bound of |claimed − real| (true − system) offset of that sample: the PHC's own error bound
  // plus the transfer's (bracket, or bracket ∩ GPIO). nullopt before the first sample.
  std::optional<double> system_bound_ns;
  std::optional<double> shift_ns;   // GPIO calibration applied to the model's estimate

  // --- PHC reads (one request after each EXTTS event; a few reads per request) ---
  std::uint64_t read_requests = 0;
  std::uint64_t reads = 0;
  std::uint64_t slow_rejected = 0;  // requests whose narrowest read was slow: no sample
  std::uint64_t read_errors = 0;    // failed requests (e.g. ETIMEDOUT on a CM5): no sample
  std::optional<double> bracket_ns;        // the last chosen read's width
  std::optional<double> usual_bracket_ns;  // the learnt usual width (median of recent)
  // Recent chosen widths (the last 64): what the doctor reports as this box's distribution.
  std::optional<double> bracket_p50_ns;
  std::optional<double> bracket_p99_ns;
  std::optional<double> bracket_max_ns;

  // --- the GPIO PPS (absent: gpio_configured false) ---
  bool gpio_configured = false;
  std::string gpio_device;                 // e.g. "/dev/pps0"
  std::uint64_t gpio_pulses = 0;           // GPIO pulses paired with an EXTTS edge
  std::uint64_t gpio_missed = 0;           // GPIO pulses the kernel counted that we never saw
  std::uint64_t gpio_unmatched = 0;        // GPIO timestamps with no EXTTS edge within 0.5 s
  std::optional<double> gpio_difference_ns;      // last d = GPIO − PHC path's system time
  std::optional<double> gpio_min_difference_ns;  // minimum over the window (latency floor + error)
  std::optional<double> gpio_difference_p50_ns; // median over the window
  bool alarm = false;                      // GPIO and PHC disagree beyond their bounds
  double disagreement_ns = 0;              // by how much (while alarm)
  std::uint64_t alarms = 0;                // samples sent while the alarm was raised
};

}  // namespace nanotime::conductor
