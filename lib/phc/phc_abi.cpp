#include "phc/phc_abi.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "util/units.hpp"

namespace nanotime::phc {

std::string_view method_name(OffsetMethod m) {
  switch (m) {
    case OffsetMethod::precise: return "precise";
    case OffsetMethod::extended: return "extended";
    case OffsetMethod::basic: return "basic";
  }
  return "?";
}

struct timex timex_for_frequency(double freq_ppb) {
  struct timex tx {};
  tx.modes = ADJ_FREQUENCY;
  tx.freq = static_cast<decltype(tx.freq)>(std::llround(freq_ppb * 65.536));
  return tx;
}

struct timex timex_for_step(std::int64_t delta_ns) {
  using util::kNsPerS;
  std::int64_t sec = delta_ns / kNsPerS;
  std::int64_t nsec = delta_ns % kNsPerS;
  if (nsec < 0) {  // C++ division truncates toward zero: borrow one second
    nsec += kNsPerS;
    sec -= 1;
  }
  struct timex tx {};
  tx.modes = ADJ_SETOFFSET | ADJ_NANO;
  tx.time.tv_sec = static_cast<decltype(tx.time.tv_sec)>(sec);
  tx.time.tv_usec = static_cast<decltype(tx.time.tv_usec)>(nsec);  // ns, because of ADJ_NANO
  return tx;
}

double clamp_frequency_ppb(double requested_ppb, double limit_ppb, int max_adj_ppb) {
  double limit = std::fabs(limit_ppb);
  if (max_adj_ppb > 0) limit = std::min(limit, static_cast<double>(max_adj_ppb));
  if (std::isnan(requested_ppb)) return 0;
  return std::clamp(requested_ppb, -limit, limit);
}

std::int64_t to_ns(const struct ptp_clock_time& t) {
  return static_cast<std::int64_t>(t.sec) * util::kNsPerS + static_cast<std::int64_t>(t.nsec);
}

namespace {

PhcRead triple(const struct ptp_clock_time& before, const struct ptp_clock_time& phc,
               const struct ptp_clock_time& after) {
  return PhcRead{to_ns(before), to_ns(phc), to_ns(after)};
}

}  // namespace

std::optional<std::vector<PhcRead>> extended_reads(const struct ptp_sys_offset_extended& r) {
  if (r.n_samples == 0 || r.n_samples > PTP_MAX_SAMPLES) return std::nullopt;
  std::vector<PhcRead> out;
  out.reserve(r.n_samples);
  for (unsigned i = 0; i < r.n_samples; ++i) out.push_back(triple(r.ts[i][0], r.ts[i][1], r.ts[i][2]));
  return out;
}

std::optional<std::vector<PhcRead>> basic_reads(const struct ptp_sys_offset& r) {
  if (r.n_samples == 0 || r.n_samples > PTP_MAX_SAMPLES) return std::nullopt;
  std::vector<PhcRead> out;
  out.reserve(r.n_samples);
  for (unsigned i = 0; i < r.n_samples; ++i) {
    out.push_back(triple(r.ts[2 * i], r.ts[2 * i + 1], r.ts[2 * i + 2]));
  }
  return out;
}

PhcRead precise_read(const struct ptp_sys_offset_precise& r) {
  const std::int64_t system_ns = to_ns(r.sys_realtime);
  return PhcRead{system_ns, to_ns(r.device), system_ns};
}

std::vector<ExttsRecord> parse_extts_events(std::span<const std::byte> bytes) {
  std::vector<ExttsRecord> out;
  constexpr std::size_t kSize = sizeof(struct ptp_extts_event);
  for (std::size_t off = 0; off + kSize <= bytes.size(); off += kSize) {
    struct ptp_extts_event ev;
    std::memcpy(&ev, bytes.data() + off, kSize);
    out.push_back(ExttsRecord{ev.index, to_ns(ev.t)});
  }
  return out;
}

}  // namespace nanotime::phc
