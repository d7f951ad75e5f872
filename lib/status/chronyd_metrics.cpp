#include "status/chronyd_metrics.hpp"

#include <array>
#include <string_view>

namespace nanotime::status {
namespace {

// Figures that only exist while chronyd answers.
constexpr std::array<std::string_view, 7> kAnswerOnly = {
    "nanotime_chronyd_reachable", "nanotime_chronyd_phc_selected", "nanotime_chronyd_stratum",
    "nanotime_chronyd_system_time_offset_seconds", "nanotime_chronyd_root_delay_seconds",
    "nanotime_chronyd_root_dispersion_seconds", "nanotime_chronyd_phc_reach"};

}  // namespace

ChronydMetrics::ChronydMetrics(Registry& reg)
    : reachable(reg.gauge("nanotime_chronyd_reachable", "",
                          "1 when chronyd answered phc-pps-sync's last query (chronyc tracking, "
                          "sources), 0 when it could not be asked")),
      phc_selected(reg.gauge("nanotime_chronyd_phc_selected", "",
                             "1 when chronyd's selected source is the PHC refclock (PHC0)")),
      stratum(reg.gauge("nanotime_chronyd_stratum", "",
                        "chronyd's stratum as its NTP clients see it")),
      system_offset(reg.gauge("nanotime_chronyd_system_time_offset_seconds", "seconds",
                              "chronyd's system time offset (chronyc tracking 'System time'; "
                              "positive: the system clock is slow of NTP time)")),
      root_delay(reg.gauge("nanotime_chronyd_root_delay_seconds", "seconds",
                           "chronyd's root delay (what its NTP clients are told)")),
      root_dispersion(reg.gauge("nanotime_chronyd_root_dispersion_seconds", "seconds",
                                "chronyd's root dispersion (what its NTP clients are told)")),
      phc_reach(reg.gauge("nanotime_chronyd_phc_reach", "",
                          "Reach register of chronyd's PHC0 source (0..255; 255: the last 8 "
                          "samples arrived)")),
      section(reg.section("chronyd")) {
  for (std::string_view name : kAnswerOnly) reg.omit_when_unknown(name);
}

void ChronydMetrics::set_unreachable() {
  reachable.set(0);
  for (Gauge* g : {&phc_selected, &stratum, &system_offset, &root_delay, &root_dispersion,
                   &phc_reach}) {
    g->clear();
  }
  section.set_flag("reachable", false);
  section.set_text("selected_source", "");
  section.set_number("stratum", std::nullopt);
  section.set_number("system_time_offset_s", std::nullopt);
  section.set_number("root_delay_s", std::nullopt);
  section.set_number("root_dispersion_s", std::nullopt);
  section.set_number("phc_reach", std::nullopt);
}

LeapFileMetrics::LeapFileMetrics(Registry& reg)
    : expiry(reg.gauge("nanotime_leap_seconds_file_expiry_timestamp_seconds", "seconds",
                       "Expiry (Unix time) of the leap-seconds file phc-pps-sync loaded; after it, "
                       "leap seconds are unknown: update tzdata")) {
  reg.omit_when_unknown("nanotime_leap_seconds_file_expiry_timestamp_seconds");
}

void LeapFileMetrics::set(std::optional<std::int64_t> expiry_posix_s) {
  if (expiry_posix_s) {
    expiry.set(static_cast<double>(*expiry_posix_s));
  } else {
    expiry.clear();
  }
}

}  // namespace nanotime::status
