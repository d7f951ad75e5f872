#include "ubx/keys.hpp"

#include <array>

namespace nanotime::ubx {

namespace {
using T = ValueType;
// Ids and scales as in the u-blox ZED-F9T interface description (cross-checked against gpsd
// 3.22's ubx.py key table).
constexpr KeyInfo kKeys[] = {
    {"CFG-TMODE-MODE", key::CFG_TMODE_MODE, T::E1, 1, ""},
    {"CFG-TMODE-POS_TYPE", key::CFG_TMODE_POS_TYPE, T::E1, 1, ""},
    {"CFG-TMODE-ECEF_X", key::CFG_TMODE_ECEF_X, T::I4, 1, "cm"},
    {"CFG-TMODE-ECEF_Y", key::CFG_TMODE_ECEF_Y, T::I4, 1, "cm"},
    {"CFG-TMODE-ECEF_Z", key::CFG_TMODE_ECEF_Z, T::I4, 1, "cm"},
    {"CFG-TMODE-ECEF_X_HP", key::CFG_TMODE_ECEF_X_HP, T::I1, 0.1, "mm"},
    {"CFG-TMODE-ECEF_Y_HP", key::CFG_TMODE_ECEF_Y_HP, T::I1, 0.1, "mm"},
    {"CFG-TMODE-ECEF_Z_HP", key::CFG_TMODE_ECEF_Z_HP, T::I1, 0.1, "mm"},
    {"CFG-TMODE-LAT", key::CFG_TMODE_LAT, T::I4, 1e-7, "deg"},
    {"CFG-TMODE-LON", key::CFG_TMODE_LON, T::I4, 1e-7, "deg"},
    {"CFG-TMODE-HEIGHT", key::CFG_TMODE_HEIGHT, T::I4, 1, "cm"},
    {"CFG-TMODE-LAT_HP", key::CFG_TMODE_LAT_HP, T::I1, 1e-9, "deg"},
    {"CFG-TMODE-LON_HP", key::CFG_TMODE_LON_HP, T::I1, 1e-9, "deg"},
    {"CFG-TMODE-HEIGHT_HP", key::CFG_TMODE_HEIGHT_HP, T::I1, 0.1, "mm"},
    {"CFG-TMODE-FIXED_POS_ACC", key::CFG_TMODE_FIXED_POS_ACC, T::U4, 0.1, "mm"},
    {"CFG-TMODE-SVIN_MIN_DUR", key::CFG_TMODE_SVIN_MIN_DUR, T::U4, 1, "s"},
    {"CFG-TMODE-SVIN_ACC_LIMIT", key::CFG_TMODE_SVIN_ACC_LIMIT, T::U4, 0.1, "mm"},

    {"CFG-TP-PULSE_DEF", key::CFG_TP_PULSE_DEF, T::E1, 1, ""},
    {"CFG-TP-PULSE_LENGTH_DEF", key::CFG_TP_PULSE_LENGTH_DEF, T::E1, 1, ""},
    {"CFG-TP-ANT_CABLEDELAY", key::CFG_TP_ANT_CABLEDELAY, T::I2, 1, "ns"},
    {"CFG-TP-PERIOD_TP1", key::CFG_TP_PERIOD_TP1, T::U4, 1, "us"},
    {"CFG-TP-PERIOD_LOCK_TP1", key::CFG_TP_PERIOD_LOCK_TP1, T::U4, 1, "us"},
    {"CFG-TP-LEN_TP1", key::CFG_TP_LEN_TP1, T::U4, 1, "us"},
    {"CFG-TP-LEN_LOCK_TP1", key::CFG_TP_LEN_LOCK_TP1, T::U4, 1, "us"},
    {"CFG-TP-USER_DELAY_TP1", key::CFG_TP_USER_DELAY_TP1, T::I4, 1, "ns"},
    {"CFG-TP-TP1_ENA", key::CFG_TP_TP1_ENA, T::L, 1, ""},
    {"CFG-TP-SYNC_GNSS_TP1", key::CFG_TP_SYNC_GNSS_TP1, T::L, 1, ""},
    {"CFG-TP-USE_LOCKED_TP1", key::CFG_TP_USE_LOCKED_TP1, T::L, 1, ""},
    {"CFG-TP-ALIGN_TO_TOW_TP1", key::CFG_TP_ALIGN_TO_TOW_TP1, T::L, 1, ""},
    {"CFG-TP-POL_TP1", key::CFG_TP_POL_TP1, T::L, 1, ""},
    {"CFG-TP-TIMEGRID_TP1", key::CFG_TP_TIMEGRID_TP1, T::E1, 1, ""},
    {"CFG-TP-FREQ_TP1", key::CFG_TP_FREQ_TP1, T::U4, 1, "Hz"},
    {"CFG-TP-FREQ_LOCK_TP1", key::CFG_TP_FREQ_LOCK_TP1, T::U4, 1, "Hz"},

    {"CFG-MSGOUT-UBX_TIM_TP_UART1", key::CFG_MSGOUT_UBX_TIM_TP_UART1, T::U1, 1, ""},
    {"CFG-MSGOUT-UBX_TIM_TP_USB", key::CFG_MSGOUT_UBX_TIM_TP_USB, T::U1, 1, ""},
    {"CFG-MSGOUT-UBX_TIM_SVIN_UART1", key::CFG_MSGOUT_UBX_TIM_SVIN_UART1, T::U1, 1, ""},
    {"CFG-MSGOUT-UBX_TIM_SVIN_USB", key::CFG_MSGOUT_UBX_TIM_SVIN_USB, T::U1, 1, ""},
    {"CFG-MSGOUT-UBX_NAV_TIMELS_UART1", key::CFG_MSGOUT_UBX_NAV_TIMELS_UART1, T::U1, 1, ""},
    {"CFG-MSGOUT-UBX_NAV_TIMELS_USB", key::CFG_MSGOUT_UBX_NAV_TIMELS_USB, T::U1, 1, ""},
    {"CFG-MSGOUT-UBX_MON_RF_UART1", key::CFG_MSGOUT_UBX_MON_RF_UART1, T::U1, 1, ""},
    {"CFG-MSGOUT-UBX_MON_RF_USB", key::CFG_MSGOUT_UBX_MON_RF_USB, T::U1, 1, ""},
    {"CFG-MSGOUT-UBX_NAV_PVT_UART1", key::CFG_MSGOUT_UBX_NAV_PVT_UART1, T::U1, 1, ""},
    {"CFG-MSGOUT-UBX_NAV_PVT_USB", key::CFG_MSGOUT_UBX_NAV_PVT_USB, T::U1, 1, ""},

    {"CFG-NAVSPG-INFIL_MINELEV", key::CFG_NAVSPG_INFIL_MINELEV, T::I1, 1, "deg"},

    {"CFG-SIGNAL-GPS_ENA", key::CFG_SIGNAL_GPS_ENA, T::L, 1, ""},
    {"CFG-SIGNAL-GAL_ENA", key::CFG_SIGNAL_GAL_ENA, T::L, 1, ""},
    {"CFG-SIGNAL-BDS_ENA", key::CFG_SIGNAL_BDS_ENA, T::L, 1, ""},
    {"CFG-SIGNAL-GLO_ENA", key::CFG_SIGNAL_GLO_ENA, T::L, 1, ""},
};
}  // namespace

std::string_view to_string(ValueType t) {
  static constexpr std::array<std::string_view, 18> names = {
      "L", "U1", "U2", "U4", "U8", "I1", "I2", "I4", "I8",
      "E1", "E2", "E4", "X1", "X2", "X4", "X8", "R4", "R8"};
  return names.at(std::size_t(t));
}

std::size_t size_bytes(ValueType t) {
  switch (t) {
    case T::L: case T::U1: case T::I1: case T::E1: case T::X1: return 1;
    case T::U2: case T::I2: case T::E2: case T::X2: return 2;
    case T::U4: case T::I4: case T::E4: case T::X4: case T::R4: return 4;
    case T::U8: case T::I8: case T::X8: case T::R8: return 8;
  }
  return 0;
}

bool is_signed(ValueType t) {
  return t == T::I1 || t == T::I2 || t == T::I4 || t == T::I8;
}

std::span<const KeyInfo> key_table() { return kKeys; }

const KeyInfo* find_key(std::string_view name) {
  for (const auto& k : kKeys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

const KeyInfo* find_key(std::uint32_t id) {
  for (const auto& k : kKeys) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

}  // namespace nanotime::ubx
