#pragma once
// servo-bench --system: the NTP half (issue 13). Every profile × seed is run three times through
// the real conductor and engine, differing only in the PHC-to-system transfer: the midpoint
// (what phc2sys and chrony's refclock PHC assume), the driver's latch model alone (the bound
// rule: the whole bracket), and the latch model with the GPIO PPS cross-check (profiles with a
// [pps_gpio] wire). Each run is judged by the report's `system` block.

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "sim/profile.hpp"

namespace nanotime::bench {

// Prints the table to `out`; with `svg_path`, draws seed 1 of `svg_profile` (each sample's
// |error| and bound with the GPIO-combined transfer, 60 s means) there. Returns 0, or 74 when
// the SVG cannot be written.
int system_bench(const std::vector<sim::Profile>& profiles, int seeds, unsigned jobs,
                 std::optional<double> duration_s, std::FILE* out,
                 const std::string& svg_path = "", const std::string& svg_profile = "cm4-f9t");

}  // namespace nanotime::bench
