#pragma once
// Numbers each PPS edge with its TAI second, or drops it.
//
// Why this is not "the message that came next": on CM4 an EXTTS event reaches user space up to
// 250 ms after the edge, gpsd's time message (TimeReport) 0.1 … 0.9 s after it, either can be
// lost or stale, and a receiver can name the wrong second. So:
//  1. The monotonic time of each edge is estimated from the EXTTS events themselves:
//     delivery delay ≥ 0, so edge_mono ≈ phc_ns + min over recent events of (arrival − phc_ns).
//  2. A TimeReport names the edge that lies between guard_s and period − guard_s before its
//     arrival (at most one edge can). If no edge, or two different names, fit: no label.
//  3. Before the PHC is aligned to TAI, pulses are labelled only by TimeReports, and released
//     in pairs whose PHC − label offsets agree (to 1 ms + 0.1 %): one wrong message is not
//     enough to step the clock a second off.
//  4. Once aligned, the PHC labels each pulse itself (round(phc/1 s)) and the pulse is used at
//     once (the servo wants it early: a command applied late in the period destabilises it).
//     Its report, when it comes, must name the same second; a disagreement makes the labeller
//     suspicious: from then on each pulse waits for its own report (until its window closes)
//     and is dropped if the report disagrees, until a report agrees again. Disagreements with
//     no agreement in between for relabel_after_s ask the engine to re-acquire.
//  Stale duplicates (same or older PHC time, or while the carrier is down) are dropped; with
//  both_edges the falling edge (pulse_width_s after the rising one) is discarded.

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "discipline/events.hpp"

namespace nanotime::discipline {

struct LabelerConfig {
  double guard_s = 0.1;           // a TimeReport must arrive this long after its edge, and
                                  // this long before the next one
  double nominal_period_s = 1.0;
  bool both_edges = false;
  double pulse_width_s = 0.1;
  double relabel_after_s = 600;   // persistent disagreement with the PHC label: re-acquire
  std::size_t mapping_window = 16;
  double extts_max_delay_s = 0.25;  // CM4 polls EXTTS at 4 Hz
};

struct LabeledPulse {
  std::int64_t phc_ns = 0;
  std::int64_t edge_mono_ns = 0;   // estimated, never early (for matching reports)
  std::int64_t likely_edge_mono_ns = 0;  // best estimate (for the servo's timing)
  std::int64_t tai_s = 0;
  bool tod_confirmed = false;      // a TimeReport named this edge (and agreed)
};

struct LabelerCounters {
  std::uint64_t edges = 0;          // non-stale rising edges
  std::uint64_t stale = 0;
  std::uint64_t falling = 0;
  std::uint64_t lost = 0;           // gaps between consecutive edges
  std::uint64_t unlabelled = 0;     // before alignment: no unambiguous TimeReport
  std::uint64_t conflicting = 0;    // two TimeReports, different names
  std::uint64_t disagreements = 0;  // aligned: TimeReport ≠ PHC label (pulse dropped)
  std::uint64_t inconsistent = 0;   // before alignment: offset disagrees with the previous one
  std::uint64_t disagreed_after_use = 0;  // aligned: a report for a pulse already used disagreed
};

class PulseLabeler {
 public:
  // The TAI second a report names (UTC + TAI − UTC), or nullopt if it cannot say (e.g. the
  // second around a leap). The engine supplies it (it knows the leap state).
  using TaiOfReport = std::function<std::optional<std::int64_t>(const TimeReport&)>;

  PulseLabeler(const LabelerConfig& config, TaiOfReport tai_of_report);

  std::vector<LabeledPulse> on_extts(const ExttsEvent& ev);
  std::vector<LabeledPulse> on_time_report(const TimeReport& tr);
  std::vector<LabeledPulse> on_tick(std::int64_t mono_ns);

  void on_step(std::int64_t delta_ns);   // the PHC was stepped by delta_ns
  void set_aligned(bool aligned);        // the PHC counts TAI (within far less than 0.5 s)
  bool aligned() const { return aligned_; }
  void reset();                          // forget everything but the counters (re-acquire)
  bool reacquire_requested() const { return reacquire_; }

  // Edge monotonic time of a PHC reading (valid once one event came): never early …
  std::optional<std::int64_t> edge_mono(std::int64_t phc_ns) const;
  // … and the most likely one (corrected for the delay the quickest delivery still had).
  std::optional<std::int64_t> likely_edge_mono(std::int64_t phc_ns) const;
  const LabelerCounters& counters() const { return counters_; }
  // How late edge_mono() may be (the smallest delivery delay seen is not 0): about the
  // driver's worst delay over (events seen + 1).
  double edge_uncertainty_s() const {
    return 2 * config_.extts_max_delay_s / static_cast<double>(delay_window_.size() + 1);
  }

 private:
  struct Pending {
    std::int64_t phc_ns;
    std::int64_t edge_mono_ns;
    std::int64_t likely_ns;
    std::optional<std::int64_t> tod_tai_s;
    bool conflict = false;
  };
  struct Candidate {
    std::int64_t phc_ns;
    std::int64_t edge_mono_ns;
    std::int64_t likely_ns;
    std::int64_t tai_s;
  };
  bool tod_names(const TimeReport& tr, std::int64_t edge_mono_ns) const;
  bool confirms(const TimeReport& tr, const Pending& p) const;
  static std::int64_t phc_label(std::int64_t phc_ns);
  void attach(Pending& p, const TimeReport& tr);
  std::vector<LabeledPulse> release_due(std::int64_t now_mono_ns);
  void release_unaligned(const Pending& p, std::vector<LabeledPulse>& out);

  LabelerConfig config_;
  TaiOfReport tai_of_report_;
  bool aligned_ = false;
  bool reacquire_ = false;
  std::deque<std::int64_t> delay_window_;   // arrival − phc of recent events
  std::deque<std::int64_t> recent_phc_;     // for duplicate detection
  std::optional<std::int64_t> last_event_phc_;
  std::optional<std::int64_t> last_rising_phc_;
  std::deque<Pending> pending_;
  std::deque<TimeReport> reports_;
  std::optional<Candidate> last_labelled_;  // before alignment: previous ToD-labelled pulse
  bool released_any_ = false;
  std::optional<std::int64_t> disagree_since_mono_;
  struct Released {
    std::int64_t edge_mono_ns;
    std::int64_t tai_s;
  };
  std::deque<Released> released_;            // aligned: released before their report came
  LabelerCounters counters_;
};

}  // namespace nanotime::discipline
