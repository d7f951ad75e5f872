#pragma once
// The status endpoint's configuration, one sub-table per daemon in nanotime.toml:
//
//   [phc-pps-sync.status]            (and [gps-sock-bridge.status])
//   enabled = true
//   listen = "127.0.0.1:8473"        # "[::1]:8473", "unix:/run/nanotime/phc-pps-sync.sock";
//                                    # "0.0.0.0:8473" serves other hosts only with `allow`
//   allow = ["192.168.1.0/24"]       # peers besides loopback (default: none)
//   max_connections = 16
//   deadline_s = 5                   # a client must be done within this
//
// status_keys() declares these keys once for each daemon's key table (config/keys.hpp); the
// default address is the daemon's (its config struct's initializer). Errors are ConfigError
// with file:line (the daemon exits 78 before touching anything).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/keys.hpp"
#include "status/http_server.hpp"

namespace nanotime::status {

struct StatusConfig {
  bool enabled = true;
  HttpServerConfig http;

  bool operator==(const StatusConfig& o) const {
    return enabled == o.enabled && http.listen == o.http.listen && http.allow == o.http.allow &&
           http.max_connections == o.http.max_connections &&
           http.max_request_bytes == o.http.max_request_bytes &&
           http.deadline_ns == o.http.deadline_ns;
  }
};

// "host:port", "[v6]:port" or "unix:/path", checked by parse_listen_address.
config::Reader<std::string> listen_address();
// An array of CIDR strings ("192.168.1.0/24").
config::Reader<std::vector<std::string>> cidr_list();
// Seconds in the file, nanoseconds in the program.
config::Reader<std::int64_t> seconds_as_ns(config::Range range_s);

// The keys of `table` (e.g. "phc-pps-sync.status"), bound to the daemon config's `member`.
// Live: a SIGHUP that changes them rebinds the server.
template <class C>
std::vector<config::Key<C>> status_keys(const std::string& table, StatusConfig C::*member) {
  using config::Apply;
  using config::key;
  const auto field = [member](auto project) { return [member, project](C& c) -> auto& {
    return project(c.*member);
  }; };
  return {
      key<C, bool>(table, "enabled", field([](StatusConfig& s) -> bool& { return s.enabled; }),
                   config::boolean(), Apply::live,
                   "Serve the status page, /status JSON and /metrics"),
      key<C, std::string>(table, "listen",
                          field([](StatusConfig& s) -> std::string& { return s.http.listen; }),
                          listen_address(), Apply::live,
                          "\"address:port\", \"[v6]:port\" or \"unix:/path\"; other hosts only "
                          "with allow"),
      key<C, std::vector<std::string>>(
          table, "allow",
          field([](StatusConfig& s) -> std::vector<std::string>& { return s.http.allow; }),
          cidr_list(), Apply::live, "Peers besides loopback that may connect (CIDRs)"),
      key<C, std::size_t>(
          table, "max_connections",
          field([](StatusConfig& s) -> std::size_t& { return s.http.max_connections; }),
          config::integer<std::size_t>({1, 256}), Apply::live, "Connections served at once"),
      key<C, std::int64_t>(table, "deadline_s",
                           field([](StatusConfig& s) -> std::int64_t& { return s.http.deadline_ns; }),
                           seconds_as_ns({0.1, 60}), Apply::live,
                           "How long a client may take (s)"),
  };
}

// Reads every key of `table` (defaults when it is absent) and calls table.finish().
StatusConfig read_status_config(config::Table& table, std::string_view default_listen);

}  // namespace nanotime::status
