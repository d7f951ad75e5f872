#pragma once
// Unit constants that many files need, defined once: times are integer nanoseconds almost
// everywhere (CLOCK_* readings, PHC timestamps, EXTTS events), so a file that converts to or
// from seconds should not carry its own copy of 10^9.

#include <cstdint>

namespace nanotime::util {

inline constexpr std::int64_t kNsPerS = 1'000'000'000;
inline constexpr std::int64_t kNsPerMs = 1'000'000;
inline constexpr std::int64_t kNsPerUs = 1'000;
inline constexpr std::int64_t kMsPerS = 1'000;
inline constexpr std::int64_t kPsPerNs = 1'000;  // gpsd's qErr is in picoseconds
inline constexpr std::int64_t kSPerDay = 86'400;

// Seconds ↔ nanoseconds for durations held as double (rates, filters, reports).
inline constexpr double kSPerNs = 1e-9;

}  // namespace nanotime::util
