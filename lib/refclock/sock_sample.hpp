#pragma once
// chrony's SOCK refclock datagram (chrony 4.3 refclock_sock.c), byte for byte
// (docs/hardware-notes.md#chrony-sock).
//
// chrony compares the datagram size with its own sizeof(struct sock_sample) and silently drops
// anything else, so the layout must be the one chronyd was built with on this platform:
// 40 bytes with a 64-bit time_t (amd64, arm64), 32 bytes with a 32-bit time_t (Debian 12 armhf).

#include <sys/time.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <ctime>

#include "refclock/leap.hpp"
#include "util/units.hpp"

// Debian 12's armhf chrony uses a 32-bit time_t. Building with _TIME_BITS=64 there would give
// a 40-byte datagram that chronyd drops without a word
// (docs/hardware-notes.md#chrony-sock).
#if defined(_TIME_BITS) && _TIME_BITS == 64 && (ULONG_MAX == 0xffffffffUL)
#error \
    "nanotime: do not build with _TIME_BITS=64 on a 32-bit platform: chrony 4.3 (Debian 12) uses a 32-bit time_t, and its SOCK refclock silently drops samples whose size differs from its own struct sock_sample"
#endif

namespace nanotime::refclock {

inline constexpr std::int32_t kSockMagic = 0x534f434b;  // "SOCK"

// Same members, types and order as chrony's struct sock_sample.
struct SockSample {
  struct timeval tv;  // system time of the measurement
  double offset;      // seconds; pulse=0: true − system; pulse=1: system − true (fraction used)
  int pulse;          // non-zero: a PPS edge; another source gives the seconds
  int leap;           // 0 normal, 1 insert, 2 delete (other values reject the sample)
  int _pad;           // ignored by chrony
  int magic;          // kSockMagic
};

static_assert(sizeof(int) == 4 && sizeof(double) == 8, "chrony's layout assumes 32-bit int");
static_assert(sizeof(time_t) == 8 || sizeof(time_t) == 4, "unexpected time_t");
static_assert(sizeof(struct timeval) == 2 * sizeof(time_t), "timeval is two time_t-sized words");
static_assert(offsetof(SockSample, offset) == sizeof(struct timeval));
static_assert(offsetof(SockSample, pulse) == sizeof(struct timeval) + 8);
static_assert(offsetof(SockSample, leap) == sizeof(struct timeval) + 12);
static_assert(offsetof(SockSample, _pad) == sizeof(struct timeval) + 16);
static_assert(offsetof(SockSample, magic) == sizeof(struct timeval) + 20);
static_assert(sizeof(time_t) != 8 || sizeof(SockSample) == 40,
              "chrony expects 40 bytes with 64-bit time_t");
static_assert(sizeof(time_t) != 4 || sizeof(SockSample) == 32,
              "chrony expects 32 bytes with 32-bit time_t");

// A time split the way a timeval (or shmTime) wants it: floor seconds, microseconds, and the
// nanoseconds below the microsecond (0..999).
struct SplitTime {
  std::int64_t sec;        // floor(ns / 1e9), also for times before 1970
  std::int64_t usec;       // 0..999999
  std::int64_t sub_us_ns;  // 0..999
};

constexpr SplitTime split_system_ns(std::int64_t ns) {
  std::int64_t sec = ns / util::kNsPerS;
  std::int64_t rem = ns % util::kNsPerS;
  if (rem < 0) {  // C++ division truncates toward zero: move negative times to floor
    rem += util::kNsPerS;
    sec -= 1;
  }
  return {sec, rem / util::kNsPerUs, rem % util::kNsPerUs};
}

// The datagram for a sample. offset_ns follows the SOCK convention for `pulse` (true − system
// for a full time, system − true for a pulse) and goes into the datagram UNCHANGED (as seconds).
//
// Why the nanoseconds below the microsecond are simply dropped from tv and NOT moved into the
// offset: a sample says "around system time tv, true − system = offset". The clock offset is
// (to 1e-11 s) the same at tv as at the exact system time, so truncating the time at which it
// is stated loses nothing. Adding the remainder to the offset would instead claim the true
// time at tv is r ns later than it is: a bias of 0..999 ns (measured with chronyd 4.3: mean
// +0.5 µs, spread 1 µs, with exact offsets chrony reproduces them to the nanosecond).
inline SockSample make_sock_sample(std::int64_t system_ns, double offset_ns, bool pulse,
                                   Leap leap) {
  const SplitTime t = split_system_ns(system_ns);
  SockSample s{};
  s.tv.tv_sec = static_cast<time_t>(t.sec);
  s.tv.tv_usec = static_cast<suseconds_t>(t.usec);
  s.offset = offset_ns * 1e-9;
  s.pulse = pulse ? 1 : 0;
  s.leap = static_cast<int>(leap);
  s._pad = 0;
  s.magic = kSockMagic;
  return s;
}

}  // namespace nanotime::refclock
