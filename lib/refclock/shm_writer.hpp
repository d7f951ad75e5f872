#pragma once
// NTP shared-memory refclock writer (chrony 4.3 refclock_shm.c, gpsd ntpshm.h;
// docs/hardware-notes.md#ntp-shm).
//
// The segment is the classic `struct shmTime`, key 0x4e545030 + unit. chrony creates it with
// its `perm=` option (default 0600) if it does not exist; gpsd's convention is 0600 for units
// 0-1 and 0666 for 2 and up. The writer uses mode 1: the reader checks that `count` did not
// change while it copied the fields, and that it was even (no write in progress).

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>

#include "refclock/leap.hpp"

namespace nanotime::refclock {

// Same members, types and order as ntpd/chrony/gpsd's struct shmTime.
struct ShmTime {
  int mode;  // 1: the count protocol below
  volatile int count;
  time_t clockTimeStampSec;  // reference ("true") time
  int clockTimeStampUSec;
  time_t receiveTimeStampSec;  // system time at which the reference time was taken
  int receiveTimeStampUSec;
  int leap;       // 0 normal, 1 insert, 2 delete
  int precision;  // log2 seconds
  int nsamples;
  volatile int valid;
  unsigned clockTimeStampNSec;  // used by chrony only if NSec / 1000 == USec
  unsigned receiveTimeStampNSec;
  int dummy[8];
};

static_assert(sizeof(int) == 4, "shmTime assumes 32-bit int");
static_assert(offsetof(ShmTime, clockTimeStampSec) == 8);
static_assert(offsetof(ShmTime, clockTimeStampUSec) == 8 + sizeof(time_t));
static_assert(offsetof(ShmTime, receiveTimeStampSec) == (sizeof(time_t) == 8 ? 24 : 16));
static_assert(offsetof(ShmTime, receiveTimeStampUSec) == (sizeof(time_t) == 8 ? 32 : 20));
static_assert(offsetof(ShmTime, leap) == (sizeof(time_t) == 8 ? 36 : 24));
static_assert(offsetof(ShmTime, valid) == (sizeof(time_t) == 8 ? 48 : 36));
static_assert(offsetof(ShmTime, clockTimeStampNSec) == (sizeof(time_t) == 8 ? 52 : 40));
static_assert(offsetof(ShmTime, dummy) == (sizeof(time_t) == 8 ? 60 : 48));
static_assert(sizeof(time_t) != 8 || sizeof(ShmTime) == 96,
              "shmTime is 96 bytes with 64-bit time_t");
static_assert(sizeof(time_t) != 4 || sizeof(ShmTime) == 80,
              "shmTime is 80 bytes with 32-bit time_t");

inline constexpr key_t kShmKeyBase = 0x4e545030;  // "NTP0"
constexpr key_t shm_key_for_unit(int unit) { return kShmKeyBase + unit; }

// One sample: the reference time and the system time at which it was true.
struct ShmSample {
  std::int64_t reference_ns;  // true time (e.g. GNSS UTC), ns since the epoch
  std::int64_t system_ns;     // CLOCK_REALTIME at the same instant
  Leap leap = Leap::normal;
};

// The payload fields of a sample (everything but count/valid, which the protocol owns).
// Seconds are floor(ns / 1e9); USec == NSec / 1000 so chrony uses the nanoseconds.
struct ShmFields {
  time_t clock_sec;
  int clock_usec;
  unsigned clock_nsec;
  time_t receive_sec;
  int receive_usec;
  unsigned receive_nsec;
  int leap;
  int precision;
};
ShmFields make_shm_fields(const ShmSample& sample, int precision);

// The mode-1 write protocol, generic over a "view" of the segment so a unit test can record the
// order of operations (the order is the whole point: a reader must never accept a half-written
// sample). View needs: set_valid(int), increment_count(), barrier(), store(const ShmFields&).
template <typename View>
void write_mode1(View& view, const ShmFields& fields) {
  view.set_valid(0);
  view.increment_count();  // odd: write in progress
  view.barrier();
  view.store(fields);
  view.barrier();
  view.increment_count();  // even again: consistent
  view.set_valid(1);
}

// The real view: a (shared) ShmTime.
class ShmTimeView {
 public:
  explicit ShmTimeView(ShmTime* seg) : seg_(seg) {}
  void set_valid(int v) { seg_->valid = v; }
  void increment_count() { seg_->count = seg_->count + 1; }
  void barrier() { std::atomic_thread_fence(std::memory_order_seq_cst); }
  void store(const ShmFields& f);

 private:
  ShmTime* seg_;
};

// RAII System V shared memory segment holding one ShmTime.
class ShmSegment {
 public:
  // Attach to `key`, creating it with `perm` (e.g. 0600, 0666) if it does not exist. An existing
  // segment must have exactly sizeof(ShmTime) bytes and mode `perm`, else std::runtime_error
  // with a message saying what differs (a mismatch means chrony or gpsd disagree with us).
  // key == IPC_PRIVATE creates a private segment (tests).
  ShmSegment(key_t key, int perm);
  ~ShmSegment();
  ShmSegment(const ShmSegment&) = delete;
  ShmSegment& operator=(const ShmSegment&) = delete;
  ShmSegment(ShmSegment&& o) noexcept;
  ShmSegment& operator=(ShmSegment&&) = delete;

  ShmTime* get() const { return seg_; }
  int id() const { return id_; }
  key_t key() const { return key_; }
  bool created() const { return created_; }  // true if this object created the segment
  // Mark the segment for removal (it goes when the last process detaches).
  void remove();

 private:
  key_t key_;
  int id_ = -1;
  ShmTime* seg_ = nullptr;
  bool created_ = false;
};

class ShmWriter {
 public:
  // precision: log2 of the sample's precision in seconds (-20 ≈ 1 µs).
  explicit ShmWriter(ShmSegment segment, int precision = -20);
  // Unit N of the NTP SHM refclock (key 0x4e545030 + N).
  ShmWriter(int unit, int perm, int precision = -20);

  void write(const ShmSample& sample);
  std::uint64_t written() const { return written_; }
  const ShmSegment& segment() const { return segment_; }

 private:
  ShmSegment segment_;
  int precision_;
  std::uint64_t written_ = 0;
};

}  // namespace nanotime::refclock
