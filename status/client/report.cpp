#include "status/client/report.hpp"

#include <cmath>

#include <fmt/format.h>

#include "status/json_writer.hpp"
#include "util/units.hpp"

namespace nanotime::status {

namespace {

double num(const std::optional<JsonValue>& status, std::string_view name) {
  if (!status) return std::nan("");
  const JsonValue* v = status->at_path({"metrics", name, "value"});
  return v ? v->number_or(std::nan("")) : std::nan("");
}

// The value of one labelled series ({"result": "seen"}), NaN if absent.
double series(const std::optional<JsonValue>& status, std::string_view name,
              std::initializer_list<std::pair<std::string_view, std::string_view>> labels) {
  if (!status) return std::nan("");
  const JsonValue* s = status->at_path({"metrics", name, "series"});
  if (!s) return std::nan("");
  for (const auto& item : s->array) {
    bool match = true;
    for (const auto& [k, v] : labels) {
      const JsonValue* l = item.at_path({"labels", k});
      if (!l || l->string != v) match = false;
    }
    if (match) {
      const JsonValue* v = item.get("value");
      return v ? v->number_or(std::nan("")) : std::nan("");
    }
  }
  return std::nan("");
}

std::string str(const std::optional<JsonValue>& status, std::initializer_list<std::string_view> path) {
  if (!status) return {};
  const JsonValue* v = status->at_path(path);
  return v ? v->string_or("") : std::string();
}

std::string count(double v) { return std::isfinite(v) ? fmt::format("{:.0f}", v) : "–"; }
std::string plain(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "–"; }

std::string duration(double s) {
  if (!std::isfinite(s) || s < 0) return "–";
  const auto total = static_cast<long long>(s);
  const long long d = total / util::kSPerDay, h = total % util::kSPerDay / 3600, m = total % 3600 / 60;
  if (d > 0) return fmt::format("{}d {}h {}m", d, h, m);
  if (h > 0) return fmt::format("{}h {}m", h, m);
  return fmt::format("{}m {}s", m, total % 60);
}

std::string uptime(const std::optional<JsonValue>& status) {
  const double start = num(status, "nanotime_start_time_seconds");
  const JsonValue* now = status ? status->get("time_s") : nullptr;
  if (!now || !std::isfinite(start)) return "–";
  return duration(now->number_or(std::nan("")) - start);
}

void write_number(JsonWriter& w, std::string_view key, double v) { w.key(key).value(v); }

}  // namespace

std::string format_seconds(double s, bool signed_value) {
  if (!std::isfinite(s)) return std::isinf(s) ? "unknown" : "–";
  const double a = std::fabs(s);
  const double v = signed_value ? s : a;
  if (a < 1e-6) return signed_value ? fmt::format("{:+.1f} ns", v * 1e9) : fmt::format("{:.1f} ns", v * 1e9);
  if (a < 1e-3) return signed_value ? fmt::format("{:+.3f} µs", v * 1e6) : fmt::format("{:.3f} µs", v * 1e6);
  if (a < 1) return signed_value ? fmt::format("{:+.3f} ms", v * 1e3) : fmt::format("{:.3f} ms", v * 1e3);
  return signed_value ? fmt::format("{:+.3f} s", v) : fmt::format("{:.3f} s", v);
}

std::string format_ppb(double ratio) {
  return std::isfinite(ratio) ? fmt::format("{:+.3f} ppb", ratio * 1e9) : "–";
}

std::string format_bound(double s) {
  if (!std::isfinite(s)) return std::isinf(s) ? "unknown" : "–";
  const double a = std::fabs(s);
  if (a < 1e-6) return fmt::format("±{:.0f} ns", a * 1e9);
  if (a < 1e-3) return fmt::format("±{:.1f} µs", a * 1e6);
  if (a < 1) return fmt::format("±{:.1f} ms", a * 1e3);
  return fmt::format("±{:.1f} s", a);
}

std::string bounds_line(const PhcSyncView& phc) {
  std::string ntp = format_bound(phc.system_bound_s);
  if (!phc.system_method.empty() || !phc.latch_model.empty()) {
    ntp += fmt::format(" ({}, {})", phc.system_method.empty() ? "–" : phc.system_method,
                       phc.latch_model.empty() ? "–" : phc.latch_model);
  }
  if (phc.gpio_alarm) ntp += " GPIO ALARM";
  return fmt::format("NTP (system clock): {}; PTP (PHC): {}", ntp, format_bound(phc.error_bound_s));
}

namespace {

// The receiver watch's object of /status ("receiver"), or nullptr when the daemon has none
// (older) or watches no receiver.
const JsonValue* watched_receiver(const std::optional<JsonValue>& status) {
  if (!status) return nullptr;
  const JsonValue* r = status->get("receiver");
  if (r == nullptr) return nullptr;
  const JsonValue* w = r->get("watched");
  return w != nullptr && w->kind == JsonValue::Kind::boolean && w->boolean ? r : nullptr;
}

std::string field(const JsonValue& o, std::string_view key) {
  const JsonValue* v = o.get(key);
  return v != nullptr ? v->string_or("") : "";
}
double number_field(const JsonValue& o, std::string_view key) {
  const JsonValue* v = o.get(key);
  return v != nullptr ? v->number_or(std::nan("")) : std::nan("");
}
bool flag_field(const JsonValue& o, std::string_view key) {
  const JsonValue* v = o.get(key);
  return v != nullptr && v->kind == JsonValue::Kind::boolean && v->boolean;
}

// "ZED-F9T (TIM 2.20), survey_in 420 s ±2.5 m, antenna ok, jamming 17, 23 satellites, TIM-TP"
std::string receiver_text(const JsonValue& r) {
  if (!flag_field(r, "connected")) return "watch NOT connected to gpsd";
  const std::string model = field(r, "model");
  std::string o = model.empty() ? "unknown model" : model;
  if (const std::string fw = field(r, "firmware"); !fw.empty()) o += fmt::format(" ({})", fw);
  o += ", " + field(r, "time_mode");
  if (flag_field(r, "survey_active")) {
    o += fmt::format(" {} s", count(number_field(r, "survey_duration_s")));
    const double acc = number_field(r, "survey_accuracy_m");
    if (std::isfinite(acc)) o += fmt::format(" ±{:.1f} m", acc);
  }
  o += fmt::format(", antenna {}, jamming {}, {} satellites, TIM-TP {}", field(r, "antenna"),
                   count(number_field(r, "jamming_indicator")),
                   count(number_field(r, "satellites_used")),
                   flag_field(r, "timtp_present") ? "yes" : "NO");
  return o;
}

void write_receiver(JsonWriter& w, const std::optional<JsonValue>& status) {
  w.key("receiver");
  const JsonValue* r = watched_receiver(status);
  if (r == nullptr) {
    w.null();
    return;
  }
  w.begin_object();
  w.key("connected").value(flag_field(*r, "connected"));
  w.key("model").value(field(*r, "model"));
  w.key("firmware").value(field(*r, "firmware"));
  w.key("time_mode").value(field(*r, "time_mode"));
  w.key("survey_active").value(flag_field(*r, "survey_active"));
  write_number(w, "survey_duration_s", number_field(*r, "survey_duration_s"));
  write_number(w, "survey_accuracy_m", number_field(*r, "survey_accuracy_m"));
  w.key("antenna").value(field(*r, "antenna"));
  write_number(w, "jamming_indicator", number_field(*r, "jamming_indicator"));
  write_number(w, "satellites_used", number_field(*r, "satellites_used"));
  w.key("timtp_present").value(flag_field(*r, "timtp_present"));
  w.key("note").value(field(*r, "note"));
  w.end_object();
}

}  // namespace

Report make_report(Report r) {
  HealthInput& in = r.input;
  in.phc = r.phc_status ? phc_sync_view(*r.phc_status) : PhcSyncView{};
  in.bridge_expected = r.bridge_expected;
  in.bridge = r.bridge_status ? bridge_view(*r.bridge_status) : BridgeView{};
  in.chrony_reachable = r.tracking.has_value();
  in.tracking = r.tracking;
  in.sources = r.sources;
  r.health = assess(in);
  return r;
}

std::string render_text(const Report& r) {
  std::string o;
  const auto& p = r.phc_status;
  o += fmt::format("phc-pps-sync     {}", r.phc_endpoint);
  if (!p) {
    o += fmt::format("  UNREACHABLE: {}\n", r.phc_error);
  } else {
    o += fmt::format("  up {}  v{}\n", uptime(p), str(p, {"metrics", "nanotime_build_info", "labels", "version"}));
    const JsonValue* since = p->at_path({"metrics", "nanotime_lock_state", "since_s"});
    const JsonValue* now = p->get("time_s");
    const double in_state = since && now ? now->number_or(std::nan("")) - since->number_or(std::nan("")) : std::nan("");
    o += fmt::format("  lock state     {} (for {})\n", r.input.phc.lock_state.empty() ? "unknown" : r.input.phc.lock_state,
                     duration(in_state));
    o += fmt::format("  clockClass     {:<14} error bound  {}\n", plain(r.input.phc.clock_class),
                     format_seconds(r.input.phc.error_bound_s, false));
    if (r.input.phc.system_reported) o += fmt::format("  {}\n", bounds_line(r.input.phc));
    o += fmt::format("  PHC − TAI      {:<14} frequency    {}\n", format_seconds(r.input.phc.phc_offset_s),
                     format_ppb(r.input.phc.frequency_ratio));
    o += "  pulses        ";
    for (const char* res : {"seen", "used", "lost", "ambiguous", "stale", "outlier"}) {
      o += fmt::format(" {} {}", res, count(series(p, "nanotime_pulses_total", {{"result", res}})));
    }
    o += '\n';
    o += fmt::format("  chrony feed    sent {}, not delivered {}\n",
                     count(series(p, "nanotime_chrony_samples_total", {{"result", "sent"}})),
                     count(series(p, "nanotime_chrony_samples_total", {{"result", "not_delivered"}})));
    const double reach = r.input.phc.ptp4l_reachable;
    o += fmt::format("  ptp4l          {}", reach == 1 ? "reachable" : reach == 0 ? "NOT reachable" : "–");
    if (reach == 1) o += fmt::format(", announces clockClass {}", plain(r.input.phc.ptp4l_clock_class));
    o += '\n';
    if (const JsonValue* rx = watched_receiver(p)) {
      o += fmt::format("  receiver       {}\n", receiver_text(*rx));
      if (const std::string note = field(*rx, "note"); !note.empty()) {
        o += fmt::format("                 {}\n", note);
      }
    }
  }
  if (r.bridge_expected) {
    const auto& b = r.bridge_status;
    o += fmt::format("gps-sock-bridge  {}", r.bridge_endpoint);
    if (!b) {
      o += fmt::format("  UNREACHABLE: {}\n", r.bridge_error);
    } else {
      o += fmt::format("  up {}\n", uptime(b));
      static constexpr const char* kFix[] = {"unknown", "no fix", "2D", "3D"};
      const double fix = r.input.bridge.fix_mode;
      o += fmt::format("  gpsd           {}, fix {}, {} satellites\n",
                       r.input.bridge.gpsd_connected == 1 ? "connected" : "NOT connected",
                       fix >= 0 && fix <= 3 ? kFix[static_cast<int>(fix)] : "–",
                       count(r.input.bridge.satellites_used));
      o += fmt::format("  serial offset  {:<14} PPS offset   {}\n", format_seconds(r.input.bridge.serial_offset_s),
                       format_seconds(r.input.bridge.pps_offset_s));
    }
  }
  o += "chronyd";
  if (!r.tracking) {
    o += fmt::format("          UNREACHABLE: {}\n", r.chrony_error);
  } else {
    o += fmt::format("\n  reference      {} (stratum {}), system − NTP {}, leap {}\n",
                     r.tracking->ref_name.empty() ? "none" : r.tracking->ref_name, r.tracking->stratum,
                     format_seconds(-r.tracking->system_offset_s), r.tracking->leap_status);
    for (const auto& s : r.sources) {
      o += fmt::format("  {}{} {:<12} reach {:03o}  offset {:<14} ± {}\n", s.mode, s.state, s.name, s.reach,
                       format_seconds(s.offset_s), format_seconds(s.error_s, false));
    }
  }
  o += fmt::format("verdict: {} ({})\n", verdict_name(r.health.code), r.health.code);
  for (const auto& why : r.health.reasons) o += fmt::format("  - {}\n", why);
  return o;
}

std::string render_json(const Report& r) {
  JsonWriter w;
  w.begin_object();
  w.key("verdict").value(verdict_name(r.health.code));
  w.key("code").value(static_cast<std::int64_t>(r.health.code));
  w.key("reasons").begin_array();
  for (const auto& why : r.health.reasons) w.value(why);
  w.end_array();

  w.key("phc_pps_sync").begin_object();
  w.key("endpoint").value(r.phc_endpoint);
  w.key("reachable").value(r.phc_status.has_value());
  if (!r.phc_status) w.key("error").value(r.phc_error);
  w.key("lock_state").value(r.input.phc.lock_state);
  write_number(w, "clock_class", r.input.phc.clock_class);
  write_number(w, "error_bound_s", r.input.phc.error_bound_s);
  write_number(w, "phc_offset_s", r.input.phc.phc_offset_s);
  write_number(w, "frequency_ppb", r.input.phc.frequency_ratio * 1e9);
  write_number(w, "ptp4l_reachable", r.input.phc.ptp4l_reachable);
  write_number(w, "ptp4l_clock_class", r.input.phc.ptp4l_clock_class);
  w.key("system");
  if (!r.input.phc.system_reported) {
    w.null();
  } else {
    w.begin_object();
    write_number(w, "bound_s", r.input.phc.system_bound_s);
    w.key("method").value(r.input.phc.system_method);
    w.key("latch_model").value(r.input.phc.latch_model);
    w.key("gpio_configured").value(r.input.phc.gpio_configured);
    w.key("gpio_alarm").value(r.input.phc.gpio_alarm);
    write_number(w, "gpio_disagreement_s", r.input.phc.gpio_disagreement_s);
    w.end_object();
  }
  write_receiver(w, r.phc_status);
  w.end_object();

  w.key("gps_sock_bridge");
  if (!r.bridge_expected) {
    w.null();
  } else {
    w.begin_object();
    w.key("endpoint").value(r.bridge_endpoint);
    w.key("reachable").value(r.bridge_status.has_value());
    if (!r.bridge_status) w.key("error").value(r.bridge_error);
    write_number(w, "gpsd_connected", r.input.bridge.gpsd_connected);
    write_number(w, "fix_mode", r.input.bridge.fix_mode);
    write_number(w, "satellites_used", r.input.bridge.satellites_used);
    write_number(w, "serial_offset_s", r.input.bridge.serial_offset_s);
    write_number(w, "pps_offset_s", r.input.bridge.pps_offset_s);
    w.end_object();
  }

  w.key("chrony").begin_object();
  w.key("reachable").value(r.tracking.has_value());
  if (!r.tracking) {
    w.key("error").value(r.chrony_error);
  } else {
    w.key("reference").value(r.tracking->ref_name);
    w.key("stratum").value(static_cast<std::int64_t>(r.tracking->stratum));
    w.key("system_time_s").value(r.tracking->system_offset_s);
    w.key("leap_status").value(r.tracking->leap_status);
  }
  w.key("sources").begin_array();
  for (const auto& s : r.sources) {
    w.begin_object();
    w.key("mode").value(std::string_view(&s.mode, 1));
    w.key("state").value(std::string_view(&s.state, 1));
    w.key("name").value(s.name);
    w.key("reach").value(static_cast<std::int64_t>(s.reach));
    w.key("offset_s").value(s.offset_s);
    w.key("error_s").value(s.error_s);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  w.end_object();
  return w.take() + "\n";
}

}  // namespace nanotime::status
