#include "chrony/chronyd_view.hpp"

namespace nanotime::chrony {

std::string selected_source(const std::vector<ChronySource>& sources) {
  for (const auto& s : sources) {
    if (s.state == '*') return s.name;
  }
  return "";
}

ChronydView view_from_output(std::string_view stdout_text, std::string_view phc_refid) {
  ChronydView v;
  const auto nl = stdout_text.find('\n');
  v.tracking = parse_chronyc_tracking(stdout_text.substr(0, nl));
  if (!v.tracking) return v;
  v.reachable = true;
  if (nl != std::string_view::npos) v.sources = parse_chronyc_sources(stdout_text.substr(nl + 1));
  for (const auto& s : v.sources) {
    if (s.name != phc_refid) continue;
    v.phc_reach = s.reach;
    v.phc_selected = s.state == '*';
  }
  return v;
}

}  // namespace nanotime::chrony
