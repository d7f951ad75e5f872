// The F9 key table: ids cross-checked by hand against the ZED-F9T interface description; the
// tests check the table's internal consistency (size bits vs type, uniqueness, lookups).
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "ubx/keys.hpp"
#include "ubx/messages.hpp"

using namespace nanotime::ubx;

TEST_CASE("key table: every id's size bits agree with its type") {
  for (const auto& k : key_table()) {
    CAPTURE(std::string(k.name));
    const auto n = value_size(k.id);
    REQUIRE(n);
    CHECK(*n == size_bytes(k.type));
    // Size class 1 is a single bit: exactly the L (boolean) keys.
    CHECK((((k.id >> 28) & 0x7) == 1) == (k.type == ValueType::L));
  }
}

TEST_CASE("key table: names and ids are unique, lookups find them") {
  std::set<std::string> names;
  std::set<std::uint32_t> ids;
  for (const auto& k : key_table()) {
    CHECK(names.insert(std::string(k.name)).second);
    CHECK(ids.insert(k.id).second);
    CHECK(k.name.rfind("CFG-", 0) == 0);
    REQUIRE(find_key(k.name) != nullptr);
    CHECK(find_key(k.name)->id == k.id);
    REQUIRE(find_key(k.id) != nullptr);
    CHECK(find_key(k.id)->name == k.name);
  }
  CHECK(find_key("CFG-NOPE") == nullptr);
  CHECK(find_key(std::uint32_t{0x12345678}) == nullptr);
}

TEST_CASE("key table: the ids nanotime depends on") {
  // From the ZED-F9T interface description (group id in bits 16..23, item id in 0..11).
  CHECK(find_key("CFG-TMODE-MODE")->id == 0x20030001);
  CHECK(find_key("CFG-TMODE-SVIN_ACC_LIMIT")->id == 0x40030011);
  CHECK(find_key("CFG-TMODE-SVIN_ACC_LIMIT")->scale == 0.1);
  CHECK(find_key("CFG-TMODE-SVIN_ACC_LIMIT")->unit == "mm");
  CHECK(find_key("CFG-TP-ANT_CABLEDELAY")->id == 0x30050001);
  CHECK(find_key("CFG-TP-ANT_CABLEDELAY")->type == ValueType::I2);
  CHECK(find_key("CFG-MSGOUT-UBX_TIM_TP_UART1")->id == 0x2091017e);
  CHECK(find_key("CFG-NAVSPG-INFIL_MINELEV")->type == ValueType::I1);
  CHECK(find_key("CFG-SIGNAL-GPS_ENA")->id == 0x1031001f);
  for (const char* n : {"CFG-TMODE-POS_TYPE", "CFG-TMODE-ECEF_X", "CFG-TMODE-ECEF_Z_HP",
                        "CFG-TMODE-LAT", "CFG-TMODE-HEIGHT_HP", "CFG-TMODE-FIXED_POS_ACC",
                        "CFG-TMODE-SVIN_MIN_DUR", "CFG-TP-TP1_ENA", "CFG-TP-USE_LOCKED_TP1",
                        "CFG-TP-ALIGN_TO_TOW_TP1", "CFG-TP-TIMEGRID_TP1", "CFG-TP-POL_TP1",
                        "CFG-TP-PULSE_DEF", "CFG-TP-PERIOD_TP1", "CFG-TP-PERIOD_LOCK_TP1",
                        "CFG-TP-LEN_TP1", "CFG-TP-LEN_LOCK_TP1", "CFG-MSGOUT-UBX_TIM_SVIN_USB",
                        "CFG-MSGOUT-UBX_NAV_TIMELS_UART1", "CFG-MSGOUT-UBX_MON_RF_UART1",
                        "CFG-MSGOUT-UBX_NAV_PVT_USB", "CFG-SIGNAL-GAL_ENA",
                        "CFG-SIGNAL-BDS_ENA", "CFG-SIGNAL-GLO_ENA"}) {
    CAPTURE(n);
    CHECK(find_key(n) != nullptr);
  }
}
