#include "discipline/leap_state.hpp"

#include <algorithm>
#include <cstdlib>

namespace nanotime::discipline {

namespace {
constexpr std::int64_t kDay = 86400;
std::int64_t day_end(std::int64_t utc_s) {
  std::int64_t day = utc_s >= 0 ? utc_s / kDay : (utc_s - kDay + 1) / kDay;
  return (day + 1) * kDay;
}
}  // namespace

LeapState::LeapState(int fallback_tai_utc_s, std::shared_ptr<const timescale::LeapTable> table)
    : base_(fallback_tai_utc_s), table_(std::move(table)) {}

void LeapState::on_report(const TimeReport& tr) {
  if (tr.tai_utc_s) {
    // After a leap the receiver's offset already includes it; before, it is the base.
    if (!leap_ || tr.utc_s < leap_->boundary_posix_s - 1) base_ = *tr.tai_utc_s;
    known_ = true;
    from_receiver_ = true;
  }
  if (tr.leap != LeapWarning::none) {
    std::int64_t boundary = day_end(tr.utc_s);
    int before = tr.tai_utc_s.value_or(tai_utc_at_utc(tr.utc_s));
    int after = tr.leap == LeapWarning::insert ? before + 1 : before - 1;
    if (!leap_ || leap_->boundary_posix_s != boundary) leap_ = timescale::Leap{boundary, before, after};
  }
  on_utc(tr.utc_s);
}

void LeapState::on_utc(std::int64_t utc_s) {
  if (leap_ && utc_s >= leap_->boundary_posix_s + kDay) {  // a day after: it is history
    base_ = leap_->after_s;
    leap_.reset();
  }
  if (!table_) return;
  if (!from_receiver_) {
    if (auto off = table_->tai_utc_at_utc(utc_s)) {
      if (!leap_) base_ = *off;
      known_ = true;
    }
  }
  if (!leap_) {
    auto next = table_->next_leap_after_utc(utc_s);
    if (next && next->boundary_posix_s - utc_s <= kDay) leap_ = next;
  }
}

int LeapState::tai_utc_at_tai(std::int64_t tai_s) const {
  if (!leap_) return base_;
  std::int64_t switch_tai = leap_->boundary_posix_s + std::min(leap_->before_s, leap_->after_s);
  return tai_s >= switch_tai ? leap_->after_s : leap_->before_s;
}

int LeapState::tai_utc_at_utc(std::int64_t utc_s) const {
  if (!leap_) return base_;
  // The inserted second is named boundary − 1 with the new offset; a deleted boundary − 1
  // does not exist.
  std::int64_t first_new = leap_->insert() ? leap_->boundary_posix_s : leap_->boundary_posix_s - 1;
  return utc_s >= first_new ? leap_->after_s : leap_->before_s;
}

LeapWarning LeapState::warning_at_utc(std::int64_t utc_s) const {
  if (!leap_) return LeapWarning::none;
  if (utc_s < leap_->boundary_posix_s - kDay || utc_s >= leap_->boundary_posix_s) {
    return LeapWarning::none;
  }
  return leap_->insert() ? LeapWarning::insert : LeapWarning::del;
}

std::optional<std::int64_t> LeapState::tai_of_report(const TimeReport& tr) const {
  if (tr.tai_utc_s) return tr.utc_s + *tr.tai_utc_s;
  if (leap_ && std::llabs(tr.utc_s - leap_->boundary_posix_s) <= 2) return std::nullopt;
  return tr.utc_s + tai_utc_at_utc(tr.utc_s);
}

}  // namespace nanotime::discipline
