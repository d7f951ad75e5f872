#pragma once
// `chronyc -c tracking` and `chronyc -c sources` (chrony 4.3's CSV output), parsed. Pure.
// Used by nanotime-status (status/client/health.*) and phc-pps-sync's chronyd view.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nanotime::chrony {

// `chronyc -c tracking` (one CSV line).
struct ChronyTracking {
  std::string ref_id;     // hex, e.g. 50484330
  std::string ref_name;   // e.g. PHC0 ("" while not synchronised)
  int stratum = 0;
  double system_offset_s = 0;  // "System time" column: slow (+) or fast (−) of NTP time
  std::string leap_status;     // Normal, Insert second, Delete second, Not synchronised
  // After leap_status: aggregate initialisers written before these fields still compile.
  double root_delay_s = 0;
  double root_dispersion_s = 0;
};
// std::nullopt when the line does not have chrony 4.3's 14 fields.
std::optional<ChronyTracking> parse_chronyc_tracking(std::string_view csv);

// `chronyc -c sources` (one CSV line per source).
struct ChronySource {
  char mode = '?';   // '#' refclock, '^' server, '=' peer
  char state = '?';  // '*' selected, '+' combined, '-' not combined, 'x' falseticker, ...
  std::string name;
  int stratum = 0;
  int reach = 0;
  double offset_s = 0;  // last sample, adjusted
  double error_s = 0;
};
// Lines that are not a 10-field source line are skipped.
std::vector<ChronySource> parse_chronyc_sources(std::string_view csv);

}  // namespace nanotime::chrony
