#include "discipline/edge_corrections.hpp"
#include "util/units.hpp"

#include <cstdlib>
#include <numeric>

namespace nanotime::discipline {

namespace {
using util::kNsPerS;
constexpr std::size_t kQerrsKept = 8;
constexpr int kGcdTimestamps = 32;
}  // namespace

void EdgeCorrections::on_pulse_report(const PulseReport& report) {
  if (!report.qerr_ns) return;
  qerrs_.push_back(report);
  while (qerrs_.size() > kQerrsKept) qerrs_.pop_front();
}

void EdgeCorrections::on_timestamp(std::int64_t phc_ns) {
  if (tick_known_) return;
  gcd_acc_ = std::gcd(gcd_acc_, phc_ns < 0 ? -phc_ns : phc_ns);
  if (++gcd_count_ >= kGcdTimestamps) {
    granularity_ns_ = gcd_acc_ >= 1 && gcd_acc_ <= 1000 ? gcd_acc_ : 1;
    gcd_acc_ = 0;
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
