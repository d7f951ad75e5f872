#include "ubx/messages.hpp"

#include <cmath>
#include <cstring>

#include <fmt/format.h>

namespace nanotime::ubx {

namespace {

// Little-endian field access. Callers check the payload length first; the bounds check here
// is a second line of defence (a read past the end yields 0, never memory outside).
struct Reader {
  std::span<const std::uint8_t> p;
  std::uint64_t le(std::size_t off, std::size_t n) const {
    if (n > 8 || off > p.size() || n > p.size() - off) return 0;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t(p[off + i]) << (8 * i);
    return v;
  }
  std::uint8_t u1(std::size_t off) const { return std::uint8_t(le(off, 1)); }
  std::uint16_t u2(std::size_t off) const { return std::uint16_t(le(off, 2)); }
  std::uint32_t u4(std::size_t off) const { return std::uint32_t(le(off, 4)); }
  std::int8_t i1(std::size_t off) const { return std::int8_t(u1(off)); }
  std::int16_t i2(std::size_t off) const { return std::int16_t(u2(off)); }
  std::int32_t i4(std::size_t off) const { return std::int32_t(u4(off)); }
};

struct Writer {
  std::vector<std::uint8_t> out;
  Writer& le(std::uint64_t v, std::size_t n) {  // n <= 8
    for (std::size_t i = 0; i < n && i < 8; ++i) out.push_back(std::uint8_t(v >> (8 * i)));
    return *this;
  }
  Writer& u1(std::uint8_t v) { return le(v, 1); }
  Writer& u2(std::uint16_t v) { return le(v, 2); }
  Writer& u4(std::uint32_t v) { return le(v, 4); }
  Writer& i1(std::int8_t v) { return le(std::uint8_t(v), 1); }
  Writer& i2(std::int16_t v) { return le(std::uint16_t(v), 2); }
  Writer& i4(std::int32_t v) { return le(std::uint32_t(v), 4); }
  Writer& zeros(std::size_t n) {
    out.insert(out.end(), n, 0);
    return *this;
  }
  Frame frame(std::uint8_t c, std::uint8_t i) { return Frame{c, i, std::move(out)}; }
};

DecodeError error(const Frame& f, DecodeError::Code code, const std::string& what) {
  return DecodeError{code, fmt::format("{}: {}", message_name(f), what)};
}

// nullopt when the frame is the expected message; else the error.
std::optional<DecodeError> check_id(const Frame& f, std::uint8_t c, std::uint8_t i) {
  if (f.msg_class == c && f.msg_id == i) return std::nullopt;
  return DecodeError{DecodeError::Code::wrong_message,
                     fmt::format("{}: expected {}", message_name(f), message_name(c, i))};
}

std::optional<DecodeError> check_exact(const Frame& f, std::uint8_t c, std::uint8_t i,
                                       std::size_t n) {
  if (auto e = check_id(f, c, i)) return e;
  const std::size_t got = f.payload.size();
  if (got == n) return std::nullopt;
  return error(f, got < n ? DecodeError::Code::too_short : DecodeError::Code::too_long,
               fmt::format("payload {} bytes, expected {}", got, n));
}

// Fixed-size char field: up to the first NUL, printable ASCII only (the rest is replaced).
std::string text(std::span<const std::uint8_t> bytes) {
  std::string s;
  for (std::uint8_t c : bytes) {
    if (c == 0) break;
    s.push_back(c >= 0x20 && c < 0x7F ? char(c) : '?');
  }
  return s;
}

void put_text(Writer& w, const std::string& s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) w.u1(i < s.size() ? std::uint8_t(s[i]) : 0);
}

}  // namespace

Frame poll(std::uint8_t msg_class, std::uint8_t msg_id) { return Frame{msg_class, msg_id, {}}; }

// ---- ACK ----
Decoded<Ack> decode_ack(const Frame& f) {
  if (f.msg_class != cls::ack || (f.msg_id != id::ack_ack && f.msg_id != id::ack_nak)) {
    return DecodeError{DecodeError::Code::wrong_message,
                       fmt::format("{}: expected UBX-ACK-ACK or UBX-ACK-NAK", message_name(f))};
  }
  if (auto e = check_exact(f, f.msg_class, f.msg_id, 2)) return *e;
  return Ack{f.msg_id == id::ack_ack, f.payload[0], f.payload[1]};
}

Frame encode_ack(const Ack& a) {
  return Writer{}.u1(a.msg_class).u1(a.msg_id).frame(cls::ack,
                                                     a.acknowledged ? id::ack_ack : id::ack_nak);
}

// ---- MON-VER ----
namespace {
constexpr std::size_t kSwBytes = 30, kHwBytes = 10, kExtBytes = 30;
}

Decoded<MonVer> decode_mon_ver(const Frame& f) {
  if (auto e = check_id(f, cls::mon, id::mon_ver)) return *e;
  const std::size_t n = f.payload.size();
  if (n < kSwBytes + kHwBytes) {
    return error(f, DecodeError::Code::too_short,
                 fmt::format("payload {} bytes, expected at least 40", n));
  }
  if ((n - kSwBytes - kHwBytes) % kExtBytes != 0) {
    return error(f, DecodeError::Code::bad_length,
                 fmt::format("payload {} bytes, expected 40 + 30 * N", n));
  }
  std::span<const std::uint8_t> p(f.payload);
  MonVer v;
  v.sw_version = text(p.subspan(0, kSwBytes));
  v.hw_version = text(p.subspan(kSwBytes, kHwBytes));
  for (std::size_t off = kSwBytes + kHwBytes; off < n; off += kExtBytes) {
    v.extensions.push_back(text(p.subspan(off, kExtBytes)));
  }
  return v;
}

Frame encode_mon_ver(const MonVer& v) {
  Writer w;
  put_text(w, v.sw_version, kSwBytes);
  put_text(w, v.hw_version, kHwBytes);
  for (const auto& e : v.extensions) put_text(w, e, kExtBytes);
  return w.frame(cls::mon, id::mon_ver);
}

std::string_view to_string(Generation g) {
  switch (g) {
    case Generation::m8: return "M8";
    case Generation::f9: return "F9";
    case Generation::other: return "other";
    case Generation::unknown: break;
  }
  return "unknown";
}

namespace {
// "KEY=value" (or the older "KEY value") -> value when the extension starts with KEY.
std::optional<std::string> extension_value(const MonVer& v, std::string_view key) {
  for (const auto& e : v.extensions) {
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 &&
        (e[key.size()] == '=' || e[key.size()] == ' ')) {
      return e.substr(key.size() + 1);
    }
  }
  return std::nullopt;
}

std::optional<int> leading_int(const std::string& s) {
  int v = 0;
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  const std::size_t first = i;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9' && i - first < 4; ++i) v = v * 10 + (s[i] - '0');
  if (i == first) return std::nullopt;
  return v;
}
}  // namespace

ReceiverInfo classify(const MonVer& v) {
  ReceiverInfo r;
  r.model = extension_value(v, "MOD").value_or("");
  r.firmware = extension_value(v, "FWVER").value_or(v.sw_version);
  r.protocol_version = extension_value(v, "PROTVER").value_or("");
  r.protocol_major = leading_int(r.protocol_version);
  // Generation: the module name says it best, then the hardware version (00080000 is the M8
  // chip, 00190000 the F9), then the protocol version (M8 speaks 15..23, F9 27 and up -- but
  // so do M10 receivers, which is why it comes last).
  if (r.model.find("M8") != std::string::npos) {
    r.generation = Generation::m8;
  } else if (r.model.find("F9") != std::string::npos) {
    r.generation = Generation::f9;
  } else if (v.hw_version == "00080000") {
    r.generation = Generation::m8;
  } else if (v.hw_version == "00190000") {
    r.generation = Generation::f9;
  } else if (!r.model.empty() || !v.hw_version.empty()) {
    r.generation = Generation::other;
  }
  r.timing_model = r.model.find("M8T") != std::string::npos ||
                   r.model.find("F9T") != std::string::npos || r.firmware.rfind("TIM", 0) == 0;
  return r;
}

// ---- TIM-SVIN ----
double TimSvin::accuracy_m() const { return std::sqrt(double(mean_v_mm2)) / 1000.0; }

Decoded<TimSvin> decode_tim_svin(const Frame& f) {
  if (auto e = check_exact(f, cls::tim, id::tim_svin, 28)) return *e;
  Reader r{f.payload};
  return TimSvin{r.u4(0), r.i4(4), r.i4(8), r.i4(12), r.u4(16), r.u4(20), r.u1(24) != 0,
                 r.u1(25) != 0};
}

Frame encode_tim_svin(const TimSvin& s) {
  return Writer{}
      .u4(s.dur_s).i4(s.mean_x_cm).i4(s.mean_y_cm).i4(s.mean_z_cm).u4(s.mean_v_mm2).u4(s.obs)
      .u1(s.valid ? 1 : 0).u1(s.active ? 1 : 0).zeros(2)
      .frame(cls::tim, id::tim_svin);
}

// ---- TIM-TP ----
Decoded<TimTp> decode_tim_tp(const Frame& f) {
  if (auto e = check_exact(f, cls::tim, id::tim_tp, 16)) return *e;
  Reader r{f.payload};
  return TimTp{r.u4(0), r.u4(4), r.i4(8), r.u2(12), r.u1(14), r.u1(15)};
}

Frame encode_tim_tp(const TimTp& t) {
  return Writer{}.u4(t.tow_ms).u4(t.tow_sub_ms).i4(t.q_err_ps).u2(t.week).u1(t.flags)
      .u1(t.ref_info).frame(cls::tim, id::tim_tp);
}

// ---- NAV-TIMELS ----
Decoded<NavTimels> decode_nav_timels(const Frame& f) {
  if (auto e = check_exact(f, cls::nav, id::nav_timels, 24)) return *e;
  Reader r{f.payload};
  NavTimels t;
  t.itow_ms = r.u4(0);
  t.version = r.u1(4);
  t.src_of_curr_ls = r.u1(8);
  t.curr_ls_s = r.i1(9);
  t.src_of_ls_change = r.u1(10);
  t.ls_change_s = r.i1(11);
  t.time_to_ls_event_s = r.i4(12);
  t.date_of_ls_gps_wn = r.u2(16);
  t.date_of_ls_gps_dn = r.u2(18);
  t.valid = r.u1(23);
  return t;
}

Frame encode_nav_timels(const NavTimels& t) {
  return Writer{}
      .u4(t.itow_ms).u1(t.version).zeros(3).u1(t.src_of_curr_ls).i1(t.curr_ls_s)
      .u1(t.src_of_ls_change).i1(t.ls_change_s).i4(t.time_to_ls_event_s)
      .u2(t.date_of_ls_gps_wn).u2(t.date_of_ls_gps_dn).zeros(3).u1(t.valid)
      .frame(cls::nav, id::nav_timels);
}

// ---- MON-HW ----
Decoded<MonHw> decode_mon_hw(const Frame& f) {
  if (auto e = check_exact(f, cls::mon, id::mon_hw, 60)) return *e;
  Reader r{f.payload};
  return MonHw{r.u2(16), r.u2(18), r.u1(20), r.u1(21), r.u1(22), r.u1(45)};
}

Frame encode_mon_hw(const MonHw& h) {
  return Writer{}
      .zeros(16).u2(h.noise_per_ms).u2(h.agc_cnt).u1(h.a_status).u1(h.a_power).u1(h.flags)
      .zeros(1 + 4 + 17).u1(h.jam_ind).zeros(2 + 12)
      .frame(cls::mon, id::mon_hw);
}

// ---- MON-RF ----
namespace {
constexpr std::size_t kRfHeader = 4, kRfBlock = 24;
}

Decoded<MonRf> decode_mon_rf(const Frame& f) {
  if (auto e = check_id(f, cls::mon, id::mon_rf)) return *e;
  const std::size_t n = f.payload.size();
  if (n < kRfHeader) {
    return error(f, DecodeError::Code::too_short,
                 fmt::format("payload {} bytes, expected at least 4", n));
  }
  Reader r{f.payload};
  const std::size_t blocks = r.u1(1);
  if (n != kRfHeader + kRfBlock * blocks) {
    return error(f, DecodeError::Code::bad_length,
                 fmt::format("payload {} bytes, expected {} for {} blocks",
                             n, kRfHeader + kRfBlock * blocks, blocks));
  }
  MonRf m;
  m.version = r.u1(0);
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t o = kRfHeader + kRfBlock * b;
    m.blocks.push_back(RfBlock{r.u1(o), r.u1(o + 1), r.u1(o + 2), r.u1(o + 3), r.u4(o + 4),
                               r.u2(o + 12), r.u2(o + 14), r.u1(o + 16)});
  }
  return m;
}

Frame encode_mon_rf(const MonRf& m) {
  Writer w;
  const std::size_t blocks = std::min<std::size_t>(m.blocks.size(), 255);
  w.u1(m.version).u1(std::uint8_t(blocks)).zeros(2);
  for (std::size_t b = 0; b < blocks; ++b) {
    const RfBlock& k = m.blocks[b];
    w.u1(k.block_id).u1(k.flags).u1(k.ant_status).u1(k.ant_power).u4(k.post_status).zeros(4)
        .u2(k.noise_per_ms).u2(k.agc_cnt).u1(k.jam_ind).zeros(7);
  }
  return w.frame(cls::mon, id::mon_rf);
}

// ---- NAV-PVT ----
Decoded<NavPvt> decode_nav_pvt(const Frame& f) {
  if (auto e = check_exact(f, cls::nav, id::nav_pvt, 92)) return *e;
  Reader r{f.payload};
  NavPvt p;
  p.itow_ms = r.u4(0);
  p.valid = r.u1(11);
  p.t_acc_ns = r.u4(12);
  p.fix_type = r.u1(20);
  p.flags = r.u1(21);
  p.num_sv = r.u1(23);
  p.lon_1e7_deg = r.i4(24);
  p.lat_1e7_deg = r.i4(28);
  p.height_mm = r.i4(32);
  p.h_acc_mm = r.u4(40);
  return p;
}

Frame encode_nav_pvt(const NavPvt& p) {
  return Writer{}
      .u4(p.itow_ms).zeros(7).u1(p.valid).u4(p.t_acc_ns).zeros(4).u1(p.fix_type).u1(p.flags)
      .zeros(1).u1(p.num_sv).i4(p.lon_1e7_deg).i4(p.lat_1e7_deg).i4(p.height_mm).zeros(4)
      .u4(p.h_acc_mm).zeros(92 - 44)
      .frame(cls::nav, id::nav_pvt);
}

// ---- CFG-TMODE2 ----
Decoded<CfgTmode2> decode_cfg_tmode2(const Frame& f) {
  if (auto e = check_exact(f, cls::cfg, id::cfg_tmode2, 28)) return *e;
  Reader r{f.payload};
  CfgTmode2 t;
  t.time_mode = r.u1(0);
  if (t.time_mode > CfgTmode2::fixed) {
    return error(f, DecodeError::Code::bad_value,
                 fmt::format("timeMode {} (expected 0 disabled, 1 survey-in, 2 fixed)",
                             t.time_mode));
  }
  t.flags = r.u2(2);
  t.ecef_x_or_lat = r.i4(4);
  t.ecef_y_or_lon = r.i4(8);
  t.ecef_z_or_alt = r.i4(12);
  t.fixed_pos_acc_mm = r.u4(16);
  t.svin_min_dur_s = r.u4(20);
  t.svin_acc_limit_mm = r.u4(24);
  return t;
}

Frame encode_cfg_tmode2(const CfgTmode2& t) {
  return Writer{}
      .u1(t.time_mode).zeros(1).u2(t.flags).i4(t.ecef_x_or_lat).i4(t.ecef_y_or_lon)
      .i4(t.ecef_z_or_alt).u4(t.fixed_pos_acc_mm).u4(t.svin_min_dur_s).u4(t.svin_acc_limit_mm)
      .frame(cls::cfg, id::cfg_tmode2);
}

// ---- CFG-TP5 ----
Decoded<CfgTp5> decode_cfg_tp5(const Frame& f) {
  if (auto e = check_exact(f, cls::cfg, id::cfg_tp5, 32)) return *e;
  Reader r{f.payload};
  CfgTp5 t;
  t.tp_idx = r.u1(0);
  t.version = r.u1(1);
  t.ant_cable_delay_ns = r.i2(4);
  t.rf_group_delay_ns = r.i2(6);
  t.freq_period = r.u4(8);
  t.freq_period_lock = r.u4(12);
  t.pulse_len_ratio = r.u4(16);
  t.pulse_len_ratio_lock = r.u4(20);
  t.user_config_delay_ns = r.i4(24);
  t.flags = r.u4(28);
  return t;
}

Frame encode_cfg_tp5(const CfgTp5& t) {
  return Writer{}
      .u1(t.tp_idx).u1(t.version).zeros(2).i2(t.ant_cable_delay_ns).i2(t.rf_group_delay_ns)
      .u4(t.freq_period).u4(t.freq_period_lock).u4(t.pulse_len_ratio)
      .u4(t.pulse_len_ratio_lock).i4(t.user_config_delay_ns).u4(t.flags)
      .frame(cls::cfg, id::cfg_tp5);
}

Frame poll_cfg_tp5(std::uint8_t tp_idx) {
  return Writer{}.u1(tp_idx).frame(cls::cfg, id::cfg_tp5);
}

// ---- CFG-MSG ----
Decoded<CfgMsg> decode_cfg_msg(const Frame& f) {
  if (auto e = check_id(f, cls::cfg, id::cfg_msg)) return *e;
  const std::size_t n = f.payload.size();
  if (n != 3 && n != 8) {
    return error(f, n < 3 ? DecodeError::Code::too_short : DecodeError::Code::bad_length,
                 fmt::format("payload {} bytes, expected 3 or 8", n));
  }
  return CfgMsg{f.payload[0], f.payload[1],
                std::vector<std::uint8_t>(f.payload.begin() + 2, f.payload.end())};
}

Frame encode_cfg_msg(const CfgMsg& m) {
  Writer w;
  w.u1(m.msg_class).u1(m.msg_id);
  // Only the two forms the protocol defines: one rate, or six (missing ones as 0).
  const std::size_t n = m.rates.size() <= 1 ? 1 : 6;
  for (std::size_t i = 0; i < n; ++i) w.u1(i < m.rates.size() ? m.rates[i] : 0);
  return w.frame(cls::cfg, id::cfg_msg);
}

Frame poll_cfg_msg(std::uint8_t msg_class, std::uint8_t msg_id) {
  return Writer{}.u1(msg_class).u1(msg_id).frame(cls::cfg, id::cfg_msg);
}

// ---- CFG-NAV5 ----
Decoded<CfgNav5> decode_cfg_nav5(const Frame& f) {
  if (auto e = check_exact(f, cls::cfg, id::cfg_nav5, 36)) return *e;
  Reader r{f.payload};
  CfgNav5 n;
  n.mask = r.u2(0);
  n.dyn_model = r.u1(2);
  n.fix_mode = r.u1(3);
  n.fixed_alt_cm = r.i4(4);
  n.fixed_alt_var_1e4_m2 = r.u4(8);
  n.min_elev_deg = r.i1(12);
  n.dr_limit_s = r.u1(13);
  n.p_dop_01 = r.u2(14);
  n.t_dop_01 = r.u2(16);
  n.p_acc_m = r.u2(18);
  n.t_acc_m = r.u2(20);
  n.static_hold_thresh_cm_s = r.u1(22);
  n.dgnss_timeout_s = r.u1(23);
  n.cno_thresh_num_svs = r.u1(24);
  n.cno_thresh_dbhz = r.u1(25);
  n.static_hold_max_dist_m = r.u2(28);
  n.utc_standard = r.u1(30);
  return n;
}

Frame encode_cfg_nav5(const CfgNav5& n) {
  return Writer{}
      .u2(n.mask).u1(n.dyn_model).u1(n.fix_mode).i4(n.fixed_alt_cm).u4(n.fixed_alt_var_1e4_m2)
      .i1(n.min_elev_deg).u1(n.dr_limit_s).u2(n.p_dop_01).u2(n.t_dop_01).u2(n.p_acc_m)
      .u2(n.t_acc_m).u1(n.static_hold_thresh_cm_s).u1(n.dgnss_timeout_s)
      .u1(n.cno_thresh_num_svs).u1(n.cno_thresh_dbhz).zeros(2).u2(n.static_hold_max_dist_m)
      .u1(n.utc_standard).zeros(5)
      .frame(cls::cfg, id::cfg_nav5);
}

// ---- CFG-CFG ----
Decoded<CfgCfg> decode_cfg_cfg(const Frame& f) {
  if (auto e = check_id(f, cls::cfg, id::cfg_cfg)) return *e;
  const std::size_t n = f.payload.size();
  if (n != 12 && n != 13) {
    return error(f, n < 12 ? DecodeError::Code::too_short : DecodeError::Code::too_long,
                 fmt::format("payload {} bytes, expected 12 or 13", n));
  }
  Reader r{f.payload};
  CfgCfg c{r.u4(0), r.u4(4), r.u4(8), std::nullopt};
  if (n == 13) c.device_mask = r.u1(12);
  return c;
}

Frame encode_cfg_cfg(const CfgCfg& c) {
  Writer w;
  w.u4(c.clear_mask).u4(c.save_mask).u4(c.load_mask);
  if (c.device_mask) w.u1(*c.device_mask);
  return w.frame(cls::cfg, id::cfg_cfg);
}

CfgCfg cfg_save_all() {
  return CfgCfg{0, CfgCfg::kAllSections, 0, std::uint8_t(CfgCfg::kDevBbr | CfgCfg::kDevFlash)};
}

// ---- Key/value configuration ----
std::optional<std::size_t> value_size(std::uint32_t key) {
  switch ((key >> 28) & 0x7) {
    case 1: return 1;  // one bit, carried in a byte
    case 2: return 1;
    case 3: return 2;
    case 4: return 4;
    case 5: return 8;
    default: return std::nullopt;
  }
}

std::int64_t as_signed(const KeyValue& kv) {
  const std::size_t n = value_size(kv.key).value_or(8);
  if (n >= 8) return std::int64_t(kv.value);
  const unsigned bits = unsigned(8 * n);
  const std::uint64_t v = kv.value & ((std::uint64_t(1) << bits) - 1);
  const std::uint64_t sign = std::uint64_t(1) << (bits - 1);
  return std::int64_t(v ^ sign) - std::int64_t(sign);
}

double as_r8(const KeyValue& kv) {
  double d = 0;
  std::memcpy(&d, &kv.value, sizeof d);
  return d;
}

KeyValue kv_signed(std::uint32_t key, std::int64_t v) {
  const std::size_t n = value_size(key).value_or(8);
  std::uint64_t bits = std::uint64_t(v);
  if (n < 8) bits &= (std::uint64_t(1) << (8 * n)) - 1;
  return KeyValue{key, bits};
}

KeyValue kv_r8(std::uint32_t key, double v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof v);
  return KeyValue{key, bits};
}

std::vector<std::uint8_t> encode_key_values(const std::vector<KeyValue>& items) {
  Writer w;
  for (const auto& kv : items) {
    // A key without a defined size cannot be framed; it is written with 0 value bytes so the
    // receiver NAKs the message rather than misreading the rest.
    w.u4(kv.key).le(kv.value, value_size(kv.key).value_or(0));
  }
  return std::move(w.out);
}

std::variant<std::vector<KeyValue>, std::string> decode_key_values(
    std::span<const std::uint8_t> bytes) {
  std::vector<KeyValue> items;
  Reader r{bytes};
  std::size_t off = 0;
  while (off < bytes.size()) {
    if (bytes.size() - off < 4) {
      return fmt::format("{} stray bytes at offset {} (a key id is 4)", bytes.size() - off, off);
    }
    const std::uint32_t key = r.u4(off);
    const auto n = value_size(key);
    if (!n) return fmt::format("key 0x{:08x} at offset {} has no defined size", key, off);
    if (bytes.size() - off - 4 < *n) {
      return fmt::format("key 0x{:08x} at offset {}: value of {} bytes cut short", key, off, *n);
    }
    items.push_back(KeyValue{key, r.le(off + 4, *n)});
    off += 4 + *n;
  }
  return items;
}

namespace {
// Decodes the key/value list after a 4-byte VALSET/VALGET header.
std::variant<std::vector<KeyValue>, DecodeError> items_after_header(const Frame& f) {
  auto kv = decode_key_values(std::span(f.payload).subspan(4));
  if (auto* msg = std::get_if<std::string>(&kv)) {
    return error(f, DecodeError::Code::bad_length, *msg);
  }
  return std::get<std::vector<KeyValue>>(std::move(kv));
}

std::optional<DecodeError> check_min(const Frame& f, std::size_t n) {
  if (f.payload.size() >= n) return std::nullopt;
  return error(f, DecodeError::Code::too_short,
               fmt::format("payload {} bytes, expected at least {}", f.payload.size(), n));
}
}  // namespace

Decoded<CfgValset> decode_cfg_valset(const Frame& f) {
  if (auto e = check_id(f, cls::cfg, id::cfg_valset)) return *e;
  if (auto e = check_min(f, 4)) return *e;
  CfgValset v;
  v.version = f.payload[0];
  v.layers = f.payload[1];
  if (v.version > 1) {
    return error(f, DecodeError::Code::bad_value, fmt::format("version {}, expected 0 or 1",
                                                              v.version));
  }
  if (v.version == 1) v.transaction = f.payload[2] & 0x03;
  auto items = items_after_header(f);
  if (auto* e = std::get_if<DecodeError>(&items)) return *e;
  v.items = std::get<std::vector<KeyValue>>(std::move(items));
  return v;
}

Frame encode_cfg_valset(const CfgValset& v) {
  Writer w;
  w.u1(v.version).u1(v.layers).u1(v.version == 1 ? std::uint8_t(v.transaction & 0x03) : 0)
      .zeros(1);
  auto body = encode_key_values(v.items);
  w.out.insert(w.out.end(), body.begin(), body.end());
  return w.frame(cls::cfg, id::cfg_valset);
}

Frame encode_cfg_valget_poll(const CfgValgetPoll& p) {
  Writer w;
  w.u1(0).u1(p.layer).u2(p.position);
  for (std::uint32_t k : p.keys) w.u4(k);
  return w.frame(cls::cfg, id::cfg_valget);
}

Decoded<CfgValgetPoll> decode_cfg_valget_poll(const Frame& f) {
  if (auto e = check_id(f, cls::cfg, id::cfg_valget)) return *e;
  if (auto e = check_min(f, 4)) return *e;
  if (f.payload[0] != 0) {
    return error(f, DecodeError::Code::bad_value,
                 fmt::format("version {}, expected 0 (a poll)", f.payload[0]));
  }
  if ((f.payload.size() - 4) % 4 != 0) {
    return error(f, DecodeError::Code::bad_length,
                 fmt::format("payload {} bytes, expected 4 + 4 * keys", f.payload.size()));
  }
  Reader r{f.payload};
  CfgValgetPoll p{r.u1(1), r.u2(2), {}};
  for (std::size_t off = 4; off < f.payload.size(); off += 4) p.keys.push_back(r.u4(off));
  return p;
}

Decoded<CfgValgetResponse> decode_cfg_valget_response(const Frame& f) {
  if (auto e = check_id(f, cls::cfg, id::cfg_valget)) return *e;
  if (auto e = check_min(f, 4)) return *e;
  if (f.payload[0] != 1) {
    return error(f, DecodeError::Code::bad_value,
                 fmt::format("version {}, expected 1 (a response)", f.payload[0]));
  }
  Reader r{f.payload};
  CfgValgetResponse resp{r.u1(1), r.u2(2), {}};
  auto items = items_after_header(f);
  if (auto* e = std::get_if<DecodeError>(&items)) return *e;
  resp.items = std::get<std::vector<KeyValue>>(std::move(items));
  return resp;
}

Frame encode_cfg_valget_response(const CfgValgetResponse& resp) {
  Writer w;
  w.u1(1).u1(resp.layer).u2(resp.position);
  auto body = encode_key_values(resp.items);
  w.out.insert(w.out.end(), body.begin(), body.end());
  return w.frame(cls::cfg, id::cfg_valget);
}

}  // namespace nanotime::ubx
