#pragma once
// What `nanotime-status` prints: one screen of text, or one JSON object (--json). Pure: the
// caller has already fetched the daemons' /status and run chronyc.

#include <optional>
#include <string>
#include <vector>

#include "status/client/health.hpp"
#include "status/client/json_reader.hpp"

namespace nanotime::status {

struct Report {
  std::string phc_endpoint;
  std::optional<JsonValue> phc_status;  // the daemon's /status; nullopt: unreachable
  std::string phc_error;                // why unreachable
  bool bridge_expected = true;
  std::string bridge_endpoint;
  std::optional<JsonValue> bridge_status;
  std::string bridge_error;
  std::optional<ChronyTracking> tracking;
  std::vector<ChronySource> sources;
  std::string chrony_error;
  HealthInput input;  // as given to assess()
  Health health;
};

// Builds the HealthInput from the fetched pieces and assesses it. `input` carries the options
// (refids, limit, bridge_expected); its views are filled in here.
Report make_report(Report report);

std::string render_text(const Report& report);
std::string render_json(const Report& report);

// Human formatting, shared with tests: "-3.2 ns", "+12.345 µs", "+4.000 ppb", "–" for NaN,
// "unknown" for ±Inf. Magnitudes (error bounds) without a sign: signed_value = false.
std::string format_seconds(double s, bool signed_value = true);
std::string format_ppb(double ratio);
// A bound as "±3.2 µs", "±12 ns"; "unknown" for ±Inf, "–" for NaN.
std::string format_bound(double s);
// "NTP (system clock): ±3.2 µs (gpio-calibrated, bcm-phy-ptp); PTP (PHC): ±12 ns".
std::string bounds_line(const PhcSyncView& phc);

}  // namespace nanotime::status
