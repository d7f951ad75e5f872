// ptpmgmt-query: talk to ptp4l with nanotime's own management client and print the answer as
// one JSON object on stdout. Exit status: 0 ok, 2 not reachable, 3 timeout, 4 error status
// from ptp4l, 5 bad reply, 64 usage.
//
//   ptpmgmt-query -s /run/ptp4l get-gm | get-tp | get-parent | get-ports
//   ptpmgmt-query -s /run/ptp4l set-gm --class 6 --accuracy 0x21 --utc-offset 37
//       --flags 0x3c --time-source 0x20
//   ptpmgmt-query -s /run/ptp4l raw --action 1 --id 0xc001 --data ''   (malformed on purpose)
//   ptpmgmt-query -s /run/ptp4l keep --seconds 30 --class 6 ...  (GmSettingsPublisher loop:
//       keeps ptp4l's GRANDMASTER_SETTINGS_NP as given, across ptp4l restarts; log on stderr)

#include <poll.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "log/log.hpp"
#include "ptpmgmt/client.hpp"
#include "ptpmgmt/publisher.hpp"

using namespace nanotime::ptpmgmt;

namespace {

std::string quality_json(const WireClockQuality& q) {
  return fmt::format(R"("clock_class": {}, "clock_accuracy": {}, "offset_scaled_log_variance": {})",
                     q.clock_class, q.clock_accuracy, q.offset_scaled_log_variance);
}

std::string json(const Payload& p) {
  struct V {
    std::string operator()(const EmptyData&) const { return "{}"; }
    std::string operator()(const GrandmasterSettings& g) const {
      return fmt::format(R"({{{}, "utc_offset": {}, "time_flags": {}, "time_source": {}}})",
                         quality_json(g.quality), g.utc_offset, g.time_flags, g.time_source);
    }
    std::string operator()(const TimeProperties& t) const {
      return fmt::format(R"({{"current_utc_offset": {}, "flags": {}, "time_source": {}}})",
                         t.current_utc_offset, t.flags, t.time_source);
    }
    std::string operator()(const ParentDataSet& d) const {
      return fmt::format(
          R"({{"parent_port_identity": "{}", "grandmaster_priority1": {}, )"
          R"("grandmaster_priority2": {}, "grandmaster_identity": "{}", {}}})",
          to_string(d.parent_port_identity), d.grandmaster_priority1, d.grandmaster_priority2,
          to_string(d.grandmaster_identity), quality_json(d.grandmaster_clock_quality));
    }
    std::string operator()(const PortDataSet& d) const {
      return fmt::format(R"({{"port_identity": "{}", "port_state": "{}", "log_sync_interval": {}}})",
                         to_string(d.port_identity), port_state_name(d.port_state),
                         d.log_sync_interval);
    }
    std::string operator()(const ManagementErrorStatus& e) const {
      return fmt::format(R"({{"error_id": {}, "error": "{}", "management_id": {}}})",
                         e.error_id, management_error_name(e.error_id), e.management_id);
    }
  };
  return std::visit(V{}, p);
}

int exit_code(ClientStatus s) {
  switch (s) {
    case ClientStatus::ok: return 0;
    case ClientStatus::not_reachable: return 2;
    case ClientStatus::timeout: return 3;
    case ClientStatus::error_status: return 4;
    case ClientStatus::bad_reply: return 5;
  }
  return 1;
}

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  return o;
}

template <typename T>
int report(const Result<T>& r, const std::string& value_json) {
  if (r.ok()) {
    fmt::print(R"({{"status": "ok", "value": {}}})" "\n", value_json);
  } else {
    fmt::print(R"({{"status": "{}", "message": "{}"{}}})" "\n", client_status_name(r.status),
               escape(r.message),
               r.error ? fmt::format(R"(, "value": {})", json(Payload{*r.error})) : "");
  }
  std::fflush(stdout);
  return exit_code(r.status);
}

std::vector<std::uint8_t> parse_hex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The daemon's loop in miniature: 100 ms ticks, replies handled as they arrive.
int run_keep(ClientOptions opt, const GrandmasterSettings& g, double seconds) {
  nanotime::log::Options lo;
  lo.program = "ptpmgmt-query";
  lo.min_level = nanotime::log::Level::debug;
  lo.repeat_window = std::chrono::seconds(0);
  nanotime::log::configure(lo);
  opt.local_path.clear();  // the client made in main() holds that address already
  GmSettingsPublisher pub(opt);
  const std::int64_t end = mono_ns() + static_cast<std::int64_t>(seconds * 1e9);
  pub.want(g, mono_ns());
  std::int64_t next_tick = mono_ns();
  while (mono_ns() < end) {
    std::int64_t now = mono_ns();
    if (now >= next_tick) {
      pub.tick(now);
      next_tick = now + 100'000'000;
    }
    pollfd p{pub.fd(), POLLIN, 0};
    int wait_ms = static_cast<int>((next_tick - now) / 1'000'000) + 1;
    if (::poll(&p, 1, wait_ms) > 0) pub.on_readable(mono_ns());
  }
  fmt::print(R"({{"status": "ok", "value": {{"sets": {}, "in_sync": {}}}}})" "\n",
             pub.keeper().sets_sent(), pub.keeper().in_sync());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Query ptp4l with nanotime's PTP management client"};
  ClientOptions opt;
  int timeout_ms = 1000;
  app.add_option("-s,--uds", opt.ptp4l_path, "ptp4l's uds_address")->capture_default_str();
  app.add_option("-l,--local", opt.local_path, "our socket path ('@name': abstract)");
  app.add_option("-d,--domain", opt.domain, "domainNumber")->capture_default_str();
  app.add_option("-t,--timeout-ms", timeout_ms, "answer timeout")->capture_default_str();
  app.require_subcommand(1);

  auto* get_gm = app.add_subcommand("get-gm", "GET GRANDMASTER_SETTINGS_NP");
  auto* get_tp = app.add_subcommand("get-tp", "GET TIME_PROPERTIES_DATA_SET");
  auto* get_parent = app.add_subcommand("get-parent", "GET PARENT_DATA_SET");
  auto* get_ports = app.add_subcommand("get-ports", "GET PORT_DATA_SET (every port)");
  auto* set_gm = app.add_subcommand("set-gm", "SET GRANDMASTER_SETTINGS_NP");
  auto* keep = app.add_subcommand("keep", "keep GRANDMASTER_SETTINGS_NP set (publisher loop)");
  int cls = 248, acc = 0xfe, oslv = 0xffff, utc = 37, flags = 0, src = 0xa0;
  double keep_seconds = 10;
  for (auto* sub : {set_gm, keep}) {
    sub->add_option("--class", cls)->check(CLI::Range(0, 255));
    sub->add_option("--accuracy", acc)->check(CLI::Range(0, 255));
    sub->add_option("--oslv", oslv)->check(CLI::Range(0, 65535));
    sub->add_option("--utc-offset", utc)->check(CLI::Range(-32768, 32767));
    sub->add_option("--flags", flags)->check(CLI::Range(0, 255));
    sub->add_option("--time-source", src)->check(CLI::Range(0, 255));
  }
  keep->add_option("--seconds", keep_seconds, "how long to run")->check(CLI::Range(0.0, 3600.0));
  auto* raw = app.add_subcommand("raw", "any action/id with hex data (malformed requests)");
  int action = 0, id = 0;
  std::string hex;
  raw->add_option("--action", action, "0 GET, 1 SET, 3 COMMAND")->check(CLI::Range(0, 15));
  raw->add_option("--id", id, "managementId")->check(CLI::Range(0, 65535))->required();
  raw->add_option("--data", hex, "dataField as hex");
  auto* bytes = app.add_subcommand("bytes", "send a whole datagram (hex), wait for no answer");
  bytes->add_option("--hex", hex)->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 64;
  }
  const std::chrono::milliseconds timeout(timeout_ms);
  try {
    PtpMgmtClient client(opt);
    if (*get_gm) {
      auto r = client.get_grandmaster_settings(timeout);
      return report(r, json(Payload{r.value}));
    }
    if (*get_tp) {
      auto r = client.get_time_properties(timeout);
      return report(r, json(Payload{r.value}));
    }
    if (*get_parent) {
      auto r = client.get_parent_data_set(timeout);
      return report(r, json(Payload{r.value}));
    }
    if (*get_ports) {
      auto r = client.get_port_data_sets(timeout);
      std::string list = "[";
      for (std::size_t i = 0; i < r.value.size(); ++i) {
        list += (i ? ", " : "") + json(Payload{r.value[i]});
      }
      return report(r, list + "]");
    }
    GrandmasterSettings g;
    g.quality.clock_class = static_cast<std::uint8_t>(cls);
    g.quality.clock_accuracy = static_cast<std::uint8_t>(acc);
    g.quality.offset_scaled_log_variance = static_cast<std::uint16_t>(oslv);
    g.utc_offset = static_cast<std::int16_t>(utc);
    g.time_flags = static_cast<std::uint8_t>(flags);
    g.time_source = static_cast<std::uint8_t>(src);
    if (*keep) return run_keep(opt, g, keep_seconds);
    if (*set_gm) {
      auto r = client.set_grandmaster_settings(g, timeout);
      return report(r, json(Payload{r.value}));
    }
    if (*raw) {
      auto data = parse_hex(hex);
      auto r = client.request(static_cast<Action>(action), static_cast<std::uint16_t>(id), data,
                              timeout);
      return report(r, json(r.value.payload));
    }
    if (*bytes) {
      auto data = parse_hex(hex);
      auto s = client.send_bytes(data);
      Result<int> r;
      r.status = s.status;
      r.message = s.message;
      return report(r, "{}");
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "ptpmgmt-query: {}\n", e.what());
    return 1;
  }
  return 64;
}
