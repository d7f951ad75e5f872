#include "sim/profile.hpp"

#include <charconv>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "config/config.hpp"

namespace nanotime::sim {
namespace {

using config::ConfigError;
using config::Range;
using config::Table;

constexpr double kBig = 1e12;
constexpr Range kAnyTime{0, 1e9};             // seconds from t = 0
constexpr Range kNonNegative{0, kBig};

// Days from 1970-01-01 to a civil date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool parse_number(std::string_view s, int& out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

double required_double(Table& t, std::string_view key, Range range) {
  if (t.node(key) == nullptr) t.fail(key, "missing (required)");
  return t.get_double(key, 0, range);
}

Window read_window(Table& t) {
  Window w;
  w.start_s = required_double(t, "start_s", kAnyTime);
  w.duration_s = required_double(t, "duration_s", {0, 1e9});
  return w;
}

PointFault read_point(Table& t) {
  PointFault p;
  p.at_s = required_double(t, "at_s", kAnyTime);
  p.offset_ns = required_double(t, "offset_ns", {-1e12, 1e12});
  return p;
}

TemperatureStep read_temperature_step(Table& t) {
  TemperatureStep s;
  s.at_s = required_double(t, "at_s", kAnyTime);
  s.delta_c = required_double(t, "delta_c", {-200, 200});
  return s;
}

template <typename T, typename F>
std::vector<T> read_list(Table& parent, std::string_view key, F read_one) {
  std::vector<T> out;
  for (Table& t : parent.table_array(key)) {
    out.push_back(read_one(t));
    t.finish();
  }
  return out;
}

std::int64_t read_date(Table& t, std::string_view key, bool date_only) {
  const std::string s = t.get_string(key, "");
  const auto v = parse_utc(s);
  const bool has_time = s.size() > 10;
  if (!v || (date_only && has_time)) {
    t.fail(key, date_only ? fmt::format("\"{}\" is not a date like \"2026-06-30\"", s)
                          : fmt::format("\"{}\" is not a UTC time like \"2026-06-30T12:00:00Z\"", s));
  }
  return *v;
}

void read_sim(Table t, Profile& p) {
  SimSection& s = p.sim;
  s.duration_s = t.get_double("duration_s", s.duration_s, {1, 1e8});
  s.seed = static_cast<std::uint64_t>(
      t.get_int("seed", 1, {0, static_cast<double>(std::numeric_limits<std::int64_t>::max())}));
  if (t.node("start_utc") != nullptr) s.start_utc_s = read_date(t, "start_utc", false);
  s.tai_utc_s = static_cast<int>(t.get_int("tai_utc_s", s.tai_utc_s, {0, 1000}));
  if (t.node("leap_second") != nullptr) s.leap_day_utc_s = read_date(t, "leap_second", true);
  s.system_offset_s = t.get_double("system_offset_s", 0, {-1e9, 1e9});
  t.finish();
}

void read_phc(Table t, Profile& p) {
  PhcSection& c = p.phc;
  c.initial_offset_s = t.get_double("initial_offset_s", 0, {-1e10, 1e10});
  c.freq_offset_ppb = t.get_double("freq_offset_ppb", 0, {-1e8, 1e8});
  c.aging_ppb_per_day = t.get_double("aging_ppb_per_day", 0, {-1e6, 1e6});
  c.white_fm_ppb = t.get_double("white_fm_ppb", 0, kNonNegative);
  c.flicker_fm_ppb = t.get_double("flicker_fm_ppb", 0, kNonNegative);
  c.random_walk_fm_ppb_per_sqrt_s = t.get_double("random_walk_fm_ppb_per_sqrt_s", 0, kNonNegative);
  c.temp_coeff_ppb_per_c = t.get_double("temp_coeff_ppb_per_c", 0, {-1e6, 1e6});
  c.resolution_ns = t.get_int("resolution_ns", 1, {1, 1e9});
  c.max_adj_ppb = t.get_double("max_adj_ppb", c.max_adj_ppb, {1, 1e9});
  c.step_error_ns = t.get_double("step_error_ns", 0, {0, 1e12});
  c.both_edges = t.get_bool("both_edges", false);
  c.pulse_width_s = t.get_double("pulse_width_s", 0.1, {1e-6, 0.9});
  c.precise_offset = t.get_bool("precise_offset", false);
  t.finish();
}

void read_temperature(Table t, Profile& p) {
  TemperatureSection& c = p.temperature;
  c.present = t.present();
  c.mean_c = t.get_double("mean_c", c.mean_c, {-100, 200});
  c.daily_amp_c = t.get_double("daily_amp_c", 0, {0, 200});
  c.noise_c = t.get_double("noise_c", 0, {0, 200});
  c.steps = read_list<TemperatureStep>(t, "steps", read_temperature_step);
  t.finish();
}

void read_gnss(Table t, Profile& p) {
  GnssSection& c = p.gnss;
  c.jitter_ns = t.get_double("jitter_ns", 0, kNonNegative);
  c.sawtooth_pp_ns = t.get_double("sawtooth_pp_ns", 0, kNonNegative);
  c.qerr = t.get_bool("qerr", false);
  c.qerr_residual_ns = t.get_double("qerr_residual_ns", 0, kNonNegative);
  c.ar1 = read_list<Ar1Spec>(t, "ar1", [](Table& e) {
    Ar1Spec a;
    a.tau_s = required_double(e, "tau_s", {1e-3, 1e9});
    a.sigma_ns = required_double(e, "sigma_ns", kNonNegative);
    return a;
  });
  c.sinusoid = read_list<SinusoidSpec>(t, "sinusoid", [](Table& e) {
    SinusoidSpec s;
    s.period_s = required_double(e, "period_s", {1e-3, 1e9});
    s.amp_ns = required_double(e, "amp_ns", {-kBig, kBig});
    return s;
  });
  c.cable_delay_ns = t.get_double("cable_delay_ns", 0, {-1e6, 1e6});
  t.finish();
}

void read_receiver(Table t, Profile& p) {
  ReceiverSection& c = p.receiver;
  c.present = t.present();
  c.survey_duration_s = t.get_double("survey_duration_s", 0, {0, 1e8});
  c.navigation_wander_ns = t.get_double("navigation_wander_ns", 0, {0, 1e6});
  c.navigation_wander_tau_s =
      t.get_double("navigation_wander_tau_s", c.navigation_wander_tau_s, {1, 1e6});
  t.finish();
}

void read_extts(Table t, Profile& p) {
  ExttsSection& c = p.extts;
  const auto delay = t.get_double_array("delivery_delay_s", {0.0, 0.0}, {0, 0.9});
  if (delay.size() != 2 || delay[0] > delay[1]) {
    t.fail("delivery_delay_s", "expected [min, max] with min <= max");
  }
  c.delivery_delay_min_s = delay[0];
  c.delivery_delay_max_s = delay[1];
  c.loss_probability = t.get_double("loss_probability", 0, {0, 1});
  c.stale_duplicates = t.get_bool("stale_duplicates", false);
  t.finish();
}

void read_tod(Table t, Profile& p) {
  TodSection& c = p.tod;
  c.delay_s = t.get_double("delay_s", 0, {0, 10});
  c.jitter_s = t.get_double("jitter_s", 0, {0, 10});
  c.loss_probability = t.get_double("loss_probability", 0, {0, 1});
  t.finish();
}

void read_phc_read(Table t, Profile& p) {
  PhcReadSection& c = p.phc_read;
  c.present = t.present();
  c.bracket_ns = t.get_double("bracket_ns", 0, {0, 1e9});
  c.bracket_jitter_ns = t.get_double("bracket_jitter_ns", 0, {0, 1e9});
  c.latch_fraction = t.get_double("latch_fraction", 0.5, {0, 1});
  c.latch_jitter_ns = t.get_double("latch_jitter_ns", 0, {0, 1e9});
  c.slow_read_probability = t.get_double("slow_read_probability", 0, {0, 1});
  c.slow_read_extra_ns = t.get_double("slow_read_extra_ns", 0, {0, 1e9});
  c.error_probability = t.get_double("error_probability", 0, {0, 1});
  t.finish();
}

void read_pps_gpio(Table t, Profile& p) {
  PpsGpioSection& c = p.pps_gpio;
  c.present = t.present();
  c.latency_ns = t.get_double("latency_ns", 0, {0, 1e9});
  c.latency_jitter_ns = t.get_double("latency_jitter_ns", 0, {0, 1e9});
  c.latency_min_ns = t.get_double("latency_min_ns", 0, {0, 1e9});
  c.tail_probability = t.get_double("tail_probability", 0, {0, 1});
  c.tail_extra_ns = t.get_double("tail_extra_ns", 0, {0, 1e9});
  c.loss_probability = t.get_double("loss_probability", 0, {0, 1});
  t.finish();
}

void read_faults(Table t, Profile& p) {
  Faults& f = p.faults;
  f.pps_outage = read_list<Window>(t, "pps_outage", read_window);
  f.tod_outage = read_list<Window>(t, "tod_outage", read_window);
  f.outlier = read_list<PointFault>(t, "outlier", read_point);
  f.phase_jump = read_list<PointFault>(t, "phase_jump", read_point);
  f.carrier_loss = read_list<Window>(t, "carrier_loss", read_window);
  f.tod_wrong = read_list<TodWrong>(t, "tod_wrong", [](Table& e) {
    TodWrong w;
    w.window = read_window(e);
    if (e.node("offset_s") == nullptr) e.fail("offset_s", "missing (required)");
    w.offset_s = e.get_int("offset_s", 0, {-1e9, 1e9});
    return w;
  });
  f.tod_late = read_list<TodLate>(t, "tod_late", [](Table& e) {
    TodLate l;
    l.window = read_window(e);
    l.extra_delay_s = required_double(e, "extra_delay_s", {0, 100});
    return l;
  });
  f.temperature_step = read_list<TemperatureStep>(t, "temperature_step", read_temperature_step);
  t.finish();
}

}  // namespace

std::optional<std::int64_t> parse_utc(std::string_view s) {
  // YYYY-MM-DD, optionally followed by THH:MM:SSZ.
  if (s.size() != 10 && s.size() != 20) return std::nullopt;
  if (s[4] != '-' || s[7] != '-') return std::nullopt;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!parse_number(s.substr(0, 4), y) || !parse_number(s.substr(5, 2), mo) ||
      !parse_number(s.substr(8, 2), d)) {
    return std::nullopt;
  }
  if (s.size() == 20) {
    if (s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z') return std::nullopt;
    if (!parse_number(s.substr(11, 2), h) || !parse_number(s.substr(14, 2), mi) ||
        !parse_number(s.substr(17, 2), se)) {
      return std::nullopt;
    }
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h > 23 || mi > 59 ||
      se > 59) {
    return std::nullopt;
  }
  const bool leap_year = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap_year) return std::nullopt;
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return days * 86400 + h * 3600 + mi * 60 + se;
}

Profile parse_profile(std::string_view text, const std::string& file_name) {
  const auto doc = config::Document::load_string(text, file_name);
  doc.check_top_level(
      {"sim", "phc", "temperature", "gnss", "receiver", "extts", "tod", "phc_read", "pps_gpio",
       "faults"});
  Profile p;
  p.name = std::filesystem::path(file_name).stem().string();
  read_sim(doc.table("sim"), p);
  read_phc(doc.table("phc"), p);
  read_temperature(doc.table("temperature"), p);
  read_gnss(doc.table("gnss"), p);
  read_receiver(doc.table("receiver"), p);
  read_extts(doc.table("extts"), p);
  read_tod(doc.table("tod"), p);
  read_phc_read(doc.table("phc_read"), p);
  read_pps_gpio(doc.table("pps_gpio"), p);
  read_faults(doc.table("faults"), p);
  if (p.sim.leap_day_utc_s && *p.sim.leap_day_utc_s + 86400 <= p.sim.start_utc_s) {
    doc.table("sim").fail("leap_second", "the leap second is before start_utc");
  }
  return p;
}

Profile load_profile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw config::ConfigError(fmt::format("{}: cannot open the profile", path));
  std::string text;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw config::ConfigError(fmt::format("{}: cannot read the profile", path));
  return parse_profile(text, path);
}

}  // namespace nanotime::sim
