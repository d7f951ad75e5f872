#pragma once
// /status: the whole status model as one JSON document, histories included (the dashboard and
// `nanotime-status` read it). Shape, with times on the daemon's axis (Unix seconds):
//
// { "time_s": 1790000000.5,
//   "metrics": {
//     "nanotime_phc_offset_seconds": {"type": "gauge", "unit": "seconds", "help": "...",
//         "value": -3e-09,                             (only for a single unlabelled series)
//         "series": [{"labels": {}, "value": -3e-09}]},
//     "nanotime_pulses_total": {"type": "counter", "unit": "", "help": "...",
//         "series": [{"labels": {"result": "seen"}, "value": 12}, ...]},
//     "nanotime_lock_state": {"type": "stateset", "help": "...", "states": ["acquiring", ...],
//         "state": "tracking", "since_s": 1790000000.0,    (null while unknown)
//         "timeline": {"t": [...], "state": ["acquiring", "converging", "tracking"]}},
//     "nanotime_build_info": {"type": "info", "help": "...", "labels": {"version": "0.1.0"}} },
//   "system": {"bound_ns": 3200.5, "method": "gpio-calibrated", ...},   (Registry sections)
//   "histories": {
//     "phc_offset_seconds": {"unit": "seconds", "help": "...", "resolution_s": 1,
//         "capacity": 3600, "t": [...], "v": [...]} } }
//
// NaN/unset values are null.
//
// Query (GET /status?since=T&history=0): a full hour of three histories is ~400 KB, too much to
// poll every 2 s from a Pi's browser, so the dashboard loads it once and then asks only for
// points newer than the last one it has (`since`, the same time axis); `history=0` omits the
// points altogether (nanotime-status). Histories then carry "since_s" and only the new points.

#include <optional>
#include <string>
#include <string_view>

#include "status/metrics.hpp"

namespace nanotime::status {

inline constexpr std::string_view kJsonContentType = "application/json";

struct StatusQuery {
  bool histories = true;        // history=0: no points
  std::optional<double> since_s;  // since=T: only points with t > T
};
// std::nullopt for a malformed query (the server answers 400). Unknown keys are ignored.
std::optional<StatusQuery> parse_status_query(std::string_view query);

std::string render_status_json(const Registry& registry, double now_s, const StatusQuery& query = {});

}  // namespace nanotime::status
