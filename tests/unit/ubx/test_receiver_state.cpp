// ReceiverState fold on sequences of frames, in simulated monotonic time.
#include <catch2/catch.hpp>

#include <cstdint>

#include "ubx/keys.hpp"
#include "ubx/receiver_state.hpp"

using namespace nanotime::ubx;

namespace {
constexpr std::int64_t kSecondNs = 1'000'000'000;

Frame svin(std::uint32_t dur_s, std::uint32_t mean_v_mm2, bool valid, bool active) {
  TimSvin s;
  s.dur_s = dur_s;
  s.mean_v_mm2 = mean_v_mm2;
  s.obs = dur_s;
  s.valid = valid;
  s.active = active;
  return encode_tim_svin(s);
}

Frame mon_hw(AntennaStatus st, AntennaPower pw, std::uint8_t jam, JammingState js) {
  MonHw h;
  h.a_status = std::uint8_t(st);
  h.a_power = std::uint8_t(pw);
  h.jam_ind = jam;
  h.flags = std::uint8_t(std::uint8_t(js) << 2);
  return encode_mon_hw(h);
}
}  // namespace

TEST_CASE("ReceiverState: identity from MON-VER") {
  ReceiverState s;
  CHECK(fold(s, encode_mon_ver(MonVer{"ROM CORE 3.01 (107888)", "00080000",
                                      {"FWVER=TIM 1.10", "PROTVER=22.00", "MOD=NEO-M8T-0"}}),
             0));
  CHECK(s.identified);
  CHECK(s.model == "NEO-M8T-0");
  CHECK(s.firmware == "TIM 1.10");
  CHECK(s.generation == Generation::m8);
  CHECK(s.timing_model);
  CHECK(s.protocol_version == "22.00");
}

TEST_CASE("ReceiverState: a survey progresses, becomes valid and the mode is fixed") {
  ReceiverState s;
  std::int64_t t = 0;
  CHECK(s.time_mode == TimeMode::unknown);
  CHECK(fold(s, svin(10, 25'000'000, false, true), t));  // 5 m
  CHECK(s.time_mode == TimeMode::survey_in);
  CHECK(s.survey.active);
  CHECK(s.survey.accuracy_m == Approx(5.0));
  t += kSecondNs;
  CHECK(fold(s, svin(11, 4'000'000, false, true), t));  // 2 m
  CHECK(s.survey.dur_s == 11);
  CHECK(s.survey.accuracy_m == Approx(2.0));
  CHECK(s.survey.observations == 11);
  // The same report again is not a change.
  CHECK_FALSE(fold(s, svin(11, 4'000'000, false, true), t));
  t += kSecondNs;
  CHECK(fold(s, svin(12, 1'000'000, true, false), t));
  CHECK(s.time_mode == TimeMode::fixed);
  CHECK(s.survey.valid);
  CHECK_FALSE(s.survey.active);
  // A CFG-TMODE2 readback still saying "survey-in" after a finished survey means fixed.
  CfgTmode2 cfg;
  cfg.time_mode = CfgTmode2::survey_in;
  CHECK_FALSE(fold(s, encode_cfg_tmode2(cfg), t));
  CHECK(s.time_mode == TimeMode::fixed);
  // Time mode switched off: navigation.
  cfg.time_mode = CfgTmode2::disabled;
  CHECK(fold(s, encode_cfg_tmode2(cfg), t));
  CHECK(s.time_mode == TimeMode::navigation);
}

TEST_CASE("ReceiverState: a survey that stops without a position leaves the mode unknown") {
  ReceiverState s;
  CHECK(fold(s, svin(10, 25'000'000, false, true), 0));
  CHECK(s.time_mode == TimeMode::survey_in);
  CHECK(fold(s, svin(10, 25'000'000, false, false), 0));
  CHECK(s.time_mode == TimeMode::unknown);
  // A readback then settles it.
  CHECK(fold(s, encode_cfg_tmode2(CfgTmode2{}), 0));
  CHECK(s.time_mode == TimeMode::navigation);
}

TEST_CASE("ReceiverState: time mode from a VALGET of CFG-TMODE-MODE, RAM layer only") {
  ReceiverState s;
  CfgValgetResponse r{std::uint8_t(GetLayer::flash), 0, {{key::CFG_TMODE_MODE, 2}}};
  CHECK_FALSE(fold(s, encode_cfg_valget_response(r), 0));
  CHECK(s.time_mode == TimeMode::unknown);
  r.layer = std::uint8_t(GetLayer::ram);
  CHECK(fold(s, encode_cfg_valget_response(r), 0));
  CHECK(s.time_mode == TimeMode::fixed);
  r.items[0].value = 0;
  CHECK(fold(s, encode_cfg_valget_response(r), 0));
  CHECK(s.time_mode == TimeMode::navigation);
  // Our own poll seen again (version 0) changes nothing and is no error.
  CHECK_FALSE(fold(s, encode_cfg_valget_poll(CfgValgetPoll{0, 0, {key::CFG_TMODE_MODE}}), 0));
  CHECK(s.decode_errors == 0);
}

TEST_CASE("ReceiverState: antenna short and jamming from MON-HW; worst block of MON-RF") {
  ReceiverState s;
  CHECK(fold(s, mon_hw(AntennaStatus::ok, AntennaPower::on, 12, JammingState::ok), 0));
  CHECK(s.antenna == Antenna::ok);
  CHECK(s.jamming_indicator == 12);
  CHECK(s.jamming_state == JammingState::ok);
  CHECK(fold(s, mon_hw(AntennaStatus::short_circuit, AntennaPower::off, 12, JammingState::ok), 0));
  CHECK(s.antenna == Antenna::short_circuit);
  CHECK(to_string(s.antenna) == "short");
  CHECK(fold(s, mon_hw(AntennaStatus::dontknow, AntennaPower::off, 12, JammingState::ok), 0));
  CHECK(s.antenna == Antenna::off);

  MonRf rf;
  rf.blocks = {RfBlock{0, 1, 2, 1, 0, 0, 0, 30}, RfBlock{1, 2, 4, 1, 0, 0, 0, 80}};
  CHECK(fold(s, encode_mon_rf(rf), 0));
  CHECK(s.antenna == Antenna::open);
  CHECK(s.jamming_indicator == 80);
  CHECK(s.jamming_state == JammingState::warning);
}

TEST_CASE("ReceiverState: satellites used from NAV-PVT") {
  ReceiverState s;
  NavPvt p;
  p.num_sv = 17;
  CHECK(fold(s, encode_nav_pvt(p), 0));
  CHECK(s.satellites_used == 17);
}

TEST_CASE("ReceiverState: TIM-TP present within 3 s, absent after") {
  ReceiverState s;
  std::int64_t t = 100 * kSecondNs;
  CHECK_FALSE(tim_tp_present(s, t));
  TimTp tp;
  tp.q_err_ps = -1234;
  CHECK(fold(s, encode_tim_tp(tp), t));  // appears: a change
  CHECK(tim_tp_present(s, t));
  CHECK(s.last_tim_tp.q_err_ps == -1234);
  t += kSecondNs;
  CHECK_FALSE(fold(s, encode_tim_tp(tp), t));  // refreshed: not a change
  CHECK(tim_tp_present(s, t + 3 * kSecondNs));
  CHECK_FALSE(tim_tp_present(s, t + 3 * kSecondNs + 1));
  // After absence, the next one is a change again.
  t += 10 * kSecondNs;
  CHECK(fold(s, encode_tim_tp(tp), t));
}

TEST_CASE("ReceiverState: unknown messages ignored, decode errors counted") {
  ReceiverState s;
  CHECK_FALSE(fold(s, Frame{0x01, 0x35, {1, 2, 3}}, 0));  // NAV-SAT: not followed
  CHECK(s.decode_errors == 0);
  CHECK_FALSE(fold(s, Frame{0x0D, 0x04, std::vector<std::uint8_t>(20)}, 0));
  CHECK(s.decode_errors == 1);
  CHECK(s.last_decode_error == "UBX-TIM-SVIN: payload 20 bytes, expected 28");
  CHECK(s.frames == 2);
  CHECK(s.time_mode == TimeMode::unknown);
}
