// NTP SHM writer: layout, field values, the mode-1 protocol order, segment checks.
#include <sys/ipc.h>
#include <sys/shm.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <string>
#include <vector>

#include "refclock/shm_writer.hpp"

using namespace nanotime::refclock;

TEST_CASE("shmTime has the NTP/chrony/gpsd size and offsets for this ABI") {
  CHECK(offsetof(ShmTime, mode) == 0);
  CHECK(offsetof(ShmTime, count) == 4);
  CHECK(offsetof(ShmTime, clockTimeStampSec) == 8);
  if (sizeof(time_t) == 8) {
    CHECK(sizeof(ShmTime) == 96);
    CHECK(offsetof(ShmTime, clockTimeStampUSec) == 16);
    CHECK(offsetof(ShmTime, receiveTimeStampSec) == 24);
    CHECK(offsetof(ShmTime, receiveTimeStampUSec) == 32);
    CHECK(offsetof(ShmTime, leap) == 36);
    CHECK(offsetof(ShmTime, precision) == 40);
    CHECK(offsetof(ShmTime, nsamples) == 44);
    CHECK(offsetof(ShmTime, valid) == 48);
    CHECK(offsetof(ShmTime, clockTimeStampNSec) == 52);
    CHECK(offsetof(ShmTime, receiveTimeStampNSec) == 56);
    CHECK(offsetof(ShmTime, dummy) == 60);
  } else {
    REQUIRE(sizeof(time_t) == 4);
    CHECK(sizeof(ShmTime) == 80);
    CHECK(offsetof(ShmTime, clockTimeStampUSec) == 12);
    CHECK(offsetof(ShmTime, receiveTimeStampSec) == 16);
    CHECK(offsetof(ShmTime, valid) == 36);
    CHECK(offsetof(ShmTime, clockTimeStampNSec) == 40);
    CHECK(offsetof(ShmTime, dummy) == 48);
  }
  CHECK(shm_key_for_unit(0) == 0x4e545030);
  CHECK(shm_key_for_unit(2) == 0x4e545032);
}

TEST_CASE(
    "fields: reference time in clockTimeStamp, system time in receiveTimeStamp, NSec/1000 == "
    "USec") {
  // true = 1700000000.000049999 (system - 50 us... i.e. true - system = -50 us + 0 ns)
  const ShmFields f =
      make_shm_fields({1'700'000'000'000'049'999, 1'700'000'000'000'099'999, Leap::del}, -20);
  CHECK(f.clock_sec == 1'700'000'000);
  CHECK(f.clock_usec == 49);
  CHECK(f.clock_nsec == 49'999u);
  CHECK(f.receive_sec == 1'700'000'000);
  CHECK(f.receive_usec == 99);
  CHECK(f.receive_nsec == 99'999u);
  CHECK(f.clock_nsec / 1000 == static_cast<unsigned>(f.clock_usec));
  CHECK(f.receive_nsec / 1000 == static_cast<unsigned>(f.receive_usec));
  CHECK(f.leap == 2);
  CHECK(f.precision == -20);

  // Across a second boundary and before the epoch: floor, never a negative USec.
  const ShmFields g = make_shm_fields({-1, 999'999'999, Leap::normal}, -10);
  CHECK(g.clock_sec == -1);
  CHECK(g.clock_usec == 999'999);
  CHECK(g.clock_nsec == 999'999'999u);
  CHECK(g.receive_sec == 0);
  CHECK(g.receive_nsec == 999'999'999u);
}

namespace {
// Records the protocol's operations and the segment state the fields were written in.
struct RecordingView {
  int count = 6;  // a previous writer left it even
  int valid = 1;
  std::vector<std::string> ops;
  int count_while_storing = -1;
  int valid_while_storing = -1;
  void set_valid(int v) {
    valid = v;
    ops.push_back("valid=" + std::to_string(v));
  }
  void increment_count() {
    ++count;
    ops.push_back(count % 2 ? "count odd" : "count even");
  }
  void barrier() { ops.emplace_back("barrier"); }
  void store(const ShmFields&) {
    count_while_storing = count;
    valid_while_storing = valid;
    ops.emplace_back("fields");
  }
};
}  // namespace

TEST_CASE("mode 1 order: valid=0, count odd, barrier, fields, barrier, count even, valid=1") {
  RecordingView v;
  write_mode1(v, ShmFields{});
  const std::vector<std::string> expected{"valid=0", "count odd",  "barrier", "fields",
                                          "barrier", "count even", "valid=1"};
  CHECK(v.ops == expected);
  CHECK(v.count_while_storing % 2 == 1);  // a reader sees an odd count while fields change
  CHECK(v.valid_while_storing == 0);
  CHECK(v.count == 8);
  CHECK(v.valid == 1);
}

TEST_CASE("ShmWriter writes a consistent sample into a real segment") {
  ShmSegment seg(IPC_PRIVATE, 0600);
  seg.remove();  // goes away when detached, even if the test fails
  ShmTime* t = seg.get();
  REQUIRE(t != nullptr);
  CHECK(seg.created());
  ShmWriter w(std::move(seg), -21);
  // true - system = -50 us
  w.write({1'800'000'000'250'000'123, 1'800'000'000'250'050'123, Leap::insert});
  CHECK(t->mode == 1);
  CHECK(t->count == 2);
  CHECK(t->valid == 1);
  CHECK(t->clockTimeStampSec == 1'800'000'000);
  CHECK(t->clockTimeStampUSec == 250'000);
  CHECK(t->clockTimeStampNSec == 250'000'123u);
  CHECK(t->receiveTimeStampSec == 1'800'000'000);
  CHECK(t->receiveTimeStampUSec == 250'050);
  CHECK(t->receiveTimeStampNSec == 250'050'123u);
  CHECK(t->clockTimeStampNSec / 1000 == static_cast<unsigned>(t->clockTimeStampUSec));
  CHECK(t->leap == 1);
  CHECK(t->precision == -21);
  t->valid = 0;  // as chrony does after reading
  w.write({1'800'000'001'000'000'000, 1'800'000'001'000'050'000, Leap::normal});
  CHECK(t->count == 4);
  CHECK(t->valid == 1);
  CHECK(w.written() == 2);
}

TEST_CASE("a segment with another size or mode is refused with a clear message") {
  const key_t key = 0x4e545030 + 0x7e57;  // not an NTP unit anyone uses
  const int stale = ::shmget(key, 1, 0);
  if (stale >= 0) ::shmctl(stale, IPC_RMID, nullptr);

  SECTION("size") {
    const int id = ::shmget(key, 40, IPC_CREAT | IPC_EXCL | 0600);  // a wrong-ABI shmTime
    REQUIRE(id >= 0);
    CHECK_THROWS_WITH(ShmSegment(key, 0600), Catch::Contains("size") || Catch::Contains("bytes"));
    ::shmctl(id, IPC_RMID, nullptr);
  }
  SECTION("larger size (shmget itself succeeds)") {
    const int id = ::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
    REQUIRE(id >= 0);
    CHECK_THROWS_WITH(ShmSegment(key, 0600), Catch::Contains("has 4096 bytes"));
    ::shmctl(id, IPC_RMID, nullptr);
  }
  SECTION("mode") {
    const int id = ::shmget(key, sizeof(ShmTime), IPC_CREAT | IPC_EXCL | 0600);
    REQUIRE(id >= 0);
    CHECK_THROWS_WITH(ShmSegment(key, 0666), Catch::Contains("mode 0600, expected 0666"));
    ::shmctl(id, IPC_RMID, nullptr);
  }
  SECTION("matching segment: attached, not created") {
    const int id = ::shmget(key, sizeof(ShmTime), IPC_CREAT | IPC_EXCL | 0666);
    REQUIRE(id >= 0);
    ShmSegment seg(key, 0666);
    CHECK_FALSE(seg.created());
    CHECK(seg.id() == id);
    ::shmctl(id, IPC_RMID, nullptr);
  }
  SECTION("absent: created with the requested mode") {
    ShmSegment seg(key, 0644);
    CHECK(seg.created());
    shmid_ds ds{};
    REQUIRE(::shmctl(seg.id(), IPC_STAT, &ds) == 0);
    CHECK((ds.shm_perm.mode & 0777) == 0644);
    CHECK(ds.shm_segsz == sizeof(ShmTime));
    seg.remove();
  }
}
