#pragma once
// /metrics: the Prometheus text exposition format, version 0.0.4
// (Content-Type: text/plain; version=0.0.4; charset=utf-8).
//
// Written by hand rather than with prometheus-cpp (Debian 12 has prometheus-cpp-dev 1.0): its
// pull side runs its own threaded civetweb server, which cannot join the daemons' single poll()
// loop nor enforce our loopback-only peer policy, and its core would add a shared library to the
// Pi image for ~100 lines of formatting. The model (metrics.hpp) also feeds /status and the
// dashboard, which prometheus-cpp does not provide. The format rules implemented here:
//   # HELP <name> <text>     text escapes \ and newline
//   # TYPE <name> <type>     gauge or counter (state sets and info metrics are gauges)
//   <name>{l="v",...} <value>   label values escape \ " and newline; NaN, +Inf, -Inf
// Counters carry their _total suffix in the name (the 0.0.4 convention).

#include <string>
#include <string_view>

#include "status/metrics.hpp"

namespace nanotime::status {

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

std::string render_prometheus(const Registry& registry);

// Pieces, exposed for tests.
std::string format_prometheus_value(double value);   // shortest round-trip; NaN, +Inf, -Inf
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);

}  // namespace nanotime::status
