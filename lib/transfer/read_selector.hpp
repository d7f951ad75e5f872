#pragma once
// Which PHC read of a request to use, and when to use none.
//
// A request (one PTP_SYS_OFFSET_EXTENDED ioctl) returns a few reads. Every read costs a window in
// which the CM4 PHY cannot capture an EXTTS edge, so the budget is small (kReadsPerRequest in the
// conductor) and fixed. Of those reads the narrowest bracket is kept: a wide one was delayed by an
// interrupt or bus contention, and a delay inside the bracket moves the latch away from where the
// driver model puts it. When even the narrowest is clearly wider than this box's usual width (a
// "slow read"), the request is rejected: the sample it would give is still inside its bound, but
// the estimate is off by up to the delay, and the next pulse brings a better one.
//
// The usual width is learnt: the median of the last kHistory accepted widths. Until kWarmup widths
// are known every request is accepted (the bound covers a slow read anyway). kRelearnAfter slow
// requests in a row mean the box changed (another kernel, another bus clock), not bad luck: the
// history is dropped and learnt again, so a permanent change never stops the samples.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "transfer/bracket.hpp"

namespace nanotime::transfer {

struct ReadSelectorConfig {
  // A read is slow when its width exceeds the usual width by more than both of these.
  double slow_margin_ns = 1000;
  double slow_margin_fraction = 0.05;
};

struct ReadSelectorCounters {
  std::uint64_t requests = 0;
  std::uint64_t reads = 0;
  std::uint64_t invalid_reads = 0;     // after < before: the system clock was stepped meanwhile
  std::uint64_t slow_rejected = 0;     // requests whose narrowest read was still slow
  std::uint64_t relearned = 0;         // times the usual width was learnt again
};

class ReadSelector {
 public:
  static constexpr std::size_t kHistory = 64;
  static constexpr std::size_t kWarmup = 8;
  static constexpr std::size_t kRelearnAfter = 16;

  explicit ReadSelector(ReadSelectorConfig config = {}) : config_(config) {}

  // The narrowest valid read of `reads`, or nullopt when there is none or it is slow.
  std::optional<Bracket> select(std::span<const Bracket> reads);

  // The usual width (median of recent accepted widths), once kWarmup are known.
  std::optional<double> usual_width_ns() const;
  // Widths above this are slow (nullopt during warm-up).
  std::optional<double> slow_threshold_ns() const;
  const ReadSelectorCounters& counters() const { return counters_; }

 private:
  void remember(std::int64_t width_ns);

  ReadSelectorConfig config_;
  std::deque<std::int64_t> widths_;   // accepted widths, oldest first
  std::vector<std::int64_t> sorted_;  // the same, sorted
  std::size_t slow_in_a_row_ = 0;
  ReadSelectorCounters counters_;
};

}  // namespace nanotime::transfer
