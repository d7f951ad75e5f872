#include "daemon/chronyd_hook.hpp"

#include <optional>

namespace nanotime::ppsd {

void publish_chronyd(const chrony::ChronydView& view, status::ChronydMetrics& m) {
  if (!view.reachable || !view.tracking) {
    m.set_unreachable();
    return;
  }
  const chrony::ChronyTracking& t = *view.tracking;
  m.reachable.set(1);
  m.phc_selected.set_bool(view.phc_selected);
  m.stratum.set(t.stratum);
  m.system_offset.set(t.system_offset_s);
  m.root_delay.set(t.root_delay_s);
  m.root_dispersion.set(t.root_dispersion_s);
  if (view.phc_reach) {
    m.phc_reach.set(*view.phc_reach);
  } else {
    m.phc_reach.clear();
  }
  status::Section& s = m.section;
  s.set_flag("reachable", true);
  s.set_text("selected_source", chrony::selected_source(view.sources));
  s.set_number("stratum", t.stratum);
  s.set_number("system_time_offset_s", t.system_offset_s);
  s.set_number("root_delay_s", t.root_delay_s);
  s.set_number("root_dispersion_s", t.root_dispersion_s);
  s.set_number("phc_reach", view.phc_reach ? std::optional<double>(*view.phc_reach) : std::nullopt);
}

}  // namespace nanotime::ppsd
