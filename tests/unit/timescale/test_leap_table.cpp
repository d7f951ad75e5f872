// leap-seconds.list parsing and TAI − UTC lookups, with hand-computed dates.
#include <catch2/catch.hpp>

#include "timescale/leap_table.hpp"

using nanotime::timescale::kNtpToPosix_s;
using nanotime::timescale::LeapParseError;
using nanotime::timescale::LeapTable;

namespace {
// An excerpt in the real file's format (tabs, comments, #$ update, #@ expiry, #h hash).
const char* kExcerpt =
    "#\tATOMIC TIME\n"
    "#$\t 3960835200\n"
    "#@\t3991593600\n"
    "#\n"
    "2272060800\t10\t# 1 Jan 1972\n"
    "3644697600\t36\t# 1 Jul 2015\n"
    "3692217600\t37\t# 1 Jan 2017\n"
    "#h\t49db2447 571e5e1b 2f002a53 9c8da8e4 39b8e49e\n";

// 2017-01-01T00:00:00Z in POSIX seconds: 17167 days after 1970-01-01.
constexpr std::int64_t k2017 = 17167LL * 86400;  // 1483228800
}  // namespace

TEST_CASE("leap-seconds.list entries and expiry are parsed", "[unit][timescale]") {
  LeapTable t = LeapTable::parse(kExcerpt);
  REQUIRE(t.entries().size() == 3);
  CHECK(t.entries()[0].posix_s == 63072000);  // 1972-01-01 = 730 days
  CHECK(t.entries()[0].tai_utc_s == 10);
  CHECK(t.entries()[2].posix_s == k2017);
  CHECK(3692217600 - kNtpToPosix_s == k2017);
  // 3991593600 NTP = 1782604800 POSIX = 2026-06-28 (20632 days).
  REQUIRE(t.expiry_posix_s());
  CHECK(*t.expiry_posix_s() == 20632LL * 86400);
  CHECK_FALSE(t.expired(20632LL * 86400 - 1));
  CHECK(t.expired(20632LL * 86400));
}

TEST_CASE("TAI - UTC around the 2017 leap second", "[unit][timescale]") {
  LeapTable t = LeapTable::parse(kExcerpt);
  CHECK(t.tai_utc_at_utc(k2017 - 1) == 36);   // 2016-12-31T23:59:59
  CHECK(t.tai_utc_at_utc(k2017) == 37);       // 2017-01-01T00:00:00
  CHECK_FALSE(t.tai_utc_at_utc(0).has_value());  // before the table
  // In TAI: 23:59:59 is TAI k2017−1+36; the inserted 23:59:60 is TAI k2017+36 and already
  // counts with 37 (named 23:59:59 again, as the kernel does); 00:00:00 is TAI k2017+37.
  CHECK(t.tai_utc_at_tai(k2017 + 35) == 36);
  CHECK(t.tai_utc_at_tai(k2017 + 36) == 37);
  CHECK(t.tai_utc_at_tai(k2017 + 37) == 37);
  auto next = t.next_leap_after_utc(k2017 - 86400);
  REQUIRE(next);
  CHECK(next->boundary_posix_s == k2017);
  CHECK(next->before_s == 36);
  CHECK(next->after_s == 37);
  CHECK(next->insert());
  CHECK_FALSE(t.next_leap_after_utc(k2017).has_value());
}

TEST_CASE("a deleted leap second switches one TAI second earlier", "[unit][timescale]") {
  // Hypothetical negative leap at 2030-01-01 (21915 days): 23:59:59 does not exist.
  std::int64_t b = 21915LL * 86400;
  std::string text = "3692217600 37\n" + std::to_string(b + kNtpToPosix_s) + " 36\n";
  LeapTable t = LeapTable::parse(text);
  CHECK(t.tai_utc_at_tai(b - 2 + 37) == 37);   // 23:59:58
  CHECK(t.tai_utc_at_tai(b + 36) == 36);       // 00:00:00 follows directly
  CHECK_FALSE(t.next_leap_after_utc(b - 10)->insert());
}

TEST_CASE("malformed leap-seconds.list is rejected with the line", "[unit][timescale]") {
  try {
    (void)LeapTable::parse("3644697600 36\n3692217600 x37\n", "f.list");
    FAIL("no exception");
  } catch (const LeapParseError& e) {
    CHECK(e.line() == 2);
    CHECK(std::string(e.what()).find("f.list:2") != std::string::npos);
  }
  CHECK_THROWS_AS(LeapTable::parse("3692217600 37\n3644697600 36\n"), LeapParseError);
  CHECK_THROWS_AS(LeapTable::parse("# only comments\n"), LeapParseError);
  CHECK_THROWS_AS(LeapTable::parse("#@ soon\n3692217600 37\n"), LeapParseError);
}

TEST_CASE("load goes through the reader and parses the system file", "[unit][timescale]") {
  std::string asked;
  LeapTable t = LeapTable::load("/x/leap-seconds.list", [&](const std::string& p) {
    asked = p;
    return std::string(kExcerpt);
  });
  CHECK(asked == "/x/leap-seconds.list");
  CHECK(t.entries().size() == 3);
  CHECK_THROWS(LeapTable::load("/nonexistent/leap-seconds.list"));
}
