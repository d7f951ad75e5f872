#include <catch2/catch.hpp>

#include "ptpmgmt/quality_map.hpp"

using namespace nanotime;
using ptpmgmt::to_grandmaster_settings;

TEST_CASE("tracking quality maps to class 6, GNSS, PTP timescale, traceable", "[unit][ptpmgmt]") {
  discipline::ClockQuality q;
  q.state = discipline::LockState::tracking;
  q.clock_class = 6;
  q.clock_accuracy = 0x21;
  q.offset_scaled_log_variance = 0x4e5d;
  q.tai_utc_s = 37;
  q.utc_offset_valid = true;
  q.time_traceable = true;
  q.frequency_traceable = true;
  auto g = to_grandmaster_settings(q);
  CHECK(g.quality.clock_class == 6);
  CHECK(g.quality.clock_accuracy == 0x21);
  CHECK(g.quality.offset_scaled_log_variance == 0x4e5d);
  CHECK(g.utc_offset == 37);
  CHECK(g.time_flags == 0x3c);  // UTC_OFF_VALID 0x04 | PTP_TIMESCALE 0x08 | 0x10 | 0x20
  CHECK(g.time_source == 0x20);
}

TEST_CASE("freerun quality: only the PTP timescale flag", "[unit][ptpmgmt]") {
  discipline::ClockQuality q;  // defaults: acquiring, class 248, unknown accuracy
  auto g = to_grandmaster_settings(q);
  CHECK(g.quality.clock_class == 248);
  CHECK(g.quality.clock_accuracy == 0xfe);
  CHECK(g.quality.offset_scaled_log_variance == 0xffff);
  CHECK(g.time_flags == 0x08);
  CHECK(g.time_source == 0x20);
}

TEST_CASE("leap flags", "[unit][ptpmgmt]") {
  discipline::ClockQuality q;
  q.leap61 = true;
  CHECK(to_grandmaster_settings(q).time_flags == (0x08 | 0x01));
  q.leap61 = false;
  q.leap59 = true;
  q.tai_utc_s = 38;
  auto g = to_grandmaster_settings(q);
  CHECK(g.time_flags == (0x08 | 0x02));
  CHECK(g.utc_offset == 38);
}
