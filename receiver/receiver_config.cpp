#include "receiver_config.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/config.hpp"

namespace nanotime::rcv {
namespace {

using config::Apply;
using config::key;
using C = ReceiverConfig;

constexpr double kSpeedOfLightMPerNs = 0.299792458;

std::string list_literal(const std::vector<double>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + config::number_literal(v[i]);
  return s + "]";
}

// [] or exactly three numbers, each in its range (lib/config reads the numbers).
config::Reader<std::vector<double>> triple(const std::string& shown, std::vector<config::Range> r) {
  return {"array", shown,
          [r](config::Table& t, const std::string& name, const std::vector<double>& def) {
            constexpr double kAny = std::numeric_limits<double>::max();
            const std::vector<double> out = t.get_double_array(name, def, {-kAny, kAny});
            if (!out.empty() && out.size() != 3) {
              t.fail(name, "must be [] or an array of three numbers");
            }
            for (std::size_t i = 0; i < out.size(); ++i) {
              if (out[i] < r[i].min || out[i] > r[i].max) {
                t.fail(name, fmt::format("element {} = {} is outside {}..{}", i + 1, out[i],
                                         r[i].min, r[i].max));
              }
            }
            return out;
          },
          list_literal};
}

config::Reader<std::vector<std::string>> constellation_list() {
  std::string shown;
  for (const auto& c : receiver::known_constellations()) shown += (shown.empty() ? "" : ", ") + c;
  return {"array", "of " + shown,
          [](config::Table& t, const std::string& name, const std::vector<std::string>& def) {
            const toml::node* n = t.node(name);
            if (n == nullptr) return def;
            const toml::array* a = n->as_array();
            if (a == nullptr) t.fail(name, "must be an array of strings, e.g. [\"gps\", \"galileo\"]");
            std::vector<std::string> out;
            for (const auto& e : *a) {
              const auto v = e.value<std::string>();
              const auto& known = receiver::known_constellations();
              if (!v || std::find(known.begin(), known.end(), *v) == known.end()) {
                t.fail(name, fmt::format("unknown constellation; known: {}",
                                         fmt::join(known, ", ")));
              }
              out.push_back(*v);
            }
            return out;
          },
          [](const std::vector<std::string>& v) {
            std::string s = "[";
            for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + config::quote(v[i]);
            return s + "]";
          }};
}

config::Reader<int> baud_rate() {
  return {"integer", "9600 | 19200 | 38400 | 57600 | 115200 | 230400",
          [](config::Table& t, const std::string& name, const int& def) {
            const int v = static_cast<int>(t.get_int(name, def, {9600, 230400}));
            for (const int b : {9600, 19200, 38400, 57600, 115200, 230400}) {
              if (v == b) return v;
            }
            t.fail(name, "must be one of 9600, 19200, 38400, 57600, 115200, 230400");
          },
          [](const int& v) { return std::to_string(v); }};
}

std::vector<config::Key<C>> make_keys() {
  const std::string t = kSection;
  return {
      key(t, "survey_min_duration_s", &C::survey_min_duration_s, config::number({1, 1e7}),
          Apply::live, "Survey-in lasts at least this long (s)"),
      key(t, "survey_accuracy_m", &C::survey_accuracy_m, config::number({0.01, 1000}),
          Apply::live, "and until the mean position is known to this (m)"),
      key(t, "fixed_position_llh", &C::fixed_position_llh,
          triple("[lat_deg, lon_deg, height_m] or []", {{-90, 90}, {-180, 180}, {-1000, 10000}}),
          Apply::live, "Known antenna position (WGS84, height above the ellipsoid): no survey"),
      key(t, "fixed_position_ecef", &C::fixed_position_ecef,
          triple("[x_m, y_m, z_m] or []", {{-7e6, 7e6}, {-7e6, 7e6}, {-7e6, 7e6}}),
          Apply::live, "Or the same as ECEF coordinates (m)"),
      key(t, "fixed_position_accuracy_m", &C::fixed_position_accuracy_m,
          config::number({0.0001, 100}), Apply::live, "How well the fixed position is known (m)"),
      key(t, "cable_delay_ns", &C::cable_delay_ns, config::number({-32768, 32767}),
          Apply::live, "Antenna cable delay the receiver compensates (ns)"),
      key(t, "cable_length_m", &C::cable_length_m, config::number({0, 1000}), Apply::live,
          "Or the antenna cable's length (m); 0 = use cable_delay_ns"),
      key(t, "cable_velocity_factor", &C::cable_velocity_factor, config::number({0.1, 1}),
          Apply::live, "The cable's velocity factor (RG58: 0.66, LMR-400: 0.85)"),
      key(t, "min_elevation_deg", &C::min_elevation_deg, config::integer<int>({0, 90}),
          Apply::live, "Satellites below this elevation are not used (deg)"),
      key(t, "time_system", &C::time_system, config::choice({"utc", "gps"}), Apply::live,
          "The grid the pulse is aligned to"),
      key(t, "constellations", &C::constellations, constellation_list(), Apply::live,
          "Systems to track; [] leaves the receiver's choice"),
      key(t, "save", &C::save, config::boolean(), Apply::live,
          "configure also writes to battery-backed RAM and flash"),
      key(t, "device", &C::device, config::string(), Apply::live,
          "Serial port of the receiver; through gpsd: gpsd's device (\"\" = gpsd's only one)"),
      key(t, "baud", &C::baud, baud_rate(), Apply::live,
          "Serial speed for direct access (gpsd stopped)"),
      key(t, "gpsd", &C::gpsd, config::string(), Apply::live, "gpsd's address, host:port"),
  };
}

}  // namespace

const config::KeyTable<ReceiverConfig>& key_table() {
  static const config::KeyTable<ReceiverConfig> table(kSection, make_keys());
  return table;
}

ReceiverConfig load_config(const config::Document& doc) {
  config::check_nanotime_sections(doc);
  config::Table t = doc.table(kSection);
  ReceiverConfig c;
  key_table().read(t, c);
  t.finish();
  if (!c.fixed_position_llh.empty() && !c.fixed_position_ecef.empty()) {
    t.fail("fixed_position_ecef", "set at most one of fixed_position_llh and fixed_position_ecef");
  }
  if (!c.fixed_position_ecef.empty()) {
    const auto& e = c.fixed_position_ecef;
    const double r_m = std::sqrt(e[0] * e[0] + e[1] * e[1] + e[2] * e[2]);
    if (r_m < 6.3e6 || r_m > 6.4e6) {
      t.fail("fixed_position_ecef",
             fmt::format("is {:.0f} km from the Earth's centre, not on its surface", r_m / 1000));
    }
  }
  if (c.cable_length_m > 0 && t.node("cable_delay_ns") != nullptr) {
    t.fail("cable_length_m", "set cable_length_m or cable_delay_ns, not both");
  }
  if (c.gpsd.find(':') == std::string::npos) t.fail("gpsd", "must be host:port");
  return c;
}

ReceiverConfig load_config_file(const std::string& path) {
  return load_config(config::Document::load_file(path));
}

double antenna_delay_ns(const ReceiverConfig& c) {
  if (c.cable_length_m > 0) {
    return c.cable_length_m / (c.cable_velocity_factor * kSpeedOfLightMPerNs);
  }
  return c.cable_delay_ns;
}

receiver::ReceiverSettings settings(const ReceiverConfig& c) {
  receiver::ReceiverSettings s;
  s.survey_min_duration_s = c.survey_min_duration_s;
  s.survey_accuracy_m = c.survey_accuracy_m;
  s.fixed_accuracy_m = c.fixed_position_accuracy_m;
  if (c.fixed_position_llh.size() == 3) {
    s.mode = receiver::TimeMode::fixed;
    s.fixed_llh = receiver::Llh{c.fixed_position_llh[0], c.fixed_position_llh[1],
                                c.fixed_position_llh[2]};
  } else if (c.fixed_position_ecef.size() == 3) {
    s.mode = receiver::TimeMode::fixed;
    s.fixed_ecef = receiver::Ecef{c.fixed_position_ecef[0], c.fixed_position_ecef[1],
                                  c.fixed_position_ecef[2]};
  }
  s.cable_delay_ns = antenna_delay_ns(c);
  s.min_elevation_deg = c.min_elevation_deg;
  s.time_system = c.time_system;
  s.constellations = c.constellations;
  return s;
}

}  // namespace nanotime::rcv
