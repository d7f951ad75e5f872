#include "discipline/pulse_labeler.hpp"
#include "util/units.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace nanotime::discipline {

namespace {
using util::kNsPerS;
constexpr std::size_t kRecentPhc = 8;
// Before alignment two ToD-labelled pulses must give the same PHC − TAI to this much, plus
// 0.1 % of their distance (any PHC frequency error we could ever face).
constexpr std::int64_t kConsistencyNs = 1000000;

std::int64_t ns_of(double s) { return std::llround(s * 1e9); }
}  // namespace

PulseLabeler::PulseLabeler(const LabelerConfig& config, TaiOfReport tai_of_report)
    : config_(config), tai_of_report_(std::move(tai_of_report)) {}

void PulseLabeler::reset() {
  aligned_ = false;
  reacquire_ = false;
  pending_.clear();
  reports_.clear();
  released_.clear();
  last_labelled_.reset();
  released_any_ = false;
  disagree_since_mono_.reset();
}

void PulseLabeler::set_aligned(bool aligned) {
  aligned_ = aligned;
  last_labelled_.reset();
  released_any_ = false;
  disagree_since_mono_.reset();
  reacquire_ = false;
}

void PulseLabeler::on_step(std::int64_t delta_ns) {
  // The PHC moved, monotonic time did not: shift everything measured in PHC time.
  for (auto& d : delay_window_) d -= delta_ns;
  for (auto& p : recent_phc_) p += delta_ns;
  if (last_event_phc_) *last_event_phc_ += delta_ns;
  if (last_rising_phc_) *last_rising_phc_ += delta_ns;
  pending_.clear();  // labelled in the old PHC time; at most one edge is lost
}

std::optional<std::int64_t> PulseLabeler::edge_mono(std::int64_t phc_ns) const {
  if (delay_window_.empty()) return std::nullopt;
  return phc_ns + *std::min_element(delay_window_.begin(), delay_window_.end());
}

std::optional<std::int64_t> PulseLabeler::likely_edge_mono(std::int64_t phc_ns) const {
  if (delay_window_.empty()) return std::nullopt;
  auto [lo, hi] = std::minmax_element(delay_window_.begin(), delay_window_.end());
  // The smallest of n delays is still above zero: for delays uniform in [0, D] on average by
  // D/(n+1). D is taken as the range of the delays seen (an underestimate for small n, so the
  // correction errs on the small side). CM4 polls at 4 Hz: D = 250 ms; an i226: ~2 ms.
  const auto n = static_cast<std::int64_t>(delay_window_.size());
  return phc_ns + *lo - (*hi - *lo) / (n + 1);
}

bool PulseLabeler::tod_names(const TimeReport& tr, std::int64_t edge_mono_ns) const {
  std::int64_t after = tr.arrival_mono_ns - edge_mono_ns;
  return after >= ns_of(config_.guard_s) &&
         after <= ns_of(config_.nominal_period_s - config_.guard_s);
}

// Aligned, a report that names exactly the PHC's label of a pending pulse, arriving from a
// little before to 1.5 s after its (estimated) edge, confirms it: no timing guard is needed to
// agree, only to disagree. (Early on, edge times are estimated late by up to the EXTTS delay.)
bool PulseLabeler::confirms(const TimeReport& tr, const Pending& p) const {
  if (!aligned_) return false;
  auto tai = tai_of_report_(tr);
  if (!tai || *tai != phc_label(p.phc_ns)) return false;
  std::int64_t after = tr.arrival_mono_ns - p.edge_mono_ns;
  return after >= -ns_of(0.3 * config_.nominal_period_s) &&
         after <= ns_of(1.5 * config_.nominal_period_s);
}

std::int64_t PulseLabeler::phc_label(std::int64_t phc_ns) {
  return (phc_ns >= 0 ? phc_ns + kNsPerS / 2 : phc_ns - kNsPerS / 2) / kNsPerS;
}

void PulseLabeler::attach(Pending& p, const TimeReport& tr) {
  auto tai = tai_of_report_(tr);
  if (!tai) return;  // the report cannot name a TAI second (leap): no evidence either way
  if (p.tod_tai_s && *p.tod_tai_s != *tai) p.conflict = true;
  p.tod_tai_s = *tai;
}

std::vector<LabeledPulse> PulseLabeler::on_extts(const ExttsEvent& ev) {
  // Stale: the driver repeats the last capture (carrier loss), or an old one comes back.
  bool dup = std::find(recent_phc_.begin(), recent_phc_.end(), ev.phc_ns) != recent_phc_.end();
  if (dup || (last_event_phc_ && ev.phc_ns <= *last_event_phc_)) {
    ++counters_.stale;
    return release_due(ev.arrival_mono_ns);
  }
  recent_phc_.push_back(ev.phc_ns);
  if (recent_phc_.size() > kRecentPhc) recent_phc_.pop_front();
  delay_window_.push_back(ev.arrival_mono_ns - ev.phc_ns);
  if (delay_window_.size() > config_.mapping_window) delay_window_.pop_front();

  std::optional<std::int64_t> prev = last_event_phc_;
  last_event_phc_ = ev.phc_ns;
  if (config_.both_edges) {
    // Rising → falling is pulse_width_s; anything else ends on a rising edge. The very first
    // event cannot be classified: drop it.
    if (!prev) {
      ++counters_.falling;
      return release_due(ev.arrival_mono_ns);
    }
    std::int64_t gap = ev.phc_ns - *prev;
    std::int64_t width = ns_of(config_.pulse_width_s);
    std::int64_t tol = std::min(width, ns_of(config_.nominal_period_s) - width) / 2;
    if (std::llabs(gap - width) < tol) {
      ++counters_.falling;
      return release_due(ev.arrival_mono_ns);
    }
  }
  ++counters_.edges;
  if (last_rising_phc_) {
    double periods = static_cast<double>(ev.phc_ns - *last_rising_phc_) /
                     (config_.nominal_period_s * 1e9);
    auto missing = std::llround(periods) - 1;
    if (missing > 0) counters_.lost += static_cast<std::uint64_t>(missing);
  }
  last_rising_phc_ = ev.phc_ns;

  Pending p{ev.phc_ns, *edge_mono(ev.phc_ns), *likely_edge_mono(ev.phc_ns), std::nullopt, false};
  for (const auto& tr : reports_) {
    if (tod_names(tr, p.edge_mono_ns) || confirms(tr, p)) attach(p, tr);
  }
  pending_.push_back(p);
  return release_due(ev.arrival_mono_ns);
}

std::vector<LabeledPulse> PulseLabeler::on_time_report(const TimeReport& tr) {
  for (auto& p : pending_) {
    if (tod_names(tr, p.edge_mono_ns) || confirms(tr, p)) attach(p, tr);
  }
  // Aligned pulses are released before their report comes: check them after the fact. A
  // disagreement makes the labeller suspicious: the following pulses wait for their reports.
  for (auto it = released_.begin(); it != released_.end();) {
    auto tai = tai_of_report_(tr);
    std::int64_t after = tr.arrival_mono_ns - it->edge_mono_ns;
    bool names_it = tai && *tai == it->tai_s && after >= -ns_of(0.3 * config_.nominal_period_s) &&
                    after <= ns_of(1.5 * config_.nominal_period_s);
    if (names_it) {
      disagree_since_mono_.reset();
      it = released_.erase(it);
    } else if (tai && tod_names(tr, it->edge_mono_ns)) {
      ++counters_.disagreed_after_use;
      if (!disagree_since_mono_) disagree_since_mono_ = tr.arrival_mono_ns;
      it = released_.erase(it);
    } else {
      ++it;
    }
  }
  reports_.push_back(tr);
  // A report can only name an edge less than one period before it.
  while (!reports_.empty() &&
         reports_.front().arrival_mono_ns < tr.arrival_mono_ns - ns_of(2 * config_.nominal_period_s)) {
    reports_.pop_front();
  }
  return release_due(tr.arrival_mono_ns);
}

std::vector<LabeledPulse> PulseLabeler::on_tick(std::int64_t mono_ns) { return release_due(mono_ns); }

void PulseLabeler::release_unaligned(const Pending& p, std::vector<LabeledPulse>& out) {
  if (p.conflict || !p.tod_tai_s) {
    p.conflict ? ++counters_.conflicting : ++counters_.unlabelled;
    return;
  }
  Candidate c{p.phc_ns, p.edge_mono_ns, p.likely_ns, *p.tod_tai_s};
  if (last_labelled_) {
    const Candidate& l = *last_labelled_;
    std::int64_t off_now = c.phc_ns - c.tai_s * kNsPerS;
    std::int64_t off_prev = l.phc_ns - l.tai_s * kNsPerS;
    std::int64_t tol = kConsistencyNs + std::llabs(c.phc_ns - l.phc_ns) / 1000;
    bool consistent = c.tai_s > l.tai_s && std::llabs(off_now - off_prev) <= tol;
    if (consistent) {
      if (!released_any_) out.push_back({l.phc_ns, l.edge_mono_ns, l.likely_ns, l.tai_s, true});
      out.push_back({c.phc_ns, c.edge_mono_ns, c.likely_ns, c.tai_s, true});
      released_any_ = true;
    } else {
      ++counters_.inconsistent;
      released_any_ = false;  // start a new pair from this one
    }
  }
  last_labelled_ = c;
}

std::vector<LabeledPulse> PulseLabeler::release_due(std::int64_t now_mono_ns) {
  std::vector<LabeledPulse> out;
  const std::int64_t window_end = ns_of(config_.nominal_period_s - config_.guard_s);
  while (!pending_.empty()) {
    Pending& p = pending_.front();
    bool window_closed = now_mono_ns >= p.edge_mono_ns + window_end;
    if (!aligned_) {
      if (!window_closed && (!p.tod_tai_s || p.conflict)) break;  // wait for (more) reports
      release_unaligned(p, out);
      pending_.pop_front();
      continue;
    }
    // Aligned: the PHC names the second; a report must agree.
    std::int64_t tai = phc_label(p.phc_ns);
    std::int64_t frac = p.phc_ns - tai * kNsPerS;
    if (std::llabs(frac) > kNsPerS / 10) {  // PHC not within 100 ms of a second: cannot say
      ++counters_.unlabelled;
      pending_.pop_front();
      continue;
    }
    if (p.conflict || (p.tod_tai_s && *p.tod_tai_s != tai)) {
      ++counters_.disagreements;
      if (!disagree_since_mono_) disagree_since_mono_ = now_mono_ns;
      if (now_mono_ns - *disagree_since_mono_ >= ns_of(config_.relabel_after_s)) reacquire_ = true;
      pending_.pop_front();
      continue;
    }
    // Normally the PHC label is used at once (the servo wants the pulse early); after a
    // disagreement, each pulse waits for its report until its window closes.
    const bool suspicious = disagree_since_mono_.has_value();
    if (!p.tod_tai_s && !window_closed && suspicious) break;
    if (p.tod_tai_s) disagree_since_mono_.reset();
    out.push_back({p.phc_ns, p.edge_mono_ns, p.likely_ns, tai, p.tod_tai_s.has_value()});
    if (!p.tod_tai_s) {
      released_.push_back({p.edge_mono_ns, tai});
      if (released_.size() > 3) released_.pop_front();
    }
    pending_.pop_front();
  }
  return out;
}

}  // namespace nanotime::discipline
