#pragma once
// The u-blox generation 9 configuration keys nanotime reads or writes (CFG-VALSET/VALGET),
// each declared once in keys.cpp. A key id carries its value size in bits 28..30
// (see value_size() in messages.hpp); the table's type agrees with it (checked by a test).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace nanotime::ubx {

enum class ValueType { L, U1, U2, U4, U8, I1, I2, I4, I8, E1, E2, E4, X1, X2, X4, X8, R4, R8 };
std::string_view to_string(ValueType t);
std::size_t size_bytes(ValueType t);  // L is stored in one byte
bool is_signed(ValueType t);

struct KeyInfo {
  std::string_view name;  // "CFG-TMODE-MODE"
  std::uint32_t id = 0;
  ValueType type = ValueType::U1;
  double scale = 1.0;      // value * scale = quantity in `unit`
  std::string_view unit;   // "", "s", "mm", "deg", ...
};

std::span<const KeyInfo> key_table();
const KeyInfo* find_key(std::string_view name);  // nullptr when not in the table
const KeyInfo* find_key(std::uint32_t id);

// Ids as constants for code that builds VALSET/VALGET at compile time.
namespace key {
constexpr std::uint32_t CFG_TMODE_MODE = 0x20030001;  // E1: 0 disabled, 1 survey-in, 2 fixed
constexpr std::uint32_t CFG_TMODE_POS_TYPE = 0x20030002;  // E1: 0 ECEF, 1 LLH
constexpr std::uint32_t CFG_TMODE_ECEF_X = 0x40030003;    // I4 cm
constexpr std::uint32_t CFG_TMODE_ECEF_Y = 0x40030004;
constexpr std::uint32_t CFG_TMODE_ECEF_Z = 0x40030005;
constexpr std::uint32_t CFG_TMODE_ECEF_X_HP = 0x20030006;  // I1 0.1 mm
constexpr std::uint32_t CFG_TMODE_ECEF_Y_HP = 0x20030007;
constexpr std::uint32_t CFG_TMODE_ECEF_Z_HP = 0x20030008;
constexpr std::uint32_t CFG_TMODE_LAT = 0x40030009;     // I4 1e-7 deg
constexpr std::uint32_t CFG_TMODE_LON = 0x4003000a;
constexpr std::uint32_t CFG_TMODE_HEIGHT = 0x4003000b;  // I4 cm
constexpr std::uint32_t CFG_TMODE_LAT_HP = 0x2003000c;  // I1 1e-9 deg
constexpr std::uint32_t CFG_TMODE_LON_HP = 0x2003000d;
constexpr std::uint32_t CFG_TMODE_HEIGHT_HP = 0x2003000e;     // I1 0.1 mm
constexpr std::uint32_t CFG_TMODE_FIXED_POS_ACC = 0x4003000f;  // U4 0.1 mm
constexpr std::uint32_t CFG_TMODE_SVIN_MIN_DUR = 0x40030010;   // U4 s
constexpr std::uint32_t CFG_TMODE_SVIN_ACC_LIMIT = 0x40030011;  // U4 0.1 mm

constexpr std::uint32_t CFG_TP_PULSE_DEF = 0x20050023;  // E1: 0 period, 1 frequency
constexpr std::uint32_t CFG_TP_PULSE_LENGTH_DEF = 0x20050030;  // E1: 0 ratio, 1 length
constexpr std::uint32_t CFG_TP_ANT_CABLEDELAY = 0x30050001;    // I2 ns
constexpr std::uint32_t CFG_TP_PERIOD_TP1 = 0x40050002;        // U4 us
constexpr std::uint32_t CFG_TP_PERIOD_LOCK_TP1 = 0x40050003;
constexpr std::uint32_t CFG_TP_LEN_TP1 = 0x40050004;  // U4 us
constexpr std::uint32_t CFG_TP_LEN_LOCK_TP1 = 0x40050005;
constexpr std::uint32_t CFG_TP_USER_DELAY_TP1 = 0x40050006;  // I4 ns
constexpr std::uint32_t CFG_TP_TP1_ENA = 0x10050007;
constexpr std::uint32_t CFG_TP_SYNC_GNSS_TP1 = 0x10050008;
constexpr std::uint32_t CFG_TP_USE_LOCKED_TP1 = 0x10050009;
constexpr std::uint32_t CFG_TP_ALIGN_TO_TOW_TP1 = 0x1005000a;
constexpr std::uint32_t CFG_TP_POL_TP1 = 0x1005000b;       // L: 1 rising edge
constexpr std::uint32_t CFG_TP_TIMEGRID_TP1 = 0x2005000c;  // E1: 0 UTC, 1 GPS, 2 GLO, 3 BDS, 4 GAL
constexpr std::uint32_t CFG_TP_FREQ_TP1 = 0x40050024;       // U4 Hz
constexpr std::uint32_t CFG_TP_FREQ_LOCK_TP1 = 0x40050025;

constexpr std::uint32_t CFG_MSGOUT_UBX_TIM_TP_UART1 = 0x2091017e;
constexpr std::uint32_t CFG_MSGOUT_UBX_TIM_TP_USB = 0x20910180;
constexpr std::uint32_t CFG_MSGOUT_UBX_TIM_SVIN_UART1 = 0x20910098;
constexpr std::uint32_t CFG_MSGOUT_UBX_TIM_SVIN_USB = 0x2091009a;
constexpr std::uint32_t CFG_MSGOUT_UBX_NAV_TIMELS_UART1 = 0x20910061;
constexpr std::uint32_t CFG_MSGOUT_UBX_NAV_TIMELS_USB = 0x20910063;
constexpr std::uint32_t CFG_MSGOUT_UBX_MON_RF_UART1 = 0x2091035a;
constexpr std::uint32_t CFG_MSGOUT_UBX_MON_RF_USB = 0x2091035c;
constexpr std::uint32_t CFG_MSGOUT_UBX_NAV_PVT_UART1 = 0x20910007;
constexpr std::uint32_t CFG_MSGOUT_UBX_NAV_PVT_USB = 0x20910009;

constexpr std::uint32_t CFG_NAVSPG_INFIL_MINELEV = 0x201100a4;  // I1 deg

constexpr std::uint32_t CFG_SIGNAL_GPS_ENA = 0x1031001f;
constexpr std::uint32_t CFG_SIGNAL_GAL_ENA = 0x10310021;
constexpr std::uint32_t CFG_SIGNAL_BDS_ENA = 0x10310022;
constexpr std::uint32_t CFG_SIGNAL_GLO_ENA = 0x10310025;
}  // namespace key

}  // namespace nanotime::ubx
