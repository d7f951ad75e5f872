#include "fault_windows.hpp"

#include <algorithm>
#include <cmath>

namespace nanotime::bench {

namespace {

FaultSpan span_of(const sim::Window& w) { return {w.start_s, w.end_s()}; }
FaultSpan point_at(double at_s) { return {at_s, at_s}; }

}  // namespace

std::vector<FaultSpan> fault_spans(const sim::Profile& profile) {
  std::vector<FaultSpan> spans;
  const auto& f = profile.faults;
  for (const auto* ws : {&f.pps_outage, &f.tod_outage, &f.carrier_loss}) {
    for (const auto& w : *ws) spans.push_back(span_of(w));
  }
  for (const auto& w : f.tod_wrong) spans.push_back(span_of(w.window));
  for (const auto& w : f.tod_late) spans.push_back(span_of(w.window));
  for (const auto* ps : {&f.outlier, &f.phase_jump}) {
    for (const auto& e : *ps) spans.push_back(point_at(e.at_s));
  }
  for (const auto& t : f.temperature_step) spans.push_back(point_at(t.at_s));
  for (const auto& t : profile.temperature.steps) spans.push_back(point_at(t.at_s));
  return spans;
}

std::vector<double> recovery_checkpoints_s(std::vector<FaultSpan> spans) {
  std::sort(spans.begin(), spans.end(),
            [](const FaultSpan& a, const FaultSpan& b) { return a.start_s < b.start_s; });
  std::vector<double> checkpoints;
  for (std::size_t i = 0; i < spans.size();) {
    double group_end_s = spans[i].end_s;
    // A span that starts before (or when) the group ends overlaps it, however it ends.
    for (++i; i < spans.size() && spans[i].start_s <= group_end_s; ++i) {
      group_end_s = std::max(group_end_s, spans[i].end_s);
    }
    checkpoints.push_back(group_end_s);
  }
  return checkpoints;
}

bool recovered_after_checkpoints(const std::vector<double>& checkpoints_s,
                                 const std::vector<std::uint8_t>& clock_class,
                                 std::int64_t recover_s) {
  const auto n = static_cast<std::int64_t>(clock_class.size());
  for (double t : checkpoints_s) {
    const auto from = static_cast<std::int64_t>(std::ceil(t));
    if (from + recover_s >= n) continue;  // the run ends before it could recover
    bool back = false;
    for (std::int64_t k = std::max<std::int64_t>(from, 0); k <= from + recover_s && !back; ++k) {
      back = clock_class[static_cast<std::size_t>(k)] == 6;
    }
    if (!back) return false;
  }
  return true;
}

}  // namespace nanotime::bench
