#pragma once
// Pure helpers that turn requests into the kernel's structures and back
// (docs/hardware-notes.md#ptp-uapi).
// Kept apart from the Linux class so that the unit tests can check every field by hand.

#include <linux/ptp_clock.h>
#include <sys/timex.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "phc/ptp_clock.hpp"

namespace nanotime::phc {

// clock_adjtime(ADJ_FREQUENCY): timex.freq is in ppm with a 16-bit fraction, so
// freq = ppb × 65.536. Only ADJ_FREQUENCY is set: the PHC layer acts on one mode per call.
struct timex timex_for_frequency(double freq_ppb);

// clock_adjtime(ADJ_SETOFFSET | ADJ_NANO): time.tv_sec = floor(delta / 1e9),
// time.tv_usec = the nanoseconds, always 0 ≤ ns < 1e9 (so −1 ns is {−1 s, 999 999 999 ns}).
struct timex timex_for_step(std::int64_t delta_ns);

// The value a clamp of `requested` to ±min(limit, max_adj) gives.
double clamp_frequency_ppb(double requested_ppb, double limit_ppb, int max_adj_ppb);

std::int64_t to_ns(const struct ptp_clock_time& t);

// PTP_SYS_OFFSET_EXTENDED: every (before, phc, after) triple, in order, backwards ones included
// (the selector counts and skips them). nullopt when n_samples is 0 or > 25.
std::optional<std::vector<PhcRead>> extended_reads(const struct ptp_sys_offset_extended& r);
// PTP_SYS_OFFSET (interleaved sys, phc, sys, ..., sys): the triples around each PHC value.
std::optional<std::vector<PhcRead>> basic_reads(const struct ptp_sys_offset& r);
// PTP_SYS_OFFSET_PRECISE: one exact read, before == after.
PhcRead precise_read(const struct ptp_sys_offset_precise& r);

// The bytes returned by read() on a PHC: whole struct ptp_extts_event records.
// A trailing partial record (never produced by the kernel) is ignored.
std::vector<ExttsRecord> parse_extts_events(std::span<const std::byte> bytes);

}  // namespace nanotime::phc
