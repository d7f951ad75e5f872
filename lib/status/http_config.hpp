#pragma once
// The status endpoint's configuration, one sub-table per daemon in nanotime.toml:
//
//   [phc-pps-sync.status]            (the daemon passes its Table::subtable("status"))
//   enabled = true
//   listen = "127.0.0.1:8473"        # "[::1]:8473", "unix:/run/nanotime/phc-pps-sync.sock";
//                                    # "0.0.0.0:8473" serves other hosts only with `allow`
//   allow = ["192.168.1.0/24"]       # peers besides loopback (default: none)
//   max_connections = 16
//   deadline_s = 5                   # a client must be done within this
//
// Errors are ConfigError with file:line (the daemon exits 78 before touching anything).

#include <string_view>

#include "config/config.hpp"
#include "status/http_server.hpp"

namespace nanotime::status {

struct StatusConfig {
  bool enabled = true;
  HttpServerConfig http;
};

// Reads every key (with defaults when the table is absent) and calls table.finish().
StatusConfig read_status_config(config::Table& table, std::string_view default_listen);

}  // namespace nanotime::status
