#include "status/endpoint.hpp"

#include "status/exposition.hpp"
#include "status/status_json.hpp"

namespace nanotime::status {

void install_routes(HttpServer& server, const Registry& registry,
                    std::function<double()> now_unix_s) {
  server.route("/metrics", [&registry](const HttpRequest&) {
    return HttpResponse{200, std::string(kPrometheusContentType), render_prometheus(registry), {}};
  });
  server.route("/status", [&registry, now = std::move(now_unix_s)](const HttpRequest& request) {
    const auto query = parse_status_query(request.query);
    if (!query) return HttpResponse{400, "text/plain; charset=utf-8", "400 bad query: use since=<t>&history=0|1\n", {}};
    return HttpResponse{200, std::string(kJsonContentType), render_status_json(registry, now(), *query), {}};
  });
  server.route("/", [](const HttpRequest&) {
    // Everything is inline and the page talks only to this server: nothing from the internet
    // (air-gapped Pi), and the policy says so to the browser too.
    return HttpResponse{200, "text/html; charset=utf-8", std::string(dashboard_html()),
                        {{"Content-Security-Policy",
                          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                          "connect-src 'self'; img-src 'self' data:"}}};
  });
}

StatusEndpoint::StatusEndpoint(const HttpServerConfig& config, const Registry& registry,
                               std::function<double()> now_unix_s)
    : http_(std::make_unique<HttpServer>(config)) {
  install_routes(*http_, registry, std::move(now_unix_s));
}

}  // namespace nanotime::status
