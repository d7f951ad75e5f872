#pragma once
// The verdict of `nanotime-status` (like `chronyc tracking`, for the whole box), as pure
// functions: what the daemons' /status and chronyc say goes in, an exit code and the reasons
// come out.
//
//   0 locked    phc-pps-sync tracking, chronyd has selected the PHC refclock, and whatever is
//               reported about ptp4l and the cross-check agrees
//   1 degraded  holdover, still acquiring/converging, ptp4l unreachable or announcing another
//               class than the one it was told, gps-sock-bridge down or without a fix, or the
//               PHC and the independent gpsd PPS disagree by more than the limit, or
//               phc-pps-sync's GPIO PPS alarm (the system clock is not where the PHC path
//               puts it: docs/hardware-notes.md#gpio-pps)
//   2 failed    phc-pps-sync unreachable, freerun or unknown lock state, chronyd unreachable, or
//               chronyd not using the PHC
// A `1` reason never hides a `2`: the code is the worst one found, every reason is listed.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chrony/chronyc_parse.hpp"
#include "status/client/json_reader.hpp"

namespace nanotime::status {

inline constexpr int kExitLocked = 0;
inline constexpr int kExitDegraded = 1;
inline constexpr int kExitFailed = 2;

// phc-pps-sync as read from its /status (NaN/empty: not reported).
struct PhcSyncView {
  bool reachable = false;
  std::string lock_state;
  double clock_class = std::numeric_limits<double>::quiet_NaN();
  double error_bound_s = std::numeric_limits<double>::quiet_NaN();
  double phc_offset_s = std::numeric_limits<double>::quiet_NaN();
  double frequency_ratio = std::numeric_limits<double>::quiet_NaN();
  double ptp4l_reachable = std::numeric_limits<double>::quiet_NaN();
  double ptp4l_clock_class = std::numeric_limits<double>::quiet_NaN();
  // The NTP half (/status "system"; absent from an older daemon: system_reported false).
  bool system_reported = false;
  double system_bound_s = std::numeric_limits<double>::quiet_NaN();  // null before a sample
  std::string system_method;    // "latch-model" | "gpio-calibrated"
  std::string latch_model;      // "bcm-phy-ptp" | "midpoint" | "precise"
  bool gpio_configured = false;
  bool gpio_alarm = false;      // GPIO PPS and the PHC path disagree beyond their bounds
  double gpio_disagreement_s = std::numeric_limits<double>::quiet_NaN();
};
PhcSyncView phc_sync_view(const JsonValue& status);

// gps-sock-bridge as read from its /status.
struct BridgeView {
  bool reachable = false;
  double gpsd_connected = std::numeric_limits<double>::quiet_NaN();
  double fix_mode = std::numeric_limits<double>::quiet_NaN();
  double satellites_used = std::numeric_limits<double>::quiet_NaN();
  double serial_offset_s = std::numeric_limits<double>::quiet_NaN();
  double pps_offset_s = std::numeric_limits<double>::quiet_NaN();
};
BridgeView bridge_view(const JsonValue& status);

// chronyc's output: parsed in lib/chrony (phc-pps-sync reads chronyd with the same parser).
using chrony::ChronySource;
using chrony::ChronyTracking;
using chrony::parse_chronyc_sources;
using chrony::parse_chronyc_tracking;

struct HealthInput {
  PhcSyncView phc;
  bool bridge_expected = true;   // --no-bridge: the box runs without gps-sock-bridge
  BridgeView bridge;
  bool chrony_reachable = false;
  std::optional<ChronyTracking> tracking;
  std::vector<ChronySource> sources;
  std::string phc_refid = "PHC0";   // the refclock name chrony uses for phc-pps-sync's samples
  std::string pps_refid = "PPS";    // gps-sock-bridge's PPS refclock (the cross-check); "" = none
  double cross_check_limit_s = 50e-6;
};

struct Health {
  int code = kExitLocked;
  std::vector<std::string> reasons;  // why it is not 0, worst first
};

Health assess(const HealthInput& in);
std::string_view verdict_name(int code);  // locked, degraded, failed

}  // namespace nanotime::status
