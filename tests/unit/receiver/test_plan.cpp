// The planner, the readback diff and the frames against bytes worked out by hand from the u-blox
// protocol descriptions (M8: CFG-TP5, CFG-TMODE2, CFG-NAV5, CFG-MSG; F9: CFG-VALSET/VALGET).
#include <catch2/catch.hpp>

#include <algorithm>

#include "receiver/readback.hpp"
#include "receiver/settings.hpp"

using namespace nanotime::receiver;

namespace {

const Setting& find(const std::vector<Setting>& v, const std::string& name) {
  const auto it = std::ranges::find_if(v, [&](const Setting& s) { return s.name == name; });
  INFO(name);
  REQUIRE(it != v.end());
  return *it;
}

// An M8T's CFG-TP5 reply for TIMEPULSE (its defaults but antCableDelay 50 ns): tpIdx 0,
// version 1, antCableDelay 50, rfGroupDelay 0, freqPeriod 1 s, freqPeriodLock 1 s,
// pulseLenRatio 0, pulseLenRatioLock 100 ms, userConfigDelay 0, flags 0xF7 (active,
// lockGnssFreq, lockedOtherSet, isLength, alignToTow, polarity, gridUtcGnss = 1 GPS).
const Bytes kTp5Reply = {0x00, 0x01, 0x00, 0x00, 0x32, 0x00, 0x00, 0x00, 0x40, 0x42, 0x0F,
                         0x00, 0x40, 0x42, 0x0F, 0x00, 0x00, 0x00, 0x00, 0x00, 0xA0, 0x86,
                         0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF7, 0x00, 0x00, 0x00};

std::vector<std::string> names(const std::vector<Change>& changes) {
  std::vector<std::string> out;
  for (const Change& c : changes) out.push_back(describe(c));
  return out;
}

}  // namespace

TEST_CASE("a UBX frame is sync, class, id, length, payload and the Fletcher checksum", "[unit]") {
  // CFG-TP5 poll of TIMEPULSE: 06 31 01 00 00 -> CK_A = 0x38, CK_B = 0xE5 (summed by hand).
  CHECK(encode(Frame{0x06, 0x31, {0x00}}) ==
        Bytes{0xB5, 0x62, 0x06, 0x31, 0x01, 0x00, 0x00, 0x38, 0xE5});
  // MON-VER poll: 0A 04 00 00 -> 0x0E, 0x34.
  CHECK(encode(Frame{0x0A, 0x04, {}}) == Bytes{0xB5, 0x62, 0x0A, 0x04, 0x00, 0x00, 0x0E, 0x34});
}

TEST_CASE("gen 8: the M8T's CFG-TP5 reply differs from the plan in the cable delay only", "[unit]") {
  ReceiverSettings rs;
  rs.cable_delay_ns = 56;
  const auto p = plan(rs, Generation::m8);
  Readback rb;
  rb.absorb(Frame{0x06, 0x31, kTp5Reply});
  std::vector<Setting> tp5;
  std::ranges::copy_if(p, std::back_inserter(tp5), [](const Setting& s) { return s.m8.id == 0x31; });
  CHECK(tp5.size() == 13);
  CHECK(names(diff(tp5, rb)) == std::vector<std::string>{"CFG-TP5 antCableDelay: 50 ns -> 56 ns"});

  rs.time_system = "utc";
  const auto utc = plan(rs, Generation::m8);
  std::vector<Setting> tp5u;
  std::ranges::copy_if(utc, std::back_inserter(tp5u), [](const Setting& s) { return s.m8.id == 0x31; });
  const auto changes = diff(tp5u, rb);
  CHECK(names(changes) == std::vector<std::string>{"CFG-TP5 antCableDelay: 50 ns -> 56 ns",
                                                   "CFG-TP5 flags.gridUtcGnss: 1 -> 0"});
  // The write is the reply with those fields changed: delay 0x38 at offset 4, flags 0x77.
  std::vector<const Setting*> group;
  for (const Change& c : changes) group.push_back(c.setting);
  Bytes want = kTp5Reply;
  want[4] = 0x38;
  want[28] = 0x77;
  CHECK(m8_write(group, rb) == Frame{0x06, 0x31, want});
}

TEST_CASE("gen 8: survey-in, fixed LLH, elevation mask and outputs", "[unit]") {
  ReceiverSettings rs;
  rs.survey_min_duration_s = 2000;
  rs.survey_accuracy_m = 2.5;
  rs.min_elevation_deg = 15;
  const auto p = plan(rs, Generation::m8);
  CHECK(find(p, "CFG-TMODE2 timeMode").desired == 1);
  CHECK(find(p, "CFG-TMODE2 svinMinDur").desired == 2000);
  CHECK(find(p, "CFG-TMODE2 svinAccLimit").desired == 2500);  // mm
  CHECK(find(p, "CFG-TMODE2 svinAccLimit").m8.offset == 24);
  CHECK(find(p, "CFG-NAV5 minElev").desired == 15);
  CHECK(find(p, "CFG-MSG TIM-TP rate(UART1)").m8.poll == Bytes{0x0D, 0x01});
  CHECK(find(p, "CFG-MSG MON-HW rate(UART1)").m8.poll == Bytes{0x0A, 0x09});
  CHECK(find(p, "CFG-MSG NAV-TIMELS rate(UART1)").desired == 255);  // as gpsd sets it
  CHECK(std::ranges::none_of(p, [](const Setting& s) { return s.m8.id == 0x3E; }));  // no list

  rs.mode = TimeMode::fixed;
  rs.fixed_llh = Llh{47.1234567, -8.5, 410.25};
  const auto f = plan(rs, Generation::m8);
  CHECK(find(f, "CFG-TMODE2 timeMode").desired == 2);
  CHECK(find(f, "CFG-TMODE2 flags.lla").desired == 1);
  CHECK(find(f, "CFG-TMODE2 lat").desired == 471234567);
  CHECK(find(f, "CFG-TMODE2 lon").desired == -85000000);
  CHECK(find(f, "CFG-TMODE2 alt").desired == 41025);  // cm

  // CFG-NAV5 is written with mask = minElev only, so nothing else of the reply is applied.
  Bytes nav5(36, 0xFF);
  nav5[12] = 5;
  Readback rb;
  rb.absorb(Frame{0x06, 0x24, nav5});
  const Setting& elev = find(p, "CFG-NAV5 minElev");
  CHECK(read_value(elev, rb) == 5);
  const auto w = m8_write({&elev}, rb);
  REQUIRE(w);
  CHECK(w->payload[0] == 0x02);
  CHECK(w->payload[1] == 0x00);
  CHECK(w->payload[12] == 15);
}

TEST_CASE("gen 8: CFG-GNSS enable bits are found by gnssId in the reply's blocks", "[unit]") {
  ReceiverSettings rs;
  rs.constellations = {"gps", "galileo"};
  const auto p = plan(rs, Generation::m8);
  // msgVer 0, 32 channels, 32 used, 2 blocks: GPS (enabled), GLONASS (enabled).
  const Bytes gnss = {0, 32, 32, 2, 0, 8, 16, 0, 0x01, 0, 1, 1, 6, 8, 14, 0, 0x01, 0, 1, 1};
  Readback rb;
  rb.absorb(Frame{0x06, 0x3E, gnss});
  CHECK(read_value(find(p, "CFG-GNSS gps.enable"), rb) == 1);
  CHECK(read_value(find(p, "CFG-GNSS glonass.enable"), rb) == 1);
  CHECK_FALSE(read_value(find(p, "CFG-GNSS galileo.enable"), rb));  // no block: unreadable
  const Setting& glo = find(p, "CFG-GNSS glonass.enable");
  const auto w = m8_write({&glo}, rb);
  REQUIRE(w);
  CHECK(w->payload[16] == 0x00);  // GLONASS block's flags, enable cleared
  CHECK(w->payload[17] == 0x00);
  CHECK(w->payload[18] == 1);     // its signal mask kept
}

TEST_CASE("gen 9: keys, values and the VALSET bytes", "[unit]") {
  ReceiverSettings rs;
  rs.cable_delay_ns = 56;
  rs.survey_accuracy_m = 20;
  const auto p = plan(rs, Generation::f9);
  CHECK(find(p, "CFG-TMODE-MODE").f9.id == 0x20030001);
  CHECK(find(p, "CFG-TMODE-SVIN_ACC_LIMIT").desired == 200000);  // 0.1 mm
  CHECK(find(p, "CFG-TP-TIMEGRID_TP1").desired == 1);             // GPS
  CHECK(find(p, "CFG-MSGOUT-UBX_TIM_TP_UART1").f9.id == 0x2091017e);
  CHECK(find(p, "CFG-MSGOUT-UBX_MON_RF_UART1").f9.id == 0x2091035a);
  const Setting& delay = find(p, "CFG-TP-ANT_CABLEDELAY");
  const Setting& ena = find(p, "CFG-TP-TP1_ENA");
  // version 0, layers RAM, no transaction; key 0x30050001 I2 56; key 0x10050007 L 1.
  CHECK(f9_valset({&delay, &ena}, 0x01) ==
        std::vector<Frame>{Frame{0x06, 0x8A, {0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x05, 0x30,
                                              0x38, 0x00, 0x07, 0x00, 0x05, 0x10, 0x01}}});
  // Saving: RAM + BBR + flash.
  CHECK(f9_valset({&delay}, 0x07).front().payload[1] == 0x07);

  // A VALGET reply (version 1, layer RAM): delay -5 ns, TP1_ENA 1.
  Readback rb;
  rb.absorb(Frame{0x06, 0x8B, {0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x05, 0x30, 0xFB, 0xFF,
                               0x07, 0x00, 0x05, 0x10, 0x01}});
  CHECK(read_value(delay, rb) == -5);
  CHECK(read_value(ena, rb) == 1);
  const auto reqs = read_requests(p, Generation::f9);
  REQUIRE(!reqs.empty());
  CHECK(reqs.front().frame.payload.size() == 4 + 4 * std::min<std::size_t>(32, p.size()));
}

TEST_CASE("gen 9: fixed LLH splits into the key and its high-precision part", "[unit]") {
  ReceiverSettings rs;
  rs.mode = TimeMode::fixed;
  rs.fixed_llh = Llh{47.123456789, -33.500000001, 410.2567};
  const auto p = plan(rs, Generation::f9);
  CHECK(find(p, "CFG-TMODE-POS_TYPE").desired == 1);
  CHECK(find(p, "CFG-TMODE-LAT").desired == 471234567);
  CHECK(find(p, "CFG-TMODE-LAT_HP").desired == 89);
  CHECK(find(p, "CFG-TMODE-LON").desired == -335000000);
  CHECK(find(p, "CFG-TMODE-LON_HP").desired == -1);
  CHECK(find(p, "CFG-TMODE-HEIGHT").desired == 41025);  // cm
  CHECK(find(p, "CFG-TMODE-HEIGHT_HP").desired == 67);  // 0.1 mm
  rs.fixed_llh.reset();
  rs.fixed_ecef = Ecef{4'331'297.3487, 567'555.6390, 4'633'133.7110};
  const auto e = plan(rs, Generation::f9);
  CHECK(find(e, "CFG-TMODE-POS_TYPE").desired == 0);
  CHECK(find(e, "CFG-TMODE-ECEF_X").desired == 433129734);
  CHECK(find(e, "CFG-TMODE-ECEF_X_HP").desired == 87);
  CHECK(find(e, "CFG-TMODE-ECEF_Z_HP").desired == 10);
}

TEST_CASE("gen 9: a long change list is one transaction of frames under 255 bytes", "[unit]") {
  ReceiverSettings rs;
  rs.mode = TimeMode::fixed;
  rs.fixed_ecef = Ecef{1, 2, 3};
  rs.constellations = known_constellations();
  const auto p = plan(rs, Generation::f9);
  std::vector<const Setting*> all;
  for (const Setting& s : p) all.push_back(&s);
  for (const Setting& s : p) all.push_back(&s);  // twice: 330 bytes of keys and values
  const auto frames = f9_valset(all, 0x01);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].payload[0] == 1);  // version 1: transactions
  CHECK(frames[0].payload[2] == 1);  // begin
  CHECK(frames[1].payload[2] == 3);  // end and apply
  for (const Frame& f : frames) CHECK(encode(f).size() <= 255);
}

TEST_CASE("diff: equal means no change; unreadable is a change", "[unit]") {
  ReceiverSettings rs;
  const auto p = plan(rs, Generation::f9);
  Readback rb;
  for (const Setting& s : p) rb.f9[s.f9.id] = s.desired;
  CHECK(diff(p, rb).empty());
  rb.f9.erase(0x30050001);
  const auto d = diff(p, rb);
  REQUIRE(d.size() == 1);
  CHECK(describe(d[0]) == "CFG-TP-ANT_CABLEDELAY: (unread) -> 0 ns");
}
