// ReceiverSettings -> the Settings of one generation. Layouts from the u-blox M8 receiver
// description (CFG-TP5, CFG-TMODE2, CFG-NAV5, CFG-MSG, CFG-GNSS) and the ZED-F9T interface
// description (CFG-TMODE-*, CFG-TP-*, CFG-NAVSPG-*, CFG-MSGOUT-*, CFG-SIGNAL-*); key ids as in
// gpsd's ubxtool key table.
#include <algorithm>
#include <cmath>

#include "receiver/settings.hpp"
#include "ubx/messages.hpp"

namespace nanotime::receiver {
namespace {

constexpr std::int64_t kPeriodUs = 1'000'000;     // one pulse per second
constexpr std::int64_t kPulseLengthUs = 100'000;  // 100 ms wide once locked
constexpr double kMmPerM = 1000, kCmPerM = 100, kTenthMmPerM = 10000;

// What the daemons watch, and how often (per navigation solution). At 9600 baud a second has
// ~960 bytes: NAV-PVT (100) + TIM-TP (24) + TIM-SVIN (36) each second and MON-HW/RF every 4 s
// leave room for the rest. NAV-TIMELS (leap seconds, announced months ahead) every 255 epochs:
// the rate gpsd itself sets whenever it identifies a u-blox, so the two never undo each other.
struct Output {
  const char* name;
  std::uint8_t cls, id;
  std::uint32_t f9_uart1_key;
  int rate;
};
constexpr Output kTimTp{"TIM-TP", kClsTim, 0x01, 0x2091017e, 1};
constexpr Output kTimSvin{"TIM-SVIN", kClsTim, 0x04, 0x20910098, 1};
constexpr Output kNavPvt{"NAV-PVT", kClsNav, 0x07, 0x20910007, 1};
constexpr Output kNavTimels{"NAV-TIMELS", kClsNav, 0x26, 0x20910061, 255};
constexpr Output kMonHw{"MON-HW", kClsMon, 0x09, 0x209101b5, 4};
constexpr Output kMonRf{"MON-RF", kClsMon, 0x38, 0x2091035a, 4};

struct Gnss {
  const char* name;
  int m8_gnss_id;
  const char* f9_name;
  std::uint32_t f9_key;  // CFG-SIGNAL-<f9_name>_ENA
};
constexpr Gnss kGnss[] = {{"gps", 0, "GPS", 0x1031001f},     {"sbas", 1, "SBAS", 0x10310020},
                          {"galileo", 2, "GAL", 0x10310021}, {"beidou", 3, "BDS", 0x10310022},
                          {"qzss", 5, "QZSS", 0x10310024},   {"glonass", 6, "GLO", 0x10310025}};

class M8Builder {
 public:
  explicit M8Builder(std::vector<Setting>& out) : out_(out) {}
  void field(std::uint8_t id, Bytes poll, const std::string& message, const std::string& field,
             std::size_t offset, std::size_t size, bool is_signed, std::int64_t desired,
             const std::string& unit, std::uint32_t mask = 0) {
    Setting s;
    s.name = message + " " + field;
    s.desired = desired;
    s.unit = unit;
    s.m8 = M8Field{id, std::move(poll), message, offset, size, is_signed, mask, -1};
    out_.push_back(std::move(s));
  }
  void tp5_flag(const std::string& field, std::uint32_t mask, std::int64_t desired) {
    this->field(0x31, {0}, "CFG-TP5", field, 28, 4, false, desired, "", mask);
  }

 private:
  std::vector<Setting>& out_;
};

std::int64_t round_i(double v) { return std::llround(v); }

void m8_tmode(const ReceiverSettings& s, M8Builder& b) {
  const auto f = [&b](const std::string& n, std::size_t off, std::size_t size, bool sig,
                      std::int64_t v, const std::string& unit, std::uint32_t mask = 0) {
    b.field(0x3D, {}, "CFG-TMODE2", n, off, size, sig, v, unit, mask);
  };
  switch (s.mode) {
    case TimeMode::disabled:
      f("timeMode", 0, 1, false, 0, "");
      return;
    case TimeMode::survey_in:
      f("timeMode", 0, 1, false, 1, "");
      f("svinMinDur", 20, 4, false, round_i(s.survey_min_duration_s), "s");
      f("svinAccLimit", 24, 4, false, round_i(s.survey_accuracy_m * kMmPerM), "mm");
      return;
    case TimeMode::fixed:
      f("timeMode", 0, 1, false, 2, "");
      if (s.fixed_llh) {
        f("flags.lla", 2, 2, false, 1, "", 0x1);
        f("lat", 4, 4, true, round_i(s.fixed_llh->lat_deg * 1e7), "1e-7 deg");
        f("lon", 8, 4, true, round_i(s.fixed_llh->lon_deg * 1e7), "1e-7 deg");
        f("alt", 12, 4, true, round_i(s.fixed_llh->height_m * kCmPerM), "cm");
      } else if (s.fixed_ecef) {
        f("flags.lla", 2, 2, false, 0, "", 0x1);
        f("ecefX", 4, 4, true, round_i(s.fixed_ecef->x_m * kCmPerM), "cm");
        f("ecefY", 8, 4, true, round_i(s.fixed_ecef->y_m * kCmPerM), "cm");
        f("ecefZ", 12, 4, true, round_i(s.fixed_ecef->z_m * kCmPerM), "cm");
      }
      f("fixedPosAcc", 16, 4, false, round_i(s.fixed_accuracy_m * kMmPerM), "mm");
      return;
  }
}

void m8_timepulse(const ReceiverSettings& s, M8Builder& b) {
  b.field(0x31, {0}, "CFG-TP5", "antCableDelay", 4, 2, true, round_i(s.cable_delay_ns), "ns");
  b.field(0x31, {0}, "CFG-TP5", "freqPeriod", 8, 4, false, kPeriodUs, "us");
  b.field(0x31, {0}, "CFG-TP5", "freqPeriodLock", 12, 4, false, kPeriodUs, "us");
  // No pulse until locked: zero length while unlocked, the locked set once locked.
  b.field(0x31, {0}, "CFG-TP5", "pulseLenRatio", 16, 4, false, 0, "us");
  b.field(0x31, {0}, "CFG-TP5", "pulseLenRatioLock", 20, 4, false, kPulseLengthUs, "us");
  b.tp5_flag("flags.active", 0x1, 1);
  b.tp5_flag("flags.lockGnssFreq", 0x2, 1);
  b.tp5_flag("flags.lockedOtherSet", 0x4, 1);
  b.tp5_flag("flags.isFreq", 0x8, 0);
  b.tp5_flag("flags.isLength", 0x10, 1);
  b.tp5_flag("flags.alignToTow", 0x20, 1);
  b.tp5_flag("flags.polarity", 0x40, 1);
  b.tp5_flag("flags.gridUtcGnss", 0x780, s.time_system == "utc" ? 0 : 1);
}

void m8_outputs(M8Builder& b) {
  for (const Output& o : {kTimTp, kTimSvin, kNavPvt, kNavTimels, kMonHw}) {
    b.field(0x01, {o.cls, o.id}, std::string("CFG-MSG ") + o.name, "rate(UART1)", 3, 1, false,
            o.rate, "");
  }
}

std::vector<Setting> plan_m8(const ReceiverSettings& s) {
  std::vector<Setting> out;
  M8Builder b(out);
  m8_tmode(s, b);
  m8_timepulse(s, b);
  b.field(0x24, {}, "CFG-NAV5", "minElev", 12, 1, true, s.min_elevation_deg, "deg");
  m8_outputs(b);
  if (!s.constellations.empty()) {
    for (const Gnss& g : kGnss) {
      const bool on = std::ranges::count(s.constellations, g.name) > 0;
      Setting st;
      st.name = std::string("CFG-GNSS ") + g.name + ".enable";
      st.desired = on ? 1 : 0;
      st.m8 = M8Field{0x3E, {}, "CFG-GNSS", 0, 4, false, 0x1, g.m8_gnss_id};
      out.push_back(std::move(st));
    }
  }
  return out;
}

class F9Builder {
 public:
  explicit F9Builder(std::vector<Setting>& out) : out_(out) {}
  void key(const std::string& name, std::uint32_t id, std::int64_t desired,
           const std::string& unit = "") {
    Setting s;
    s.name = name;
    s.desired = desired;
    s.unit = unit;
    s.f9 = F9Key{id};
    out_.push_back(std::move(s));
  }

 private:
  std::vector<Setting>& out_;
};

// A value in units of `fine` split into the main key (units of `coarse`) and its _HP key, as
// the receiver adds them: main * coarse + hp * fine, |hp| < coarse / fine.
void split_hp(double value_fine, std::int64_t ratio, std::int64_t& main, std::int64_t& hp) {
  const std::int64_t v = round_i(value_fine);
  main = v / ratio;
  hp = v % ratio;
}

void f9_tmode(const ReceiverSettings& s, F9Builder& b) {
  switch (s.mode) {
    case TimeMode::disabled:
      b.key("CFG-TMODE-MODE", 0x20030001, 0);
      return;
    case TimeMode::survey_in:
      b.key("CFG-TMODE-MODE", 0x20030001, 1);
      b.key("CFG-TMODE-SVIN_MIN_DUR", 0x40030010, round_i(s.survey_min_duration_s), "s");
      b.key("CFG-TMODE-SVIN_ACC_LIMIT", 0x40030011, round_i(s.survey_accuracy_m * kTenthMmPerM),
            "0.1 mm");
      return;
    case TimeMode::fixed: break;
  }
  b.key("CFG-TMODE-MODE", 0x20030001, 2);
  std::int64_t m = 0, hp = 0;
  if (s.fixed_llh) {
    b.key("CFG-TMODE-POS_TYPE", 0x20030002, 1);
    split_hp(s.fixed_llh->lat_deg * 1e9, 100, m, hp);
    b.key("CFG-TMODE-LAT", 0x40030009, m, "1e-7 deg");
    b.key("CFG-TMODE-LAT_HP", 0x2003000c, hp, "1e-9 deg");
    split_hp(s.fixed_llh->lon_deg * 1e9, 100, m, hp);
    b.key("CFG-TMODE-LON", 0x4003000a, m, "1e-7 deg");
    b.key("CFG-TMODE-LON_HP", 0x2003000d, hp, "1e-9 deg");
    split_hp(s.fixed_llh->height_m * kTenthMmPerM, 100, m, hp);
    b.key("CFG-TMODE-HEIGHT", 0x4003000b, m, "cm");
    b.key("CFG-TMODE-HEIGHT_HP", 0x2003000e, hp, "0.1 mm");
  } else if (s.fixed_ecef) {
    b.key("CFG-TMODE-POS_TYPE", 0x20030002, 0);
    const std::uint32_t ids[3][2] = {{0x40030003, 0x20030006}, {0x40030004, 0x20030007},
                                     {0x40030005, 0x20030008}};
    const double xyz[3] = {s.fixed_ecef->x_m, s.fixed_ecef->y_m, s.fixed_ecef->z_m};
    const char* axis[3] = {"X", "Y", "Z"};
    for (int i = 0; i < 3; ++i) {
      split_hp(xyz[i] * kTenthMmPerM, 100, m, hp);
      b.key(std::string("CFG-TMODE-ECEF_") + axis[i], ids[i][0], m, "cm");
      b.key(std::string("CFG-TMODE-ECEF_") + axis[i] + "_HP", ids[i][1], hp, "0.1 mm");
    }
  }
  b.key("CFG-TMODE-FIXED_POS_ACC", 0x4003000f, round_i(s.fixed_accuracy_m * kTenthMmPerM),
        "0.1 mm");
}

void f9_timepulse(const ReceiverSettings& s, F9Builder& b) {
  b.key("CFG-TP-TP1_ENA", 0x10050007, 1);
  b.key("CFG-TP-PULSE_DEF", 0x20050023, 0);         // period, not frequency
  b.key("CFG-TP-PULSE_LENGTH_DEF", 0x20050030, 1);  // length, not duty cycle
  b.key("CFG-TP-PERIOD_TP1", 0x40050002, kPeriodUs, "us");
  b.key("CFG-TP-PERIOD_LOCK_TP1", 0x40050003, kPeriodUs, "us");
  b.key("CFG-TP-LEN_TP1", 0x40050004, 0, "us");  // no pulse until locked
  b.key("CFG-TP-LEN_LOCK_TP1", 0x40050005, kPulseLengthUs, "us");
  b.key("CFG-TP-SYNC_GNSS_TP1", 0x10050008, 1);
  b.key("CFG-TP-USE_LOCKED_TP1", 0x10050009, 1);
  b.key("CFG-TP-ALIGN_TO_TOW_TP1", 0x1005000a, 1);
  b.key("CFG-TP-POL_TP1", 0x1005000b, 1);  // rising edge on the second
  b.key("CFG-TP-TIMEGRID_TP1", 0x2005000c, s.time_system == "utc" ? 0 : 1);
  b.key("CFG-TP-ANT_CABLEDELAY", 0x30050001, round_i(s.cable_delay_ns), "ns");
}

std::vector<Setting> plan_f9(const ReceiverSettings& s) {
  std::vector<Setting> out;
  F9Builder b(out);
  f9_tmode(s, b);
  f9_timepulse(s, b);
  b.key("CFG-NAVSPG-INFIL_MINELEV", 0x201100a4, s.min_elevation_deg, "deg");
  for (const Output& o : {kTimTp, kTimSvin, kNavPvt, kNavTimels, kMonRf}) {
    std::string msg = o.name;
    std::ranges::replace(msg, '-', '_');  // "TIM-TP" is "..._UBX_TIM_TP_UART1" in key names
    b.key("CFG-MSGOUT-UBX_" + msg + "_UART1", o.f9_uart1_key, o.rate);
  }
  if (!s.constellations.empty()) {
    for (const Gnss& g : kGnss) {
      b.key(std::string("CFG-SIGNAL-") + g.f9_name + "_ENA", g.f9_key,
            std::ranges::count(s.constellations, g.name) > 0 ? 1 : 0);
    }
  }
  return out;
}

}  // namespace

std::string to_string(Generation g) { return g == Generation::m8 ? "8" : "9"; }

const std::vector<std::string>& known_constellations() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const Gnss& g : kGnss) v.emplace_back(g.name);
    return v;
  }();
  return names;
}

std::size_t value_size(F9Key k) { return ubx::value_size(k.id).value_or(0); }

// The key table's types: our signed keys are the positions and their _HP parts, the cable delay
// and the elevation mask.
bool value_signed(F9Key k) {
  switch (k.id) {
    case 0x40030003: case 0x40030004: case 0x40030005: case 0x20030006: case 0x20030007:
    case 0x20030008: case 0x40030009: case 0x4003000a: case 0x4003000b: case 0x2003000c:
    case 0x2003000d: case 0x2003000e: case 0x30050001: case 0x201100a4:
      return true;
    default:
      return false;
  }
}

std::vector<Setting> plan(const ReceiverSettings& s, Generation g) {
  return g == Generation::m8 ? plan_m8(s) : plan_f9(s);
}

}  // namespace nanotime::receiver
