#pragma once
// servo-bench --system: the NTP half (issue 13). Every profile × seed is run three times through
// the real conductor and engine, differing only in the PHC-to-system transfer: the midpoint
// (what phc2sys and chrony's refclock PHC assume), the driver's latch model alone (the bound
// rule: the whole bracket), and the latch model with the GPIO PPS cross-check (profiles with a
// [pps_gpio] wire). Each run is judged by the report's `system` block.

#include <cstdio>
#include <optional>
#include <vector>

#include "sim/profile.hpp"

namespace nanotime::bench {

// Prints the table to `out`; returns 0.
int system_bench(const std::vector<sim::Profile>& profiles, int seeds, unsigned jobs,
                 std::optional<double> duration_s, std::FILE* out);

}  // namespace nanotime::bench
