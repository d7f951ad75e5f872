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
//   "histories": {
//     "phc_offset_seconds": {"unit": "seconds", "help": "...", "resolution_s": 1,
//         "capacity": 3600, "t": [...], "v": [...]} } }
//
// NaN/unset values are null.

#include <string>
#include <string_view>

#include "status/metrics.hpp"

namespace nanotime::status {

inline constexpr std::string_view kJsonContentType = "application/json";

std::string render_status_json(const Registry& registry, double now_s);

}  // namespace nanotime::status
