#include "ptpmgmt/quality_map.hpp"

#include <algorithm>

namespace nanotime::ptpmgmt {

GrandmasterSettings to_grandmaster_settings(const discipline::ClockQuality& q) {
  GrandmasterSettings g;
  g.quality.clock_class = q.clock_class;
  g.quality.clock_accuracy = q.clock_accuracy;
  g.quality.offset_scaled_log_variance = q.offset_scaled_log_variance;
  g.utc_offset = static_cast<std::int16_t>(std::clamp(q.tai_utc_s, -32768, 32767));
  std::uint8_t f = time_flags::ptp_timescale;
  if (q.leap61) f |= time_flags::leap61;
  if (q.leap59) f |= time_flags::leap59;
  if (q.utc_offset_valid) f |= time_flags::utc_offset_valid;
  if (q.time_traceable) f |= time_flags::time_traceable;
  if (q.frequency_traceable) f |= time_flags::frequency_traceable;
  g.time_flags = f;
  g.time_source = kTimeSourceGnss;
  return g;
}

}  // namespace nanotime::ptpmgmt
