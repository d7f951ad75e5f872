// chronyd's view on /metrics: present while chronyd answers, absent (not NaN, not stale) when
// it cannot be asked, and the leap file's expiry; checked on the rendered exposition text.
#include <catch2/catch.hpp>

#include "chrony/chronyd_view.hpp"
#include "daemon/chronyd_hook.hpp"
#include "status/chronyd_metrics.hpp"
#include "status/exposition.hpp"

using namespace nanotime;

namespace {
constexpr const char* kAnswer =
    "50484330,PHC0,1,1796621384.1,0.000123,0,0,0,0,0,0.000000001,0.000004323,4.0,Normal\n"
    "#,*,PHC0,0,0,377,1,0.000000003,0.000000005,0.000000020\n";

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}
}  // namespace

TEST_CASE("chronyd metrics: values while chronyd answers, absent when it cannot be asked") {
  status::Registry reg;
  status::ChronydMetrics m(reg);
  std::string text = status::render_prometheus(reg);
  CHECK(text.find("\nnanotime_chronyd_reachable ") == std::string::npos);  // before any query

  ppsd::publish_chronyd(chrony::view_from_output(kAnswer, "PHC0"), m);
  text = status::render_prometheus(reg);
  CHECK(has_line(text, "nanotime_chronyd_reachable 1"));
  CHECK(has_line(text, "nanotime_chronyd_phc_selected 1"));
  CHECK(has_line(text, "nanotime_chronyd_stratum 1"));
  CHECK(has_line(text, "nanotime_chronyd_system_time_offset_seconds 0.000123"));
  CHECK(has_line(text, "nanotime_chronyd_root_delay_seconds 1e-09"));
  CHECK(has_line(text, "nanotime_chronyd_root_dispersion_seconds 4.323e-06"));
  CHECK(has_line(text, "nanotime_chronyd_phc_reach 255"));

  ppsd::publish_chronyd(chrony::view_from_output("", "PHC0"), m);
  text = status::render_prometheus(reg);
  CHECK(has_line(text, "nanotime_chronyd_reachable 0"));
  for (const char* name : {"nanotime_chronyd_phc_selected", "nanotime_chronyd_stratum",
                           "nanotime_chronyd_system_time_offset_seconds",
                           "nanotime_chronyd_root_delay_seconds",
                           "nanotime_chronyd_root_dispersion_seconds", "nanotime_chronyd_phc_reach"}) {
    INFO(name);
    CHECK(text.find(std::string("\n") + name + " ") == std::string::npos);
    CHECK(text.find(std::string("# TYPE ") + name + " gauge") != std::string::npos);
  }
  CHECK(text.find("NaN") == std::string::npos);
}

TEST_CASE("chronyd metrics: no PHC0 source means no reach series, not a 0") {
  status::Registry reg;
  status::ChronydMetrics m(reg);
  ppsd::publish_chronyd(chrony::view_from_output(kAnswer, "PHC1"), m);
  const std::string text = status::render_prometheus(reg);
  CHECK(has_line(text, "nanotime_chronyd_phc_selected 0"));
  CHECK(text.find("\nnanotime_chronyd_phc_reach ") == std::string::npos);
}

TEST_CASE("leap file expiry: Unix seconds, absent without an expiry") {
  status::Registry reg;
  status::LeapFileMetrics m(reg);
  m.set(1893456000);
  CHECK(has_line(status::render_prometheus(reg),
                 "nanotime_leap_seconds_file_expiry_timestamp_seconds 1893456000"));
  m.set(std::nullopt);
  CHECK(status::render_prometheus(reg).find("\nnanotime_leap_seconds_file_expiry_timestamp_seconds ") ==
        std::string::npos);
}
