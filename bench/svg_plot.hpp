#pragma once
// A hand-written SVG line chart of true error over time (no dependencies).

#include <string>
#include <vector>

namespace nanotime::bench {

struct Series {
  std::string name;             // e.g. the servo
  std::vector<double> values;   // one per second (ns)
};

// Plots the 60 s means of each series; the y range covers the largest mean
// after the first 10 minutes (the cold start is off the chart; clipped values sit on the edge).
std::string true_error_svg(const std::string& title, const std::vector<Series>& series);

}  // namespace nanotime::bench
