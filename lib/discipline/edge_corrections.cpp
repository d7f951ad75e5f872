#include "discipline/edge_corrections.hpp"
#include "util/units.hpp"

#include <cstdlib>
#include <numeric>

namespace nanotime::discipline {

namespace {
using util::kNsPerS;
constexpr std::size_t kQerrsKept = 8;
constexpr int kGcdTimestamps = 32;
constexpr std::uint64_t kMaxTickNs = 1000;
}  // namespace

void TickGcd::add(std::int64_t timestamp_ns) {
  const auto u = static_cast<std::uint64_t>(timestamp_ns);
  gcd_ = std::gcd(gcd_, timestamp_ns < 0 ? 0 - u : u);
}

std::int64_t TickGcd::tick_ns() const {
  return gcd_ >= 1 && gcd_ <= kMaxTickNs ? static_cast<std::int64_t>(gcd_) : 1;
}

void EdgeCorrections::on_pulse_report(const PulseReport& report) {
  if (!report.qerr_ns) return;
  qerrs_.push_back(report);
  while (qerrs_.size() > kQerrsKept) qerrs_.pop_front();
}

void EdgeCorrections::on_timestamp(std::int64_t phc_ns) {
  if (tick_known_) return;
  gcd_.add(phc_ns);
  if (++gcd_count_ >= kGcdTimestamps) {
    granularity_ns_ = gcd_.tick_ns();
    gcd_ = TickGcd{};
    gcd_count_ = 0;
  }
}

double EdgeCorrections::correction_ns(std::int64_t utc_s, std::int64_t edge_mono_ns,
                                      double cable_delay_ns) const {
  return -qerr_for(utc_s, edge_mono_ns).value_or(0.0) - cable_delay_ns +
         0.5 * static_cast<double>(granularity_ns_);
}

std::optional<double> EdgeCorrections::qerr_for(std::int64_t utc_s,
                                                std::int64_t edge_mono_ns) const {
  for (auto it = qerrs_.rbegin(); it != qerrs_.rend(); ++it) {
    if (it->utc_s == utc_s && std::llabs(it->edge_mono_ns - edge_mono_ns) < kNsPerS / 2) {
      return it->qerr_ns;
    }
  }
  return std::nullopt;
}

}  // namespace nanotime::discipline
