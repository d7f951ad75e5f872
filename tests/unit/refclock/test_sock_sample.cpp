// The SOCK datagram layout and the microsecond split, with hand-computed values.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstring>

#include "refclock/sock_sample.hpp"

using namespace nanotime::refclock;

TEST_CASE("sock_sample has chrony's size and field offsets for this ABI") {
  if (sizeof(time_t) == 8) {
    CHECK(sizeof(SockSample) == 40);
    CHECK(offsetof(SockSample, tv) == 0);
    CHECK(offsetof(SockSample, offset) == 16);
    CHECK(offsetof(SockSample, pulse) == 24);
    CHECK(offsetof(SockSample, leap) == 28);
    CHECK(offsetof(SockSample, _pad) == 32);
    CHECK(offsetof(SockSample, magic) == 36);
  } else {
    REQUIRE(sizeof(time_t) == 4);
    CHECK(sizeof(SockSample) == 32);
    CHECK(offsetof(SockSample, offset) == 8);
    CHECK(offsetof(SockSample, pulse) == 16);
    CHECK(offsetof(SockSample, leap) == 20);
    CHECK(offsetof(SockSample, _pad) == 24);
    CHECK(offsetof(SockSample, magic) == 28);
  }
}

TEST_CASE("the magic is the bytes 'SOCK' as chrony reads them") {
  CHECK(kSockMagic == 0x534f434b);
  const SockSample s = make_sock_sample(0, 0.0, false, Leap::normal);
  CHECK(s.magic == 0x534f434b);
  CHECK(s._pad == 0);
}

TEST_CASE("system ns split into seconds, microseconds and the rest (floor, also below 0)") {
  const SplitTime a = split_system_ns(1'700'000'000'123'456'789);
  CHECK(a.sec == 1'700'000'000);
  CHECK(a.usec == 123'456);
  CHECK(a.sub_us_ns == 789);

  const SplitTime b = split_system_ns(-1);  // 1 ns before the epoch = -1 s + 999999 us + 999 ns
  CHECK(b.sec == -1);
  CHECK(b.usec == 999'999);
  CHECK(b.sub_us_ns == 999);

  const SplitTime c = split_system_ns(-1'000'000'000);  // exactly -1 s
  CHECK(c.sec == -1);
  CHECK(c.usec == 0);
  CHECK(c.sub_us_ns == 0);

  const SplitTime d = split_system_ns(-1'500'000'001);  // -1.500000001 s = -2 s + 0.499999999 s
  CHECK(d.sec == -2);
  CHECK(d.usec == 499'999);
  CHECK(d.sub_us_ns == 999);

  const SplitTime e = split_system_ns(41'999'999'999);  // just below a second boundary
  CHECK(e.sec == 41);
  CHECK(e.usec == 999'999);
  CHECK(e.sub_us_ns == 999);
}

TEST_CASE("full-time sample: tv truncated to the microsecond, offset (true - system) unchanged") {
  // System time 1700000000.123456789, true - system = +123456 ns.
  const SockSample s = make_sock_sample(1'700'000'000'123'456'789, 123'456.0, false, Leap::normal);
  CHECK(s.tv.tv_sec == 1'700'000'000);
  CHECK(s.tv.tv_usec == 123'456);
  CHECK(s.offset == Approx(123'456e-9).epsilon(1e-12));
  CHECK(s.pulse == 0);
  CHECK(s.leap == 0);
}

TEST_CASE("the offset does not depend on the nanoseconds dropped from tv") {
  // The same clock offset stated at S and at S + 999 ns: the clocks' offset is the same at both
  // instants, so the datagrams differ only in tv (if at all). A writer that moved the
  // remainder into the offset would claim a true time up to 999 ns later (a real bias: chrony
  // then reported the system clock ~0.5 us too slow).
  const SockSample a = make_sock_sample(1'700'000'000'000'000'000, -50'000.0, false, Leap::normal);
  const SockSample b = make_sock_sample(1'700'000'000'000'000'999, -50'000.0, false, Leap::normal);
  CHECK(a.tv.tv_usec == b.tv.tv_usec);
  CHECK(a.offset == b.offset);
  CHECK(a.offset == Approx(-50'000e-9).epsilon(1e-12));
}

TEST_CASE("pulse sample: pulse=1, offset is system - true, as given") {
  // Edge seen at system 1700000000.999876544 while true time is 1700000001.000000000:
  // system - true = -123456 ns.
  const SockSample s = make_sock_sample(1'700'000'000'999'876'544, -123'456.0, true, Leap::normal);
  CHECK(s.tv.tv_sec == 1'700'000'000);
  CHECK(s.tv.tv_usec == 999'876);
  CHECK(s.offset == Approx(-123'456e-9).epsilon(1e-12));
  CHECK(s.pulse == 1);
}

TEST_CASE("negative and near-boundary system times keep tv_usec in 0..999999") {
  // 300 ns before the epoch: floor to -1 s + 999999 us (= -1 us).
  const SockSample s = make_sock_sample(-300, 1000.0, false, Leap::insert);
  CHECK(s.tv.tv_sec == -1);
  CHECK(s.tv.tv_usec == 999'999);
  CHECK(s.offset == Approx(1000e-9).epsilon(1e-12));
  CHECK(s.leap == 1);
  const SockSample p = make_sock_sample(-1'000'000'001, -1000.0, true, Leap::del);
  CHECK(p.tv.tv_sec == -2);
  CHECK(p.tv.tv_usec == 999'999);
  CHECK(p.offset == Approx(-1000e-9).epsilon(1e-12));
  CHECK(p.leap == 2);
  const SockSample q =
      make_sock_sample(1'999'999'999, 0.0, false, Leap::normal);  // 1 ns before 2 s
  CHECK(q.tv.tv_sec == 1);
  CHECK(q.tv.tv_usec == 999'999);
}

TEST_CASE("leap values are the three chrony accepts") {
  CHECK(make_sock_sample(0, 0, false, Leap::normal).leap == 0);
  CHECK(make_sock_sample(0, 0, false, Leap::insert).leap == 1);
  CHECK(make_sock_sample(0, 0, false, Leap::del).leap == 2);
}
