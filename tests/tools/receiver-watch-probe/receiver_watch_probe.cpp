// receiver-watch-probe --port P [--host H] [--seconds S]: runs phc-pps-sync's receiver watch
// (daemon/receiver_watch.hpp) in a poll loop for S seconds and prints every state change as one
// JSON line: {"t_s":..,"connected":..,"model":..,"mode":..,...}. Test helper, not installed.
#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "daemon/receiver_watch.hpp"

namespace {

std::int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string json_string(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  return o + "\"";
}

template <typename T>
std::string opt(const std::optional<T>& v) {
  return v ? fmt::format("{}", *v) : "null";
}

void print(const nanotime::conductor::ReceiverStatus& s, double t_s) {
  namespace c = nanotime::conductor;
  fmt::print("{{\"t_s\":{:.3f},\"connected\":{},\"model\":{},\"firmware\":{},\"generation\":{},"
             "\"mode\":\"{}\",\"survey_active\":{},\"survey_duration_s\":{},"
             "\"survey_accuracy_m\":{},\"antenna\":\"{}\",\"jamming_indicator\":{},"
             "\"satellites_used\":{},\"timtp_present\":{}}}\n",
             t_s, s.connected, json_string(s.model), json_string(s.firmware), s.generation,
             c::time_mode_name(s.mode), s.survey_active, s.survey_duration_s,
             opt(s.survey_accuracy_m), c::antenna_state_name(s.antenna),
             opt(s.jamming_indicator), opt(s.satellites_used), s.timtp_present);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"receiver-watch-probe: phc-pps-sync's receiver watch alone, state changes as JSON"};
  std::string host = "127.0.0.1";
  int port = 2947;
  double seconds = 10;
  app.add_option("--host", host)->capture_default_str();
  app.add_option("--port", port)->check(CLI::Range(1, 65535))->capture_default_str();
  app.add_option("--seconds", seconds)->check(CLI::Range(0.1, 3600.0))->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  nanotime::ppsd::GpsdReceiverWatch watch(host, port);
  const std::int64_t start = mono_ns();
  const auto end = start + static_cast<std::int64_t>(seconds * 1e9);
  const auto emit = [&](const std::optional<nanotime::conductor::ReceiverStatus>& s,
                        std::int64_t now) {
    if (s) print(*s, static_cast<double>(now - start) * 1e-9);
  };
  for (std::int64_t now = mono_ns(); now < end; now = mono_ns()) {
    if (const auto wake = watch.wake_mono_ns(); !wake || now >= *wake) emit(watch.maintain(now), now);
    const std::int64_t until = std::min(end, watch.wake_mono_ns().value_or(end));
    pollfd p{watch.fd(), POLLIN, 0};
    const int timeout_ms = static_cast<int>(std::max<std::int64_t>(0, until - now) / 1000000) + 1;
    if (::poll(&p, watch.fd() >= 0 ? 1 : 0, timeout_ms) > 0) emit(watch.read(mono_ns()), mono_ns());
  }
  return 0;
}
