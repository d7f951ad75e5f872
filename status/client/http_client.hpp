#pragma once
// A blocking, bounded HTTP/1.0 GET for `nanotime-status`: one request to a daemon's status
// endpoint (host:port or unix:/path, same syntax as HttpServerConfig::listen), the whole answer
// within timeout_ms, at most max_bytes. Throws std::runtime_error with what went wrong.

#include <cstddef>
#include <string>
#include <string_view>

namespace nanotime::status {

struct HttpResult {
  int status = 0;
  std::string body;
};

HttpResult http_get(std::string_view endpoint, std::string_view path, int timeout_ms = 3000,
                    std::size_t max_bytes = 16 * 1024 * 1024);

}  // namespace nanotime::status
