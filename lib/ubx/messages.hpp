#pragma once
// Typed UBX messages for u-blox generation 8 (LEA/NEO-M8T, protocol 15..23) and generation 9
// (ZED-F9T, protocol 27+). decode_X() checks class, id and every length and never reads
// outside the payload; a failure is a DecodeError naming the message and what was wrong.
// encode_X() builds the frame we send. Field names follow the u-blox interface description;
// units are in the member names. Layouts: docs/hardware-notes.md#ublox.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ubx/frame.hpp"

namespace nanotime::ubx {

// Classes and ids of the messages below.
namespace cls {
constexpr std::uint8_t nav = 0x01;
constexpr std::uint8_t ack = 0x05;
constexpr std::uint8_t cfg = 0x06;
constexpr std::uint8_t mon = 0x0A;
constexpr std::uint8_t tim = 0x0D;
}  // namespace cls
namespace id {
constexpr std::uint8_t nav_pvt = 0x07;
constexpr std::uint8_t nav_timels = 0x26;
constexpr std::uint8_t ack_nak = 0x00;
constexpr std::uint8_t ack_ack = 0x01;
constexpr std::uint8_t cfg_msg = 0x01;
constexpr std::uint8_t cfg_cfg = 0x09;
constexpr std::uint8_t cfg_nav5 = 0x24;
constexpr std::uint8_t cfg_tp5 = 0x31;
constexpr std::uint8_t cfg_tmode2 = 0x3D;
constexpr std::uint8_t cfg_valset = 0x8A;
constexpr std::uint8_t cfg_valget = 0x8B;
constexpr std::uint8_t mon_ver = 0x04;
constexpr std::uint8_t mon_hw = 0x09;
constexpr std::uint8_t mon_rf = 0x38;
constexpr std::uint8_t tim_tp = 0x01;
constexpr std::uint8_t tim_svin = 0x04;
}  // namespace id

struct DecodeError {
  enum class Code {
    wrong_message,  // class/id is not the one this decoder reads
    too_short,      // payload shorter than the fixed part
    too_long,       // payload longer than the layout allows
    bad_length,     // a repeated/variable part does not fit the payload exactly
    bad_value,      // a field holds a value the protocol does not define (e.g. version)
  };
  Code code = Code::wrong_message;
  std::string message;  // "UBX-TIM-SVIN: payload 20 bytes, expected 28"
};

template <class T>
using Decoded = std::variant<T, DecodeError>;

// An empty-payload frame: the poll request for most messages (MON-VER, CFG-TMODE2, ...).
Frame poll(std::uint8_t msg_class, std::uint8_t msg_id);

// ---- ACK-ACK / ACK-NAK: the answer to every CFG message. ----
struct Ack {
  bool acknowledged = false;  // ACK-ACK true, ACK-NAK false
  std::uint8_t msg_class = 0;  // the message it answers
  std::uint8_t msg_id = 0;
  friend bool operator==(const Ack&, const Ack&) = default;
};
Decoded<Ack> decode_ack(const Frame& f);  // either of ACK-ACK, ACK-NAK
Frame encode_ack(const Ack& a);

// ---- MON-VER (poll: empty payload) ----
struct MonVer {
  std::string sw_version;               // e.g. "ROM CORE 3.01 (107888)"
  std::string hw_version;               // e.g. "00080000" (M8), "00190000" (F9)
  std::vector<std::string> extensions;  // "FWVER=TIM 1.10", "PROTVER=22.00", "MOD=NEO-M8T-0"
  friend bool operator==(const MonVer&, const MonVer&) = default;
};
Decoded<MonVer> decode_mon_ver(const Frame& f);
Frame encode_mon_ver(const MonVer& v);  // as a receiver sends it (tests, fakes)

enum class Generation { unknown, m8, f9, other };
std::string_view to_string(Generation g);  // "unknown", "M8", "F9", "other"

struct ReceiverInfo {
  Generation generation = Generation::unknown;
  bool timing_model = false;     // MOD contains M8T/F9T, or FWVER starts with "TIM"
  std::string model;             // MOD= value ("" when absent)
  std::string firmware;          // FWVER= value, else sw_version
  std::string protocol_version;  // PROTVER= value, "" when absent
  std::optional<int> protocol_major;
  friend bool operator==(const ReceiverInfo&, const ReceiverInfo&) = default;
};
ReceiverInfo classify(const MonVer& v);

// ---- TIM-SVIN: survey-in status (28 bytes) ----
struct TimSvin {
  std::uint32_t dur_s = 0;
  std::int32_t mean_x_cm = 0;
  std::int32_t mean_y_cm = 0;
  std::int32_t mean_z_cm = 0;
  std::uint32_t mean_v_mm2 = 0;  // variance of the mean position
  std::uint32_t obs = 0;
  bool valid = false;
  bool active = false;
  double accuracy_m() const;  // sqrt(mean_v_mm2) / 1000
  friend bool operator==(const TimSvin&, const TimSvin&) = default;
};
Decoded<TimSvin> decode_tim_svin(const Frame& f);
Frame encode_tim_svin(const TimSvin& s);

// ---- TIM-TP: time of the next pulse and its quantisation error (16 bytes) ----
struct TimTp {
  std::uint32_t tow_ms = 0;
  std::uint32_t tow_sub_ms = 0;  // units of 2^-32 ms
  std::int32_t q_err_ps = 0;
  std::uint16_t week = 0;
  std::uint8_t flags = 0;     // bit0 timeBase (1 = UTC), bit1 utc available, bits2-3 raim,
                              // bit4 qErrInvalid
  std::uint8_t ref_info = 0;  // bits0-3 timeRefGnss, bits4-7 utcStandard
  bool time_base_utc() const { return (flags & 0x01) != 0; }
  bool utc_available() const { return (flags & 0x02) != 0; }
  bool q_err_invalid() const { return (flags & 0x10) != 0; }
  friend bool operator==(const TimTp&, const TimTp&) = default;
};
Decoded<TimTp> decode_tim_tp(const Frame& f);
Frame encode_tim_tp(const TimTp& t);

// ---- NAV-TIMELS: leap second information (24 bytes) ----
struct NavTimels {
  std::uint32_t itow_ms = 0;
  std::uint8_t version = 0;
  std::uint8_t src_of_curr_ls = 0;
  std::int8_t curr_ls_s = 0;  // GPS-UTC
  std::uint8_t src_of_ls_change = 0;
  std::int8_t ls_change_s = 0;  // -1, 0, +1
  std::int32_t time_to_ls_event_s = 0;
  std::uint16_t date_of_ls_gps_wn = 0;
  std::uint16_t date_of_ls_gps_dn = 0;
  std::uint8_t valid = 0;  // bit0 validCurrLs, bit1 validTimeToLsEvent
  bool valid_curr_ls() const { return (valid & 0x01) != 0; }
  bool valid_time_to_ls_event() const { return (valid & 0x02) != 0; }
  friend bool operator==(const NavTimels&, const NavTimels&) = default;
};
Decoded<NavTimels> decode_nav_timels(const Frame& f);
Frame encode_nav_timels(const NavTimels& t);

// ---- Antenna and jamming (MON-HW gen 8, MON-RF gen 9) ----
enum class AntennaStatus : std::uint8_t { init = 0, dontknow = 1, ok = 2, short_circuit = 3, open = 4 };
enum class AntennaPower : std::uint8_t { off = 0, on = 1, dontknow = 2 };
enum class JammingState : std::uint8_t { unknown = 0, ok = 1, warning = 2, critical = 3 };

// MON-HW (60 bytes). Only the fields we use are kept; encode zeroes the rest.
struct MonHw {
  std::uint16_t noise_per_ms = 0;
  std::uint16_t agc_cnt = 0;
  std::uint8_t a_status = 0;  // AntennaStatus (raw: values above 4 are kept as read)
  std::uint8_t a_power = 0;   // AntennaPower
  std::uint8_t flags = 0;     // bits2-3 jammingState
  std::uint8_t jam_ind = 0;   // 0 (none) .. 255 (strong CW jamming)
  JammingState jamming_state() const { return JammingState((flags >> 2) & 0x03); }
  friend bool operator==(const MonHw&, const MonHw&) = default;
};
Decoded<MonHw> decode_mon_hw(const Frame& f);
Frame encode_mon_hw(const MonHw& h);

// MON-RF (4 + 24 * nBlocks), one block per RF band.
struct RfBlock {
  std::uint8_t block_id = 0;
  std::uint8_t flags = 0;  // bits0-1 jammingState
  std::uint8_t ant_status = 0;
  std::uint8_t ant_power = 0;
  std::uint32_t post_status = 0;
  std::uint16_t noise_per_ms = 0;
  std::uint16_t agc_cnt = 0;
  std::uint8_t jam_ind = 0;
  JammingState jamming_state() const { return JammingState(flags & 0x03); }
  friend bool operator==(const RfBlock&, const RfBlock&) = default;
};
struct MonRf {
  std::uint8_t version = 0;
  std::vector<RfBlock> blocks;
  friend bool operator==(const MonRf&, const MonRf&) = default;
};
Decoded<MonRf> decode_mon_rf(const Frame& f);
Frame encode_mon_rf(const MonRf& r);

// ---- NAV-PVT (92 bytes): only what the watcher needs. ----
struct NavPvt {
  std::uint32_t itow_ms = 0;
  std::uint8_t valid = 0;     // bit0 validDate, bit1 validTime, bit2 fullyResolved
  std::uint32_t t_acc_ns = 0;
  std::uint8_t fix_type = 0;  // 0 none, 2 2D, 3 3D, 5 time only
  std::uint8_t flags = 0;     // bit0 gnssFixOK
  std::uint8_t num_sv = 0;    // satellites used in the solution
  std::int32_t lon_1e7_deg = 0;
  std::int32_t lat_1e7_deg = 0;
  std::int32_t height_mm = 0;  // above the ellipsoid
  std::uint32_t h_acc_mm = 0;
  friend bool operator==(const NavPvt&, const NavPvt&) = default;
};
Decoded<NavPvt> decode_nav_pvt(const Frame& f);
Frame encode_nav_pvt(const NavPvt& p);

// ==== Generation 8 configuration ====

// CFG-TMODE2 (28 bytes; poll: empty payload).
struct CfgTmode2 {
  enum Mode : std::uint8_t { disabled = 0, survey_in = 1, fixed = 2 };
  std::uint8_t time_mode = disabled;
  std::uint16_t flags = 0;  // bit0 lla (position as LLH, else ECEF), bit1 altInv
  // ECEF: cm. LLH: lat/lon in 1e-7 deg, altitude in cm.
  std::int32_t ecef_x_or_lat = 0;
  std::int32_t ecef_y_or_lon = 0;
  std::int32_t ecef_z_or_alt = 0;
  std::uint32_t fixed_pos_acc_mm = 0;
  std::uint32_t svin_min_dur_s = 0;
  std::uint32_t svin_acc_limit_mm = 0;
  bool lla() const { return (flags & 0x0001) != 0; }
  friend bool operator==(const CfgTmode2&, const CfgTmode2&) = default;
};
Decoded<CfgTmode2> decode_cfg_tmode2(const Frame& f);
Frame encode_cfg_tmode2(const CfgTmode2& t);

// CFG-TP5 (32 bytes, version 1; poll: empty payload = TIMEPULSE, or 1 byte tpIdx).
struct CfgTp5 {
  // flags bits (gridUtcGnss is bits 7..10 from protocol 16; before that bit 7 alone: 0 UTC, 1 GPS)
  static constexpr std::uint32_t kActive = 1u << 0;
  static constexpr std::uint32_t kLockGnssFreq = 1u << 1;
  static constexpr std::uint32_t kLockedOtherSet = 1u << 2;
  static constexpr std::uint32_t kIsFreq = 1u << 3;
  static constexpr std::uint32_t kIsLength = 1u << 4;
  static constexpr std::uint32_t kAlignToTow = 1u << 5;
  static constexpr std::uint32_t kPolarity = 1u << 6;  // 1 = rising edge at the top of second
  static constexpr unsigned kGridShift = 7;
  static constexpr std::uint32_t kGridMask = 0xFu << kGridShift;  // 0 UTC, 1 GPS, 2 GLO, 3 BDS, 4 GAL

  std::uint8_t tp_idx = 0;   // 0 TIMEPULSE, 1 TIMEPULSE2
  std::uint8_t version = 1;
  std::int16_t ant_cable_delay_ns = 0;
  std::int16_t rf_group_delay_ns = 0;  // read-only on the receiver
  std::uint32_t freq_period = 0;       // Hz if isFreq, else us
  std::uint32_t freq_period_lock = 0;
  std::uint32_t pulse_len_ratio = 0;   // us if isLength, else 2^-32 duty
  std::uint32_t pulse_len_ratio_lock = 0;
  std::int32_t user_config_delay_ns = 0;
  std::uint32_t flags = 0;
  std::uint8_t grid_utc_gnss() const { return std::uint8_t((flags & kGridMask) >> kGridShift); }
  void set_grid_utc_gnss(std::uint8_t grid) {
    flags = (flags & ~kGridMask) | ((std::uint32_t(grid) << kGridShift) & kGridMask);
  }
  friend bool operator==(const CfgTp5&, const CfgTp5&) = default;
};
Decoded<CfgTp5> decode_cfg_tp5(const Frame& f);
Frame encode_cfg_tp5(const CfgTp5& t);
Frame poll_cfg_tp5(std::uint8_t tp_idx);

// CFG-MSG: rate of one message on the current port (3 bytes) or on all 6 ports (8 bytes).
struct CfgMsg {
  std::uint8_t msg_class = 0;
  std::uint8_t msg_id = 0;
  // One rate: the port the request came in on. Six: I2C, UART1, UART2, USB, SPI, reserved.
  std::vector<std::uint8_t> rates;  // size 1 or 6
  friend bool operator==(const CfgMsg&, const CfgMsg&) = default;
};
Decoded<CfgMsg> decode_cfg_msg(const Frame& f);  // 3- or 8-byte forms (a 2-byte poll is an error)
Frame encode_cfg_msg(const CfgMsg& m);
Frame poll_cfg_msg(std::uint8_t msg_class, std::uint8_t msg_id);  // 2-byte payload

// CFG-NAV5 (36 bytes). Every field is kept so a read-modify-write changes only what is meant.
struct CfgNav5 {
  static constexpr std::uint16_t kMaskDyn = 1u << 0;
  static constexpr std::uint16_t kMaskMinEl = 1u << 1;
  static constexpr std::uint16_t kMaskPosFixMode = 1u << 2;
  static constexpr std::uint16_t kMaskUtc = 1u << 10;
  std::uint16_t mask = 0;  // which settings a write applies
  std::uint8_t dyn_model = 0;
  std::uint8_t fix_mode = 0;
  std::int32_t fixed_alt_cm = 0;
  std::uint32_t fixed_alt_var_1e4_m2 = 0;
  std::int8_t min_elev_deg = 0;
  std::uint8_t dr_limit_s = 0;
  std::uint16_t p_dop_01 = 0;
  std::uint16_t t_dop_01 = 0;
  std::uint16_t p_acc_m = 0;
  std::uint16_t t_acc_m = 0;
  std::uint8_t static_hold_thresh_cm_s = 0;
  std::uint8_t dgnss_timeout_s = 0;
  std::uint8_t cno_thresh_num_svs = 0;
  std::uint8_t cno_thresh_dbhz = 0;
  std::uint16_t static_hold_max_dist_m = 0;
  std::uint8_t utc_standard = 0;
  friend bool operator==(const CfgNav5&, const CfgNav5&) = default;
};
Decoded<CfgNav5> decode_cfg_nav5(const Frame& f);
Frame encode_cfg_nav5(const CfgNav5& n);

// CFG-CFG (12 bytes, or 13 with deviceMask): clear, save, load configuration sections.
struct CfgCfg {
  static constexpr std::uint32_t kAllSections = 0x00001F1F;  // ioPort..ftsConf
  static constexpr std::uint8_t kDevBbr = 1u << 0;
  static constexpr std::uint8_t kDevFlash = 1u << 1;
  static constexpr std::uint8_t kDevEeprom = 1u << 2;
  static constexpr std::uint8_t kDevSpiFlash = 1u << 4;
  std::uint32_t clear_mask = 0;
  std::uint32_t save_mask = 0;
  std::uint32_t load_mask = 0;
  std::optional<std::uint8_t> device_mask;
  friend bool operator==(const CfgCfg&, const CfgCfg&) = default;
};
Decoded<CfgCfg> decode_cfg_cfg(const Frame& f);
Frame encode_cfg_cfg(const CfgCfg& c);
// Save the whole current configuration to BBR and flash.
CfgCfg cfg_save_all();

// ==== Generation 9 configuration: key/value ====

enum Layer : std::uint8_t { ram = 0x01, bbr = 0x02, flash = 0x04 };  // VALSET layers bitmask
enum class GetLayer : std::uint8_t { ram = 0, bbr = 1, flash = 2, default_ = 7 };

// Bytes a value of `key` occupies (from bits 28..30 of the id): 1, 1, 2, 4, 8; nullopt for
// sizes the protocol does not define.
std::optional<std::size_t> value_size(std::uint32_t key);

struct KeyValue {
  std::uint32_t key = 0;
  std::uint64_t value = 0;  // raw little-endian bits, value_size(key) bytes of them used
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};
// Helpers to and from the raw bits for the common types.
std::int64_t as_signed(const KeyValue& kv);  // sign-extended from the key's size
double as_r8(const KeyValue& kv);
KeyValue kv_signed(std::uint32_t key, std::int64_t v);
KeyValue kv_r8(std::uint32_t key, double v);

struct CfgValset {
  std::uint8_t version = 0;      // 0: no transaction, 1: with transaction field
  std::uint8_t layers = Layer::ram;
  std::uint8_t transaction = 0;  // version 1: 0 none, 1 begin, 2 continue, 3 apply
  std::vector<KeyValue> items;   // the protocol allows at most 64
  friend bool operator==(const CfgValset&, const CfgValset&) = default;
};
Decoded<CfgValset> decode_cfg_valset(const Frame& f);
Frame encode_cfg_valset(const CfgValset& v);

struct CfgValgetPoll {
  std::uint8_t layer = std::uint8_t(GetLayer::ram);
  std::uint16_t position = 0;  // skip this many results (for more than 64)
  std::vector<std::uint32_t> keys;
  friend bool operator==(const CfgValgetPoll&, const CfgValgetPoll&) = default;
};
Frame encode_cfg_valget_poll(const CfgValgetPoll& p);
Decoded<CfgValgetPoll> decode_cfg_valget_poll(const Frame& f);  // version 0 (fakes, tests)

struct CfgValgetResponse {
  std::uint8_t layer = 0;
  std::uint16_t position = 0;
  std::vector<KeyValue> items;
  friend bool operator==(const CfgValgetResponse&, const CfgValgetResponse&) = default;
};
Decoded<CfgValgetResponse> decode_cfg_valget_response(const Frame& f);  // version 1
Frame encode_cfg_valget_response(const CfgValgetResponse& r);

// Key/value list <-> bytes (used by VALSET and VALGET): an unknown size class or a value
// cut short is an error naming the key and the offset.
std::vector<std::uint8_t> encode_key_values(const std::vector<KeyValue>& items);
std::variant<std::vector<KeyValue>, std::string> decode_key_values(
    std::span<const std::uint8_t> bytes);

}  // namespace nanotime::ubx
