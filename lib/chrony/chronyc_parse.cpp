#include "chrony/chronyc_parse.hpp"

#include <cstdlib>

namespace nanotime::chrony {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const auto p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) return out;
    s.remove_prefix(p + 1);
  }
}

std::optional<double> to_double(std::string_view s) {
  if (s.empty()) return std::nullopt;
  const std::string t(s);
  char* end = nullptr;
  const double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return std::nullopt;
  return d;
}

// chronyc prints the reach register in octal (377 = the last 8 polls answered).
std::optional<int> octal(std::string_view s) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return std::nullopt;
    v = v * 8 + (c - '0');
  }
  return v <= 0377 ? std::optional<int>(v) : std::nullopt;
}

std::string_view trim_line(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<ChronyTracking> parse_chronyc_tracking(std::string_view csv) {
  // chrony 4.3 client.c, process_cmd_tracking: ref id, name, stratum, ref time, system time,
  // last offset, rms offset, frequency, residual freq, skew, root delay, root dispersion,
  // update interval, leap status.
  const auto f = split(trim_line(csv), ',');
  if (f.size() != 14) return std::nullopt;
  ChronyTracking t;
  t.ref_id = f[0];
  t.ref_name = f[1];
  const auto stratum = to_double(f[2]);
  const auto offset = to_double(f[4]);
  const auto delay = to_double(f[10]);
  const auto dispersion = to_double(f[11]);
  if (!stratum || !offset || !delay || !dispersion) return std::nullopt;
  t.stratum = static_cast<int>(*stratum);
  t.system_offset_s = *offset;
  t.root_delay_s = *delay;
  t.root_dispersion_s = *dispersion;
  t.leap_status = f[13];
  return t;
}

std::vector<ChronySource> parse_chronyc_sources(std::string_view csv) {
  // client.c, process_cmd_sources: mode, state, name, stratum, poll, reach (octal), last rx,
  // last offset (adjusted), original offset, error.
  std::vector<ChronySource> out;
  for (auto line : split(csv, '\n')) {
    line = trim_line(line);
    const auto f = split(line, ',');
    if (f.size() != 10 || f[0].size() != 1 || f[1].size() != 1) continue;
    ChronySource s;
    s.mode = f[0][0];
    s.state = f[1][0];
    s.name = f[2];
    const auto stratum = to_double(f[3]);
    const auto reach = octal(f[5]);
    const auto offset = to_double(f[7]);
    const auto error = to_double(f[9]);
    if (!stratum || !reach || !offset || !error) continue;
    s.stratum = static_cast<int>(*stratum);
    s.reach = *reach;
    s.offset_s = *offset;
    s.error_s = *error;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace nanotime::chrony
