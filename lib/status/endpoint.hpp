#pragma once
// Wires a Registry to an HttpServer: /metrics (Prometheus), /status (JSON) and / (dashboard).
//
//   status::HttpServer http({.listen = "127.0.0.1:8473"});
//   status::install_routes(http, registry, [] { return realtime_now_s(); });
//
// `now_unix_s` stamps /status ("time_s") on the same axis as the histories, so the dashboard
// can place "now" without trusting the browser's clock.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "status/http_server.hpp"
#include "status/metrics.hpp"

namespace nanotime::status {

// The dashboard page (lib/status/dashboard.html, embedded at build time).
std::string_view dashboard_html();

void install_routes(HttpServer& server, const Registry& registry,
                    std::function<double()> now_unix_s);

// A daemon's status endpoint: an HttpServer with the routes above, or off. The poll-loop calls
// do nothing while it is off, so a daemon needs no branch of its own. `registry` must outlive it.
class StatusEndpoint {
 public:
  StatusEndpoint() = default;  // off
  // Binds (std::system_error / std::invalid_argument when it cannot) and installs the routes.
  StatusEndpoint(const HttpServerConfig& config, const Registry& registry,
                 std::function<double()> now_unix_s);

  int fd() const { return http_ ? http_->fd() : -1; }
  std::optional<std::int64_t> next_deadline_ns() const {
    return http_ ? http_->next_deadline_ns() : std::nullopt;
  }
  void handle_ready(std::int64_t now_mono_ns) {
    if (http_) http_->handle_ready(now_mono_ns);
  }
  std::string endpoint() const { return http_ ? http_->endpoint() : std::string("off"); }

 private:
  std::unique_ptr<HttpServer> http_;
};

}  // namespace nanotime::status
