#pragma once
// IEEE 1588 clock quality figures from what the engine knows.

#include <cstdint>

namespace nanotime::discipline {

// clockAccuracy enumeration (IEEE 1588-2008 Table 6): the smallest class whose limit covers the
// bound: 0x20 25 ns, 0x21 100 ns, 0x22 250 ns, 0x23 1 µs, 0x24 2.5 µs … 0x31 > 10 s;
// 0xFE unknown (bound not finite).
std::uint8_t clock_accuracy_for_bound(double bound_ns);
// The upper limit (ns) of an accuracy class (infinity for 0x31 and 0xFE).
double accuracy_limit_ns(std::uint8_t accuracy);

// offsetScaledLogVariance (IEEE 1588-2008 7.6.3.3/7.6.3.5): log2 of the PTP variance in s²,
// times 2^8, plus 0x8000, clamped to 0 … 0xFFFF (0xFFFF also for "unknown").
std::uint16_t scaled_log_variance(double variance_s2);

}  // namespace nanotime::discipline
