#pragma once
// nanotime-receiver's configuration: the [receiver] table of /etc/nanotime/nanotime.toml.
// key_table() declares every key once; the defaults are the initializers below. Tests hold
// etc/nanotime.toml and nanotime-receiver.1 to it.

#include <string>
#include <vector>

#include "config/keys.hpp"
#include "receiver/settings.hpp"

namespace nanotime::config {
class Document;
}

namespace nanotime::rcv {

inline constexpr const char* kDefaultConfigPath = "/etc/nanotime/nanotime.toml";
inline constexpr const char* kSection = "receiver";

struct ReceiverConfig {
  double survey_min_duration_s = 2000;
  double survey_accuracy_m = 5;
  std::vector<double> fixed_position_llh;   // [lat_deg, lon_deg, height_m] or empty
  std::vector<double> fixed_position_ecef;  // [x_m, y_m, z_m] or empty
  double fixed_position_accuracy_m = 1;
  double cable_delay_ns = 0;
  double cable_length_m = 0;
  double cable_velocity_factor = 0.66;
  int min_elevation_deg = 10;
  std::string time_system = "utc";
  std::vector<std::string> constellations;  // empty: leave the receiver's choice
  bool save = false;
  std::string device;
  int baud = 9600;
  std::string gpsd = "127.0.0.1:2947";
};

const config::KeyTable<ReceiverConfig>& key_table();

// Reads and validates [receiver] (other nanotime sections are allowed and ignored). Throws
// config::ConfigError "file:line:col: [receiver] key: message".
ReceiverConfig load_config(const config::Document& doc);
ReceiverConfig load_config_file(const std::string& path);

// The antenna cable's delay: cable_length_m / (velocity factor * c) when a length is given.
double antenna_delay_ns(const ReceiverConfig& c);
// The desired receiver state the config describes.
receiver::ReceiverSettings settings(const ReceiverConfig& c);

}  // namespace nanotime::rcv
