// The translator turns a libgps snapshot into typed events. Snapshots are filled by hand, and
// some through libgps's own JSON parser (gps_unpack) so the 3.22 layout is the real one.
#include <gps.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "gpsd/translator.hpp"
#include "log/log.hpp"

using namespace nanotime::gpsd;

namespace {

constexpr std::int64_t kS = 1'000'000'000;

struct Snapshot {
  std::unique_ptr<gps_data_t> d = std::make_unique<gps_data_t>();
  Snapshot() { std::memset(d.get(), 0, sizeof(gps_data_t)); }
};

timespec_t ts(std::int64_t sec, long nsec) {
  timespec_t t{};
  t.tv_sec = static_cast<time_t>(sec);
  t.tv_nsec = nsec;
  return t;
}

std::vector<Event> translate(const gps_data_t& d, Translator& tr) {
  std::vector<Event> out;
  tr.translate(d, out);
  return out;
}

// Counts warning lines while alive.
struct LogCapture {
  std::vector<std::string> lines;
  LogCapture() {
    nanotime::log::set_clock(nullptr);  // forgets earlier lines: rate limiting starts afresh
    nanotime::log::set_sink([this](nanotime::log::Level, std::string_view l) { lines.emplace_back(l); });
  }
  ~LogCapture() { nanotime::log::set_sink(nullptr); }
};

}  // namespace

TEST_CASE("TOFF in the libgps 3.22 layout (data in ->pps, TOFF_SET) gives a TimeReport", "[unit]") {
  Snapshot s;
  s.d->set = TOFF_SET;
  s.d->pps.real = ts(1700000000, 0);
  s.d->pps.clock = ts(1700000000, 123456789);
  Translator tr;
  const auto ev = translate(*s.d, tr);
  REQUIRE(ev.size() == 1);
  const auto& r = std::get<TimeReport>(ev[0]);
  CHECK(r.real_ns == 1700000000 * kS);
  CHECK(r.clock_ns == 1700000000 * kS + 123456789);
}

TEST_CASE("TOFF in the fixed layout (data in ->toff) is read from ->toff", "[unit]") {
  Snapshot s;
  s.d->set = TOFF_SET;
  s.d->toff.real = ts(1700000005, 0);
  s.d->toff.clock = ts(1700000005, 200000000);
  // A stale PPS in ->pps must not be taken for the TOFF.
  s.d->pps.real = ts(1700000004, 0);
  s.d->pps.clock = ts(1700000003, 999999000);
  Translator tr;
  const auto ev = translate(*s.d, tr);
  REQUIRE(ev.size() == 1);
  CHECK(std::get<TimeReport>(ev[0]).real_ns == 1700000005 * kS);
  CHECK(std::get<TimeReport>(ev[0]).clock_ns == 1700000005 * kS + 200000000);
}

TEST_CASE("the real libgps parses a TOFF object the way the translator expects", "[unit]") {
  Snapshot s;
  char buf[] =
      R"({"class":"TOFF","device":"/dev/ttyS0","real_sec":1700000000,"real_nsec":0,)"
      R"("clock_sec":1700000000,"clock_nsec":150000000,"precision":-1})";
  REQUIRE(gps_unpack(buf, s.d.get()) == 0);
  REQUIRE((s.d->set & TOFF_SET) != 0);
  Translator tr;
  const auto ev = translate(*s.d, tr);
  REQUIRE(ev.size() == 1);
  CHECK(std::get<TimeReport>(ev[0]).real_ns == 1700000000 * kS);
  CHECK(std::get<TimeReport>(ev[0]).clock_ns == 1700000000 * kS + 150000000);
}

TEST_CASE("PPS with qErr: qerr_ns is qErr (ps) / 1000", "[unit]") {
  Snapshot s;
  char buf[] =
      R"({"class":"PPS","device":"/dev/pps0","real_sec":1700000001,"real_nsec":0,)"
      R"("clock_sec":1700000000,"clock_nsec":999999000,"precision":-20,"qErr":-4050})";
  REQUIRE(gps_unpack(buf, s.d.get()) == 0);
  Translator tr;
  const auto ev = translate(*s.d, tr);
  REQUIRE(ev.size() == 1);
  const auto& p = std::get<PulseReport>(ev[0]);
  CHECK(p.real_ns == 1700000001 * kS);
  CHECK(p.clock_ns == 1700000000 * kS + 999999000);
  REQUIRE(p.qerr_ns.has_value());
  CHECK(*p.qerr_ns == Approx(-4.05));
}

TEST_CASE("PPS without qErr has no qerr_ns, also after one with qErr", "[unit]") {
  Snapshot s;
  Translator tr;
  char with[] = R"({"class":"PPS","real_sec":1700000001,"real_nsec":0,)"
                R"("clock_sec":1700000001,"clock_nsec":5000,"qErr":1234})";
  REQUIRE(gps_unpack(with, s.d.get()) == 0);
  (void)translate(*s.d, tr);
  s.d->set = 0;
  char without[] = R"({"class":"PPS","real_sec":1700000002,"real_nsec":0,)"
                   R"("clock_sec":1700000002,"clock_nsec":5000})";
  REQUIRE(gps_unpack(without, s.d.get()) == 0);
  const auto ev = translate(*s.d, tr);
  REQUIRE(ev.size() == 1);
  CHECK_FALSE(std::get<PulseReport>(ev[0]).qerr_ns.has_value());
}

TEST_CASE("an absurd qErr is dropped but the pulse is kept", "[unit]") {
  LogCapture logs;
  Snapshot s;
  s.d->set = PPS_SET;
  s.d->pps.real = ts(1700000001, 0);
  s.d->pps.clock = ts(1700000001, 100);
  s.d->qErr = 5'000'000;  // 5 µs
  Translator tr;
  const auto ev = translate(*s.d, tr);
  REQUIRE(ev.size() == 1);
  CHECK_FALSE(std::get<PulseReport>(ev[0]).qerr_ns.has_value());
  CHECK(tr.counters().rejected == 1);
  CHECK(logs.lines.size() == 1);
}

TEST_CASE("implausible times give no event and one log line", "[unit]") {
  Translator tr;
  struct Case {
    const char* name;
    std::int64_t real_s;
    long real_ns;
    std::int64_t clock_s;
    long clock_ns;
  };
  const Case cases[] = {
      {"GNSS time in 2004 (week rollover)", 1090000000, 0, 1700000000, 0},
      {"negative nanoseconds", 1700000000, -1, 1700000000, 0},
      {"nanoseconds >= 1e9", 1700000000, 1000000000, 1700000000, 0},
      {"negative clock", 1700000000, 0, -5, 0},
      {"zero clock (missing)", 1700000000, 0, 0, 0},
      {"GNSS time beyond 2200", 9000000000, 0, 1700000000, 0},
  };
  for (const auto& c : cases) {
    for (const gps_mask_t flag : {TOFF_SET, PPS_SET}) {
      INFO(c.name << (flag == TOFF_SET ? " TOFF" : " PPS"));
      LogCapture logs;
      Snapshot s;
      s.d->set = flag;
      s.d->pps.real = ts(c.real_s, c.real_ns);
      s.d->pps.clock = ts(c.clock_s, c.clock_ns);
      const auto before = tr.counters().rejected;
      CHECK(translate(*s.d, tr).empty());
      CHECK(tr.counters().rejected == before + 1);
      CHECK(logs.lines.size() == 1);
    }
  }
}

TEST_CASE("a Pi booting in 1970 is fine: only the GNSS time must be recent", "[unit]") {
  Snapshot s;
  s.d->set = TOFF_SET;
  s.d->pps.real = ts(1700000000, 0);
  s.d->pps.clock = ts(12, 500000000);
  Translator tr;
  const auto ev = translate(*s.d, tr);
  REQUIRE(ev.size() == 1);
  CHECK(std::get<TimeReport>(ev[0]).clock_ns == 12 * kS + 500000000);
}

TEST_CASE("TPV: mode and leap seconds; a mode out of range is rejected", "[unit]") {
  Translator tr;
  {
    Snapshot s;
    char buf[] = R"({"class":"TPV","device":"/dev/ttyS0","mode":3,)"
                 R"("time":"2023-11-14T22:13:20.000Z","leapseconds":18})";
    REQUIRE(gps_unpack(buf, s.d.get()) == 0);
    const auto ev = translate(*s.d, tr);
    REQUIRE(ev.size() == 2);
    CHECK(std::get<FixState>(ev[0]).mode == 3);
    CHECK(std::get<LeapInfo>(ev[1]).gps_minus_utc_s == 18);
    CHECK(std::get<LeapInfo>(ev[1]).tai_minus_utc_s() == 37);
  }
  {
    LogCapture logs;
    Snapshot s;
    char buf[] = R"({"class":"TPV","mode":7})";
    REQUIRE(gps_unpack(buf, s.d.get()) == 0);
    CHECK(translate(*s.d, tr).empty());
    CHECK(logs.lines.size() == 1);
  }
  {
    Snapshot s;  // no fix: mode 1 is reported, no leap info (unknown = 0)
    char buf[] = R"({"class":"TPV","mode":1})";
    REQUIRE(gps_unpack(buf, s.d.get()) == 0);
    const auto ev = translate(*s.d, tr);
    REQUIRE(ev.size() == 1);
    CHECK(std::get<FixState>(ev[0]).mode == 1);
  }
}

TEST_CASE("SKY gives satellite counts", "[unit]") {
  Snapshot s;
  char buf[] = R"({"class":"SKY","satellites":[{"PRN":1,"used":true},{"PRN":2,"used":false},)"
               R"({"PRN":3,"used":true}]})";
  REQUIRE(gps_unpack(buf, s.d.get()) == 0);
  Translator tr;
  const auto ev = translate(*s.d, tr);
  REQUIRE(ev.size() == 1);
  CHECK(std::get<SkyReport>(ev[0]).satellites_used == 2);
  CHECK(std::get<SkyReport>(ev[0]).satellites_visible == 3);
}

TEST_CASE("objects of other classes and malformed JSON give no event", "[unit]") {
  Translator tr;
  for (std::string json : {std::string(R"({"class":"FOO","x":1})"),
                           std::string(R"({"class":"TOFF","real_sec":"abc"})"),
                           std::string(R"({"class":"PPS","real_sec":17)"),  // cut mid-line
                           std::string("not json at all"), std::string(4096, '{')}) {
    INFO(json.substr(0, 40));
    Snapshot s;
    (void)gps_unpack(json.data(), s.d.get());
    CHECK(translate(*s.d, tr).empty());
  }
  CHECK(tr.counters().time_reports == 0);
  CHECK(tr.counters().pulse_reports == 0);
}

TEST_CASE("gpsd ERROR objects are passed on", "[unit]") {
  Snapshot s;
  s.d->set = ERROR_SET;
  std::strcpy(s.d->error, "Unrecognized request 'FOO'");
  Translator tr;
  const auto ev = translate(*s.d, tr);
  REQUIRE(ev.size() == 1);
  CHECK(std::get<GpsdError>(ev[0]).message == "Unrecognized request 'FOO'");
}
