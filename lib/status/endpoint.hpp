#pragma once
// Wires a Registry to an HttpServer: /metrics (Prometheus), /status (JSON) and / (dashboard).
//
//   status::HttpServer http({.listen = "127.0.0.1:8473"});
//   status::install_routes(http, registry, [] { return realtime_now_s(); });
//
// `now_unix_s` stamps /status ("time_s") on the same axis as the histories, so the dashboard
// can place "now" without trusting the browser's clock.

#include <functional>
#include <string_view>

#include "status/http_server.hpp"
#include "status/metrics.hpp"

namespace nanotime::status {

// The dashboard page (lib/status/dashboard.html, embedded at build time).
std::string_view dashboard_html();

void install_routes(HttpServer& server, const Registry& registry,
                    std::function<double()> now_unix_s);

}  // namespace nanotime::status
