#pragma once
// phc-pps-sync's view of chronyd (what NTP clients get: is chronyd following PHC0, with what
// root dispersion) and of the leap-seconds file it loaded. Filled by the daemon from
// `chronyc -c tracking` / `sources` (lib/chrony); while chronyd cannot be asked, `reachable` is
// 0 and the other chronyd gauges are absent from /metrics (not stale).

#include <cstdint>
#include <optional>

#include "status/metrics.hpp"

namespace nanotime::status {

struct ChronydMetrics {
  explicit ChronydMetrics(Registry& reg);

  Gauge& reachable;          // nanotime_chronyd_reachable 0/1 (absent before the first query)
  Gauge& phc_selected;       // nanotime_chronyd_phc_selected 0/1
  Gauge& stratum;            // nanotime_chronyd_stratum
  Gauge& system_offset;      // nanotime_chronyd_system_time_offset_seconds (+: system slow)
  Gauge& root_delay;         // nanotime_chronyd_root_delay_seconds
  Gauge& root_dispersion;    // nanotime_chronyd_root_dispersion_seconds
  Gauge& phc_reach;          // nanotime_chronyd_phc_reach (0..255; absent without a PHC0 source)
  Section& section;          // /status "chronyd": the same, with the selected source's name

  // chronyd could not be asked: reachable 0, everything else unknown (absent).
  void set_unreachable();
};

// nanotime_leap_seconds_file_expiry_timestamp_seconds (Unix time; absent without a file that
// has an expiry line).
struct LeapFileMetrics {
  explicit LeapFileMetrics(Registry& reg);
  Gauge& expiry;
  void set(std::optional<std::int64_t> expiry_posix_s);
};

}  // namespace nanotime::status
