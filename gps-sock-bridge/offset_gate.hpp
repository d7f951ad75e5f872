#pragma once
// OffsetGate: passes on a stream of offsets (true − system, ns) only while they agree with the
// recent past, so one bad report (a receiver that jumps by a second, a serial message labelled
// with the wrong second) never reaches chronyd, while a real step is followed after it has been
// confirmed.
//
//   - accepted offsets go into a window of the last `window` values;
//   - a report within `tolerance_ns` of the window's median is passed on;
//   - any other report is held back. Held reports that agree with each other (each within
//     tolerance of the median of the held run) accumulate; once `confirm` of them are
//     consecutive, the window is replaced by them and the report that completed the run is
//     passed on. A held report that disagrees with the run starts a new run.
//   - at start (and after reset()) the window is empty: the first report is passed on only
//     when `confirm` consecutive reports agree, so a receiver that starts with a wrong time is
//     not believed on its first word.
// Pure: no clock, no I/O.

#include <cstddef>
#include <deque>
#include <vector>

namespace nanotime::bridge {

enum class GateVerdict {
  pass,       // agrees with the window
  confirmed,  // completed `confirm` agreeing reports: a new level (at start, or a step)
  held,       // held back
};

class OffsetGate {
 public:
  OffsetGate(double tolerance_ns, std::size_t confirm, std::size_t window);

  GateVerdict submit(double offset_ns);
  void reset();

  bool primed() const { return !window_.empty(); }
  // Median of the window (0 when empty).
  double median_ns() const;
  std::size_t held_run() const { return run_.size(); }

 private:
  bool extend_run(double offset_ns);  // true when the run is long enough

  double tolerance_ns_;
  std::size_t confirm_;
  std::size_t window_size_;
  std::deque<double> window_;
  std::vector<double> run_;
};

// Median of a non-empty set of values (mean of the middle two for an even count).
double median_of(std::vector<double> values);

}  // namespace nanotime::bridge
