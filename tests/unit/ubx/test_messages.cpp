// UBX messages: the expected payloads are written by hand from the u-blox M8 (protocol 15..23)
// and ZED-F9T interface descriptions, field by field, not produced by the encoder under test.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ubx/keys.hpp"
#include "ubx/messages.hpp"

using namespace nanotime::ubx;
using Bytes = std::vector<std::uint8_t>;

namespace {

// By value: the argument is usually a temporary.
template <class T>
T ok(const Decoded<T>& d) {
  if (const auto* e = std::get_if<DecodeError>(&d)) FAIL("decode error: " << e->message);
  return std::get<T>(d);
}

template <class T>
DecodeError err(const Decoded<T>& d) {
  REQUIRE(std::holds_alternative<DecodeError>(d));
  return std::get<DecodeError>(d);
}

Bytes frame_bytes(const Frame& f) { return encode(f); }

}  // namespace

TEST_CASE("CFG-TMODE2 survey-in (300 s, 50 m) matches the hand-made frame") {
  CfgTmode2 t;
  t.time_mode = CfgTmode2::survey_in;
  t.svin_min_dur_s = 300;
  t.svin_acc_limit_mm = 50000;
  const Bytes expected = {
      0xB5, 0x62, 0x06, 0x3D, 0x1C, 0x00,
      0x01, 0x00, 0x00, 0x00,              // timeMode 1, reserved, flags 0 (ECEF)
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // ECEF X, Y, Z
      0, 0, 0, 0,                          // fixedPosAcc
      0x2C, 0x01, 0x00, 0x00,              // svinMinDur 300
      0x50, 0xC3, 0x00, 0x00,              // svinAccLimit 50000
      0xA0, 0x77};
  CHECK(frame_bytes(encode_cfg_tmode2(t)) == expected);
  CHECK(ok(decode_cfg_tmode2(encode_cfg_tmode2(t))) == t);
}

TEST_CASE("CFG-TMODE2 fixed LLH position round-trips with negative coordinates") {
  CfgTmode2 t{CfgTmode2::fixed, 0x0001, 481173000, -116700000, 52000, 2500, 0, 0};
  const auto& d = ok(decode_cfg_tmode2(encode_cfg_tmode2(t)));
  CHECK(d == t);
  CHECK(d.lla());
  CHECK(d.ecef_y_or_lon == -116700000);
}

TEST_CASE("CFG-TMODE2 rejects a time mode the protocol does not define") {
  Frame f = encode_cfg_tmode2(CfgTmode2{});
  f.payload[0] = 3;
  const auto& e = err(decode_cfg_tmode2(f));
  CHECK(e.code == DecodeError::Code::bad_value);
  CHECK(e.message.find("UBX-CFG-TMODE2") == 0);
}

TEST_CASE("CFG-TP5: 1 PPS, 100 ms when locked, 50 ns cable, GPS grid matches the hand-made frame") {
  CfgTp5 t;
  t.ant_cable_delay_ns = 50;
  t.freq_period = 1000000;
  t.freq_period_lock = 1000000;
  t.pulse_len_ratio = 100000;
  t.pulse_len_ratio_lock = 100000;
  t.flags = CfgTp5::kActive | CfgTp5::kLockGnssFreq | CfgTp5::kLockedOtherSet | CfgTp5::kIsLength |
            CfgTp5::kAlignToTow | CfgTp5::kPolarity;
  t.set_grid_utc_gnss(1);
  const Bytes expected = {
      0xB5, 0x62, 0x06, 0x31, 0x20, 0x00,
      0x00, 0x01, 0x00, 0x00,  // tpIdx 0, version 1, reserved
      0x32, 0x00, 0x00, 0x00,  // antCableDelay 50, rfGroupDelay 0
      0x40, 0x42, 0x0F, 0x00, 0x40, 0x42, 0x0F, 0x00,  // period 1 000 000 us (and locked)
      0xA0, 0x86, 0x01, 0x00, 0xA0, 0x86, 0x01, 0x00,  // length 100 000 us (and locked)
      0x00, 0x00, 0x00, 0x00,  // userConfigDelay
      0xF7, 0x00, 0x00, 0x00,  // flags: bits 0,1,2,4,5,6 and gridUtcGnss 1 at bit 7
      0xF1, 0x9E};
  CHECK(frame_bytes(encode_cfg_tp5(t)) == expected);
  const auto& d = ok(decode_cfg_tp5(encode_cfg_tp5(t)));
  CHECK(d == t);
  CHECK(d.grid_utc_gnss() == 1);
  CfgTp5 g = d;
  g.set_grid_utc_gnss(4);  // Galileo: bits 7..10 = 0100
  CHECK(g.flags == (0x77u | (4u << 7)));
}

TEST_CASE("CFG-VALSET with two keys matches the hand-made frame") {
  CfgValset v;
  v.layers = Layer::ram | Layer::bbr;
  v.items = {{key::CFG_TMODE_MODE, 1}, {key::CFG_TMODE_SVIN_MIN_DUR, 300}};
  const Bytes expected = {
      0xB5, 0x62, 0x06, 0x8A, 0x11, 0x00,
      0x00, 0x03, 0x00, 0x00,                          // version 0, RAM|BBR, reserved
      0x01, 0x00, 0x03, 0x20, 0x01,                    // CFG-TMODE-MODE = 1 (1 byte)
      0x10, 0x00, 0x03, 0x40, 0x2C, 0x01, 0x00, 0x00,  // CFG-TMODE-SVIN_MIN_DUR = 300 (4 bytes)
      0x49, 0xB5};
  CHECK(frame_bytes(encode_cfg_valset(v)) == expected);
  CHECK(ok(decode_cfg_valset(encode_cfg_valset(v))) == v);
}

TEST_CASE("CFG-VALSET version 1 carries the transaction; every value size round-trips") {
  CfgValset v;
  v.version = 1;
  v.layers = Layer::ram | Layer::bbr | Layer::flash;
  v.transaction = 3;
  v.items = {{key::CFG_TP_TP1_ENA, 1},
             kv_signed(key::CFG_TP_ANT_CABLEDELAY, -12),
             kv_signed(key::CFG_TMODE_ECEF_X, -2000000),
             kv_r8(0x5005002a /* CFG-TP-DUTY_TP1 */, 12.5)};
  const Frame f = encode_cfg_valset(v);
  CHECK(f.payload[2] == 3);
  CHECK(f.payload.size() == 4 + (4 + 1) + (4 + 2) + (4 + 4) + (4 + 8));
  const auto& d = ok(decode_cfg_valset(f));
  CHECK(d == v);
  CHECK(as_signed(d.items[1]) == -12);
  CHECK(as_signed(d.items[2]) == -2000000);
  CHECK(as_r8(d.items[3]) == 12.5);
}

TEST_CASE("CFG-VALGET poll and response") {
  const Frame poll = encode_cfg_valget_poll(CfgValgetPoll{0, 0, {key::CFG_TMODE_MODE}});
  CHECK(encode(poll) == Bytes{0xB5, 0x62, 0x06, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
                              0x01, 0x00, 0x03, 0x20, 0xBD, 0xBB});
  CHECK(ok(decode_cfg_valget_poll(poll)).keys == std::vector<std::uint32_t>{key::CFG_TMODE_MODE});

  // A response as the receiver sends it: version 1, layer RAM, position 0, two values.
  const Frame resp{0x06, 0x8B, {0x01, 0x00, 0x00, 0x00,
                                0x01, 0x00, 0x03, 0x20, 0x02,
                                0x01, 0x00, 0x05, 0x30, 0xCE, 0xFF}};
  const auto& r = ok(decode_cfg_valget_response(resp));
  REQUIRE(r.items.size() == 2);
  CHECK(r.items[0] == KeyValue{key::CFG_TMODE_MODE, 2});
  CHECK(r.items[1].key == key::CFG_TP_ANT_CABLEDELAY);
  CHECK(as_signed(r.items[1]) == -50);
  CHECK(encode_cfg_valget_response(r) == resp);
  // A poll is not a response, and vice versa.
  CHECK(err(decode_cfg_valget_response(poll)).code == DecodeError::Code::bad_value);
  CHECK(err(decode_cfg_valget_poll(resp)).code == DecodeError::Code::bad_value);
}

TEST_CASE("key/value lists: cut values, stray bytes and undefined sizes are errors") {
  // value cut short: a U4 key with 2 value bytes
  Frame cut{0x06, 0x8B, {0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x03, 0x40, 0x2C, 0x01}};
  const auto& e1 = err(decode_cfg_valget_response(cut));
  CHECK(e1.code == DecodeError::Code::bad_length);
  CHECK(e1.message.find("0x40030010") != std::string::npos);
  // stray bytes after the last value
  Frame stray{0x06, 0x8A, {0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x03}};
  CHECK(err(decode_cfg_valset(stray)).code == DecodeError::Code::bad_length);
  // size class 0 (bits 28..30) is not defined
  Frame undefined{0x06, 0x8A, {0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x03, 0x00, 0x01}};
  CHECK(err(decode_cfg_valset(undefined)).message.find("no defined size") != std::string::npos);
  CHECK(value_size(0x10000000) == 1u);
  CHECK(value_size(0x20000000) == 1u);
  CHECK(value_size(0x30000000) == 2u);
  CHECK(value_size(0x40000000) == 4u);
  CHECK(value_size(0x50000000) == 8u);
  CHECK_FALSE(value_size(0x60000000));
  CHECK_FALSE(value_size(0x00000000));
}

TEST_CASE("ACK-ACK / ACK-NAK name the message they answer") {
  const auto& a = ok(decode_ack(Frame{0x05, 0x01, {0x06, 0x8A}}));
  CHECK(a == Ack{true, 0x06, 0x8A});
  const auto& n = ok(decode_ack(Frame{0x05, 0x00, {0x06, 0x3D}}));
  CHECK(n == Ack{false, 0x06, 0x3D});
  CHECK(encode(encode_ack(Ack{false, 0x06, 0x8A})) ==
        Bytes{0xB5, 0x62, 0x05, 0x00, 0x02, 0x00, 0x06, 0x8A, 0x97, 0xBC});
  CHECK(err(decode_ack(Frame{0x05, 0x01, {0x06}})).code == DecodeError::Code::too_short);
  CHECK(err(decode_ack(Frame{0x05, 0x02, {0x06, 0x01}})).code ==
        DecodeError::Code::wrong_message);
}

TEST_CASE("MON-VER: strings, extensions and the classification") {
  SECTION("ZED-F9T") {
    MonVer v{"EXT CORE 1.00 (3fda8e)", "00190000",
             {"ROM BASE 0x118B2060", "FWVER=TIM 2.20", "PROTVER=29.20", "MOD=ZED-F9T",
              "GPS;GLO;GAL;BDS", "SBAS;QZSS", "NAVIC"}};
    const Frame f = encode_mon_ver(v);
    CHECK(f.payload.size() == 40 + 30 * 7);
    const auto& d = ok(decode_mon_ver(f));
    CHECK(d == v);
    const auto info = classify(d);
    CHECK(info.generation == Generation::f9);
    CHECK(info.timing_model);
    CHECK(info.model == "ZED-F9T");
    CHECK(info.firmware == "TIM 2.20");
    CHECK(info.protocol_version == "29.20");
    CHECK(info.protocol_major == 29);
  }
  SECTION("NEO-M8T") {
    const auto info = classify(MonVer{"ROM CORE 3.01 (107888)", "00080000",
                                      {"FWVER=TIM 1.10", "PROTVER=22.00", "MOD=NEO-M8T-0"}});
    CHECK(info.generation == Generation::m8);
    CHECK(info.timing_model);
    CHECK(info.protocol_major == 22);
  }
  SECTION("NEO-M8N: not a timing model") {
    const auto info = classify(MonVer{"ROM CORE 3.01 (107888)", "00080000",
                                      {"FWVER=SPG 3.01", "PROTVER=18.00", "MOD=NEO-M8N-0"}});
    CHECK(info.generation == Generation::m8);
    CHECK_FALSE(info.timing_model);
  }
  SECTION("M8 without MOD: generation from hwVersion, timing from TIM firmware") {
    const auto info = classify(MonVer{"1.30 (...)", "00080000", {"FWVER=TIM 1.10"}});
    CHECK(info.generation == Generation::m8);
    CHECK(info.timing_model);
    CHECK_FALSE(info.protocol_major);
  }
  SECTION("M10 is another generation") {
    const auto info = classify(MonVer{"ROM SPG 5.10 (7b202e)", "000A0000",
                                      {"FWVER=SPG 5.10", "PROTVER=34.10", "MOD=MAX-M10S"}});
    CHECK(info.generation == Generation::other);
    CHECK_FALSE(info.timing_model);
  }
  SECTION("older firmware writes 'PROTVER 15.00'") {
    const auto info = classify(MonVer{"2.01 (75350)", "00080000", {"PROTVER 15.00"}});
    CHECK(info.protocol_version == "15.00");
  }
  SECTION("lengths") {
    CHECK(err(decode_mon_ver(Frame{0x0A, 0x04, Bytes(39, 'a')})).code ==
          DecodeError::Code::too_short);
    const auto& e = err(decode_mon_ver(Frame{0x0A, 0x04, Bytes(41, 'a')}));
    CHECK(e.code == DecodeError::Code::bad_length);
    CHECK(e.message == "UBX-MON-VER: payload 41 bytes, expected 40 + 30 * N");
    CHECK(ok(decode_mon_ver(Frame{0x0A, 0x04, Bytes(40, 0)})).sw_version.empty());
  }
  SECTION("unterminated and non-printable strings stay within their field") {
    Bytes p(40, 'x');
    p[3] = 0x01;
    const auto& d = ok(decode_mon_ver(Frame{0x0A, 0x04, p}));
    CHECK(d.sw_version == std::string("xxx?") + std::string(26, 'x'));
    CHECK(d.hw_version == std::string(10, 'x'));
  }
}

TEST_CASE("TIM-SVIN: fields at their offsets; accuracy from the variance") {
  const Frame f{0x0D, 0x04, {
      0x2C, 0x01, 0x00, 0x00,  // dur 300 s
      0x10, 0x27, 0x00, 0x00,  // meanX 10000 cm
      0xF0, 0xD8, 0xFF, 0xFF,  // meanY -10000 cm
      0x01, 0x00, 0x00, 0x00,  // meanZ 1 cm
      0x40, 0x42, 0x0F, 0x00,  // meanV 1 000 000 mm^2 -> 1 m
      0x2B, 0x01, 0x00, 0x00,  // obs 299
      0x01, 0x00, 0x00, 0x00}};  // valid, not active
  const auto& s = ok(decode_tim_svin(f));
  CHECK(s.dur_s == 300);
  CHECK(s.mean_x_cm == 10000);
  CHECK(s.mean_y_cm == -10000);
  CHECK(s.mean_z_cm == 1);
  CHECK(s.obs == 299);
  CHECK(s.valid);
  CHECK_FALSE(s.active);
  CHECK(s.accuracy_m() == Approx(1.0));
  CHECK(encode_tim_svin(s) == f);
  const auto& e = err(decode_tim_svin(Frame{0x0D, 0x04, Bytes(20)}));
  CHECK(e.code == DecodeError::Code::too_short);
  CHECK(e.message == "UBX-TIM-SVIN: payload 20 bytes, expected 28");
  CHECK(err(decode_tim_svin(Frame{0x0D, 0x04, Bytes(29)})).code == DecodeError::Code::too_long);
}

TEST_CASE("TIM-TP: qErr and flags") {
  const Frame f{0x0D, 0x01, {
      0xE8, 0x03, 0x00, 0x00,  // towMS 1000
      0x00, 0x00, 0x00, 0x80,  // towSubMS 0.5 ms
      0x18, 0xFC, 0xFF, 0xFF,  // qErr -1000 ps
      0x2C, 0x09,              // week 2348
      0x03, 0x21}};            // timeBase UTC + utc available; refInfo
  const auto& t = ok(decode_tim_tp(f));
  CHECK(t.tow_ms == 1000);
  CHECK(t.tow_sub_ms == 0x80000000u);
  CHECK(t.q_err_ps == -1000);
  CHECK(t.week == 2348);
  CHECK(t.time_base_utc());
  CHECK(t.utc_available());
  CHECK_FALSE(t.q_err_invalid());
  CHECK(t.ref_info == 0x21);
  CHECK(encode_tim_tp(t) == f);
  CHECK(err(decode_tim_tp(Frame{0x0D, 0x01, Bytes(15)})).code == DecodeError::Code::too_short);
}

TEST_CASE("NAV-TIMELS: leap second fields") {
  Bytes p(24, 0);
  p[9] = 18;    // currLs
  p[11] = 1;    // lsChange +1
  p[12] = 0x80; p[13] = 0x51; p[14] = 0x01; p[15] = 0x00;  // 86400 s to the event
  p[16] = 0x2C; p[17] = 0x09;  // week 2348
  p[18] = 0x07;                // day 7
  p[23] = 0x03;
  const auto& t = ok(decode_nav_timels(Frame{0x01, 0x26, p}));
  CHECK(t.curr_ls_s == 18);
  CHECK(t.ls_change_s == 1);
  CHECK(t.time_to_ls_event_s == 86400);
  CHECK(t.date_of_ls_gps_wn == 2348);
  CHECK(t.date_of_ls_gps_dn == 7);
  CHECK(t.valid_curr_ls());
  CHECK(t.valid_time_to_ls_event());
  CHECK(encode_nav_timels(t).payload == p);
  CHECK(err(decode_nav_timels(Frame{0x01, 0x26, Bytes(23)})).code == DecodeError::Code::too_short);
}

TEST_CASE("MON-HW: antenna status, power and jamming at their offsets") {
  Bytes p(60, 0);
  p[20] = 3;          // aStatus SHORT
  p[21] = 0;          // aPower OFF
  p[22] = 2u << 2;    // jammingState warning
  p[45] = 200;        // jamInd
  const auto& h = ok(decode_mon_hw(Frame{0x0A, 0x09, p}));
  CHECK(AntennaStatus(h.a_status) == AntennaStatus::short_circuit);
  CHECK(AntennaPower(h.a_power) == AntennaPower::off);
  CHECK(h.jamming_state() == JammingState::warning);
  CHECK(h.jam_ind == 200);
  CHECK(encode_mon_hw(h).payload == p);
  CHECK(err(decode_mon_hw(Frame{0x0A, 0x09, Bytes(68)})).code == DecodeError::Code::too_long);
}

TEST_CASE("MON-RF: blocks and their count") {
  Bytes p = {0x00, 0x02, 0x00, 0x00};
  for (std::uint8_t b = 0; b < 2; ++b) {
    Bytes blk(24, 0);
    blk[0] = b;
    blk[1] = b == 1 ? 3 : 1;  // jammingState critical on block 1
    blk[2] = 2;               // antStatus OK
    blk[3] = 1;               // antPower ON
    blk[16] = std::uint8_t(10 + b);
    p.insert(p.end(), blk.begin(), blk.end());
  }
  const auto& r = ok(decode_mon_rf(Frame{0x0A, 0x38, p}));
  REQUIRE(r.blocks.size() == 2);
  CHECK(r.blocks[1].block_id == 1);
  CHECK(r.blocks[1].jamming_state() == JammingState::critical);
  CHECK(r.blocks[0].jam_ind == 10);
  CHECK(encode_mon_rf(r).payload == p);
  p.pop_back();
  CHECK(err(decode_mon_rf(Frame{0x0A, 0x38, p})).code == DecodeError::Code::bad_length);
  CHECK(err(decode_mon_rf(Frame{0x0A, 0x38, {0x00}})).code == DecodeError::Code::too_short);
  CHECK(ok(decode_mon_rf(Frame{0x0A, 0x38, {0x00, 0x00, 0x00, 0x00}})).blocks.empty());
}

TEST_CASE("NAV-PVT: satellites used and fix") {
  Bytes p(92, 0);
  p[20] = 3;   // 3D
  p[21] = 1;   // gnssFixOK
  p[23] = 14;  // numSV
  p[28] = 0x40; p[29] = 0x42; p[30] = 0x0F; p[31] = 0x00;  // lat 1 000 000 (0.1 deg)
  const auto& v = ok(decode_nav_pvt(Frame{0x01, 0x07, p}));
  CHECK(v.num_sv == 14);
  CHECK(v.fix_type == 3);
  CHECK(v.lat_1e7_deg == 1000000);
  CHECK(encode_nav_pvt(v).payload == p);
  CHECK(err(decode_nav_pvt(Frame{0x01, 0x07, Bytes(84)})).code == DecodeError::Code::too_short);
}

TEST_CASE("CFG-MSG: poll, one rate, six rates") {
  CHECK(encode(poll_cfg_msg(0x0D, 0x01)) ==
        Bytes{0xB5, 0x62, 0x06, 0x01, 0x02, 0x00, 0x0D, 0x01, 0x17, 0x4C});
  const CfgMsg one{0x0D, 0x01, {1}};
  CHECK(encode_cfg_msg(one).payload == Bytes{0x0D, 0x01, 0x01});
  CHECK(ok(decode_cfg_msg(encode_cfg_msg(one))) == one);
  const CfgMsg six{0x0D, 0x04, {0, 1, 0, 1, 0, 0}};
  CHECK(ok(decode_cfg_msg(encode_cfg_msg(six))) == six);
  CHECK(err(decode_cfg_msg(poll_cfg_msg(0x0D, 0x01))).code == DecodeError::Code::too_short);
  CHECK(err(decode_cfg_msg(Frame{0x06, 0x01, Bytes(5)})).code == DecodeError::Code::bad_length);
}

TEST_CASE("CFG-NAV5: read-modify-write of minElev keeps every other field") {
  Bytes p(36);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = std::uint8_t(i + 1);
  // The reserved bytes (26, 27, 31..35) are written as zero.
  for (std::size_t i : {26, 27, 31, 32, 33, 34, 35}) p[i] = 0;
  auto n = ok(decode_cfg_nav5(Frame{0x06, 0x24, p}));
  CHECK(n.min_elev_deg == 13);
  CHECK(n.dyn_model == 3);
  CHECK(n.utc_standard == 31);
  CHECK(encode_cfg_nav5(n).payload == p);
  n.min_elev_deg = -5;
  n.mask = CfgNav5::kMaskMinEl;
  Bytes q = p;
  q[0] = 0x02;
  q[1] = 0x00;
  q[12] = 0xFB;
  CHECK(encode_cfg_nav5(n).payload == q);
}

TEST_CASE("CFG-CFG: save everything to BBR and flash") {
  CHECK(encode(encode_cfg_cfg(cfg_save_all())) ==
        Bytes{0xB5, 0x62, 0x06, 0x09, 0x0D, 0x00,
              0x00, 0x00, 0x00, 0x00,  // clearMask
              0x1F, 0x1F, 0x00, 0x00,  // saveMask: ioPort..rxmConf, senConf..ftsConf
              0x00, 0x00, 0x00, 0x00,  // loadMask
              0x03,                    // devBBR | devFlash
              0x5D, 0xCB});  // Fletcher-8
  CfgCfg no_dev{1, 2, 3, std::nullopt};
  CHECK(encode_cfg_cfg(no_dev).payload.size() == 12);
  CHECK(ok(decode_cfg_cfg(encode_cfg_cfg(no_dev))) == no_dev);
  CHECK(err(decode_cfg_cfg(Frame{0x06, 0x09, Bytes(14)})).code == DecodeError::Code::too_long);
}

TEST_CASE("every decoder: wrong message, short, long and random payloads never misbehave") {
  using Fn = bool (*)(const Frame&);
  struct D {
    std::uint8_t c, i;
    Fn fn;
  };
#define DEC(c, i, f) D{c, i, [](const Frame& fr) { return std::holds_alternative<DecodeError>(f(fr)); }}
  const D decoders[] = {
      DEC(0x05, 0x01, decode_ack),        DEC(0x0A, 0x04, decode_mon_ver),
      DEC(0x0D, 0x04, decode_tim_svin),   DEC(0x0D, 0x01, decode_tim_tp),
      DEC(0x01, 0x26, decode_nav_timels), DEC(0x0A, 0x09, decode_mon_hw),
      DEC(0x0A, 0x38, decode_mon_rf),     DEC(0x01, 0x07, decode_nav_pvt),
      DEC(0x06, 0x3D, decode_cfg_tmode2), DEC(0x06, 0x31, decode_cfg_tp5),
      DEC(0x06, 0x01, decode_cfg_msg),    DEC(0x06, 0x24, decode_cfg_nav5),
      DEC(0x06, 0x09, decode_cfg_cfg),    DEC(0x06, 0x8A, decode_cfg_valset),
      DEC(0x06, 0x8B, decode_cfg_valget_poll), DEC(0x06, 0x8B, decode_cfg_valget_response),
  };
#undef DEC
  std::mt19937 rng(42);
  for (const auto& d : decoders) {
    CAPTURE(message_name(d.c, d.i));
    CHECK(d.fn(Frame{std::uint8_t(d.c ^ 0x40), d.i, Bytes(92)}));  // wrong class
    std::size_t accepted = 0;
    for (std::size_t n = 0; n < 300; ++n) {
      Bytes p(n);
      for (auto& b : p) b = std::uint8_t(rng());
      if (!d.fn(Frame{d.c, d.i, p})) ++accepted;
    }
    // Every message has a length rule: most sizes must be refused.
    CHECK(accepted < 300);
  }
}
