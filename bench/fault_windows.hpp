#pragma once
// When the "back to clockClass 6 within N s of every fault" goal is judged.
//
// Faults can overlap: a temperature step during a pulse outage, a wrong time of day while the
// carrier is down. The engine cannot recover from the inner fault while the outer one lasts,
// so judging the inner fault from its own end fails a correct run. Overlapping (or touching)
// faults are therefore merged into one span and judged once, from the span's end. Merging
// rather than "judge at the end of the enclosing window" because the two agree for a fault
// inside another, and merging also settles chains (A overlaps B overlaps C) in one pass.

#include <cstdint>
#include <vector>

#include "sim/profile.hpp"

namespace nanotime::bench {

// One fault as a closed time span (s from the start of the run); a point fault (outlier, phase
// jump, temperature step) has start_s == end_s.
struct FaultSpan {
  double start_s = 0;
  double end_s = 0;
};

// Every fault of the profile, including the [temperature] steps.
std::vector<FaultSpan> fault_spans(const sim::Profile& profile);

// The times the recovery goal is judged from, ascending: the end of each group of overlapping
// or touching spans.
std::vector<double> recovery_checkpoints_s(std::vector<FaultSpan> spans);

// True when clock_class (one entry per second of the run) is 6 at some second in
// [ceil(t), ceil(t) + recover_s] for every checkpoint t whose window fits inside the run.
bool recovered_after_checkpoints(const std::vector<double>& checkpoints_s,
                                 const std::vector<std::uint8_t>& clock_class, std::int64_t recover_s);

}  // namespace nanotime::bench
