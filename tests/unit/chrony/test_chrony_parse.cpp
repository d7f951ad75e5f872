// chronyc -c output as chrony 4.3 prints it (lines copied from `chronyc -c -n` against
// `chronyd -x` with nanotime's PHC0 refclock), parsed field by field.
#include <catch2/catch.hpp>

#include "chrony/chronyc_parse.hpp"
#include "chrony/chronyd_view.hpp"

using namespace nanotime::chrony;

namespace {
// Selected PHC0: stratum 1, 123 us slow, root delay 1 ns, root dispersion 4.323 us.
constexpr const char* kTracking =
    "50484330,PHC0,1,1796621384.123456789,0.000122998,0.000000002,0.000000002,0.000,0.000,"
    "0.000,0.000000001,0.000004323,4.0,Normal\n";
constexpr const char* kSources =
    "#,*,PHC0,0,0,104,4,0.000000003,0.000000005,0.000000020\n"
    "#,-,PPS,0,0,377,1,-0.000000100,-0.000000100,0.000000500\n"
    "^,?,192.0.2.1,2,6,0,4294967295,0.000000000,0.000000000,0.000000000\n";
// chronyd just started: nothing selected.
constexpr const char* kUnsynced =
    "00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,0.000,0.000,0.000,"
    "1.000000000,1.000000000,0.0,Not synchronised\n";
}  // namespace

TEST_CASE("tracking: every field phc-pps-sync exports") {
  const auto t = parse_chronyc_tracking(kTracking);
  REQUIRE(t);
  CHECK(t->ref_id == "50484330");
  CHECK(t->ref_name == "PHC0");
  CHECK(t->stratum == 1);
  CHECK(t->system_offset_s == Approx(122.998e-6).margin(1e-15));
  CHECK(t->root_delay_s == Approx(1e-9).margin(1e-18));
  CHECK(t->root_dispersion_s == Approx(4.323e-6).margin(1e-15));
  CHECK(t->leap_status == "Normal");
}

TEST_CASE("tracking: wrong field count or a non-number is rejected") {
  CHECK_FALSE(parse_chronyc_tracking(""));
  CHECK_FALSE(parse_chronyc_tracking("506 Cannot talk to daemon"));
  CHECK_FALSE(parse_chronyc_tracking("50484330,PHC0,1,0,0.1,0,0,0,0,0,0,0,4.0"));       // 13
  CHECK_FALSE(parse_chronyc_tracking("50484330,PHC0,1,0,0.1,0,0,0,0,0,x,0,4.0,Normal"));  // delay
  CHECK_FALSE(parse_chronyc_tracking("50484330,PHC0,1,0,0.1,0,0,0,0,0,0,,4.0,Normal"));   // disp.
}

TEST_CASE("sources: reach is octal; malformed lines are skipped") {
  const auto s = parse_chronyc_sources(kSources);
  REQUIRE(s.size() == 3);
  CHECK(s[0].name == "PHC0");
  CHECK(s[0].state == '*');
  CHECK(s[0].reach == 0104);  // 68: chronyc prints the register in octal
  CHECK(s[1].reach == 255);
  CHECK(s[2].mode == '^');
  CHECK(parse_chronyc_sources("#,*,PHC0,0,0,9,4,0,0,0\n").empty());     // 9 is not octal
  CHECK(parse_chronyc_sources("#,*,PHC0,0,0,1777,4,0,0,0\n").empty());  // > 8 bits
  CHECK(parse_chronyc_sources("#,*,PHC0,0,0,377\n").empty());
}

TEST_CASE("view: batch output, tracking first then sources") {
  const auto v = view_from_output(std::string(kTracking) + kSources, "PHC0");
  CHECK(v.reachable);
  CHECK(v.phc_selected);
  REQUIRE(v.phc_reach);
  CHECK(*v.phc_reach == 68);
  CHECK(selected_source(v.sources) == "PHC0");
}

TEST_CASE("view: another refid, not selected, or missing") {
  auto v = view_from_output(std::string(kTracking) + kSources, "PPS");
  CHECK(v.reachable);
  CHECK_FALSE(v.phc_selected);
  CHECK(v.phc_reach == 255);
  v = view_from_output(std::string(kTracking) + kSources, "PHC1");
  CHECK_FALSE(v.phc_selected);
  CHECK_FALSE(v.phc_reach);
  v = view_from_output(kUnsynced, "PHC0");
  CHECK(v.reachable);
  CHECK(selected_source(v.sources).empty());
  CHECK(v.tracking->stratum == 0);
}

TEST_CASE("view: no usable tracking line means chronyd was not reached") {
  CHECK_FALSE(view_from_output("", "PHC0").reachable);
  CHECK_FALSE(view_from_output(kSources, "PHC0").reachable);  // sources without tracking
  CHECK_FALSE(view_from_output("Could not open connection to daemon\n", "PHC0").reachable);
}
