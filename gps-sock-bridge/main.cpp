// gps-sock-bridge: gpsd → chronyd (SOCK and/or SHM), quality-gated. See gps-sock-bridge.8.
//
// The daemon around Bridge (bridge.hpp): command line, configuration, gpsd's socket and the
// SOCK/SHM writers on lib/shell's event loop (which also does signals, the watchdog and
// sd_notify). Needs no capabilities; it runs as root only because chronyd's SOCK sockets are
// root-owned.

#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bridge.hpp"
#include "config.hpp"
#include "config/config.hpp"
#include "gpsd/client.hpp"
#include "log/log.hpp"
#include "refclock/shm_writer.hpp"
#include "refclock/sock_writer.hpp"
#include "status/catalog.hpp"
#include "status/endpoint.hpp"
#include "status/metrics.hpp"
#include "shell/clock.hpp"
#include "shell/daemon_shell.hpp"
#include "shell/event_loop.hpp"

namespace nanotime::bridge {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFatal = 1;
constexpr std::int64_t kTickNs = 1'000'000'000;
constexpr std::int64_t kStatusLogNs = 600'000'000'000;  // a status line every 10 minutes
constexpr int kShmPrecision = -10;                        // serial time: ~1 ms

using shell::unix_now_s;

// Samples a writer could not hand to chronyd (socket absent, chronyd down), per stream. Kept by
// the Daemon so that a reload (new writers) does not reset them.
struct DeliveryCounts {
  std::uint64_t time_not_delivered = 0;
  std::uint64_t pps_not_delivered = 0;
};

// Where samples go: chrony SOCK sockets and NTP SHM segments, as configured.
class DaemonOutputs : public Outputs {
 public:
  DaemonOutputs(const BridgeConfig& c, DeliveryCounts& counts) : counts_(counts) {
    if (!c.time_socket.empty()) time_ = std::make_unique<refclock::SockWriter>(c.time_socket, "GPS");
    if (!c.pps_socket.empty()) pps_ = std::make_unique<refclock::SockWriter>(c.pps_socket, "PPS");
    for (const int unit : c.shm_units) {
      // Throws with a clear message when the segment exists with another size or mode.
      shm_.emplace_back(unit, static_cast<int>(c.shm_perm), kShmPrecision);
    }
  }
  void time_sample(const Sample& s) override {
    if (time_ && time_->send_time(s.system_ns, s.true_minus_system_ns, s.leap) !=
                     refclock::Delivery::sent) {
      ++counts_.time_not_delivered;
    }
    for (auto& w : shm_) {
      w.write(refclock::ShmSample{s.system_ns + static_cast<std::int64_t>(
                                                    std::llround(s.true_minus_system_ns)),
                                  s.system_ns, s.leap});
    }
  }
  void pps_sample(const Sample& s) override {
    if (pps_ && pps_->send_time(s.system_ns, s.true_minus_system_ns, s.leap) !=
                    refclock::Delivery::sent) {
      ++counts_.pps_not_delivered;
    }
  }

 private:
  DeliveryCounts& counts_;
  std::unique_ptr<refclock::SockWriter> time_;
  std::unique_ptr<refclock::SockWriter> pps_;
  std::vector<refclock::ShmWriter> shm_;
};

// Everything that a configuration reload replaces.
struct Pipeline {
  BridgeConfig config;
  std::unique_ptr<DaemonOutputs> outputs;
  std::unique_ptr<Bridge> bridge;
};

Pipeline make_pipeline(const BridgeConfig& c, DeliveryCounts& counts) {
  Pipeline p{c, std::make_unique<DaemonOutputs>(c, counts), nullptr};
  p.bridge = std::make_unique<Bridge>(p.config, *p.outputs);
  return p;
}

// lib/status's metrics for the bridge, and the HTTP server (/metrics, /status, /) when enabled.
// The metrics live as long as the process; a reload that changes [gps-sock-bridge.status]
// replaces only the server.
class StatusPublisher {
 public:
  explicit StatusPublisher(const status::StatusConfig& c)
      : common_(registry_, "gps-sock-bridge", NANOTIME_VERSION, unix_now_s()),
        gpsd_(registry_),
        bridge_(registry_) {
    // Throws std::system_error when the address cannot be bound.
    if (c.enabled) http_ = status::StatusEndpoint(c.http, registry_, unix_now_s);
  }

  // A new server for `next`. The old one frees its address first; if the new one cannot bind,
  // one on `running` comes back and the exception propagates (the reload fails).
  void rebind(const status::StatusConfig& next, const status::StatusConfig& running) {
    http_ = status::StatusEndpoint();
    try {
      if (next.enabled) http_ = status::StatusEndpoint(next.http, registry_, unix_now_s);
    } catch (...) {
      if (running.enabled) http_ = status::StatusEndpoint(running.http, registry_, unix_now_s);
      throw;
    }
    log::notice("status server now: {}", http_.endpoint());
  }

  int fd() const { return http_.fd(); }
  std::optional<std::int64_t> next_deadline_ns() const { return http_.next_deadline_ns(); }
  void handle_ready(std::int64_t now_mono_ns) { http_.handle_ready(now_mono_ns); }
  std::string endpoint() const { return http_.endpoint(); }

  void connected() { gpsd_.connects.inc(); }

  // A reload replaces the Bridge and its counters: keep the totals going up.
  void carry_over(const Bridge& old) {
    const BridgeCounters& c = old.counters();
    base_.time_sent += c.time_sent;
    base_.time_held += c.time_rejected();
    base_.pps_sent += c.pps_sent;
    base_.pps_held += c.pps_rejected();
    last_time_sent_ = 0;
    last_pps_sent_ = 0;
  }

  // After every batch of gpsd events and every tick; cheap.
  void update(const Bridge& b, const DeliveryCounts& d) {
    const double now = unix_now_s();
    gpsd_.connected.set_bool(b.gpsd_connected());
    gpsd_.fix_mode.set(b.fix_mode());
    if (b.satellites_used()) {
      gpsd_.satellites_used.set(*b.satellites_used());
    } else {
      gpsd_.satellites_used.clear();
    }
    const BridgeCounters& c = b.counters();
    const LastSamples& last = b.last_samples();
    if (c.time_sent != last_time_sent_ && last.time_offset_ns) {
      bridge_.record_serial_offset(now, *last.time_offset_ns * 1e-9);
    }
    if (c.pps_sent != last_pps_sent_ && last.pps_offset_ns) {
      bridge_.record_pps_offset(now, *last.pps_offset_ns * 1e-9);
    }
    last_time_sent_ = c.time_sent;
    last_pps_sent_ = c.pps_sent;
    if (last.pps_qerr_ns) bridge_.pps_qerr.set(*last.pps_qerr_ns * 1e-9);
    bridge_.toff_sent.set(base_.time_sent + c.time_sent);
    bridge_.toff_rejected.set(base_.time_held + c.time_rejected());
    bridge_.toff_not_delivered.set(d.time_not_delivered);
    bridge_.pps_sent.set(base_.pps_sent + c.pps_sent);
    bridge_.pps_rejected.set(base_.pps_held + c.pps_rejected());
    bridge_.pps_not_delivered.set(d.pps_not_delivered);
  }

 private:
  status::Registry registry_;
  status::CommonMetrics common_;
  status::GpsdMetrics gpsd_;
  status::BridgeMetrics bridge_;
  status::StatusEndpoint http_;
  BridgeCounters base_;  // time_held / pps_held here: all rejected reports before the reload
  std::uint64_t last_time_sent_ = 0;
  std::uint64_t last_pps_sent_ = 0;
};


class Daemon {
 public:
  Daemon(std::string config_path, const BridgeConfig& config)
      : config_path_(std::move(config_path)),
        pipeline_(make_pipeline(config, deliveries_)),
        gpsd_(std::make_unique<gpsd::GpsdClient>(config.gpsd_host, config.gpsd_port)),
        status_(config.status),
        shell_(loop_, notifier_, [this] { reload(); }) {}

  // Until SIGTERM/SIGINT; a poll() failure throws.
  int run() {
    log::notice("started: gpsd {}, time SOCK {}, PPS SOCK {}, SHM units {}, status HTTP {}",
                gpsd_->endpoint(), or_off(pipeline_.config.time_socket),
                or_off(pipeline_.config.pps_socket), pipeline_.config.shm_units.size(),
                status_.endpoint());
    shell_.ready("starting: connecting to gpsd");
    schedule();
    loop_.run();
    shell_.stopping();
    log::notice("stopping: {}", pipeline_.bridge->status());
    return kExitOk;
  }

 private:
  static std::string or_off(const std::string& s) { return s.empty() ? "off" : s; }

  // What wakes the loop. gpsd_ and the pipeline are asked afresh each time: a reload may
  // replace them.
  void schedule() {
    const std::int64_t now = loop_.now_ns();
    loop_.add_periodic(now, kTickNs, [this](std::int64_t t) { tick(t); });
    loop_.add_periodic(now + kStatusLogNs, kStatusLogNs, [this](std::int64_t) {
      log::info("status: {}", pipeline_.bridge->status());
    });
    // (Re)connecting to gpsd, with the client's back-off.
    loop_.add_wake(
        [this]() -> std::optional<std::int64_t> {
          if (gpsd_->connected()) return std::nullopt;
          return gpsd_->next_attempt_ns();
        },
        [this](std::int64_t t) { feed(gpsd_->maintain(t), t); });
    loop_.watch([this] { return gpsd_->fd(); }, [this](short) {  // -1 while down
      const std::int64_t t = loop_.now_ns();
      feed(gpsd_->read_events(t), t);
    });
    // The HTTP server never blocks; its deadlines expire slow connections.
    loop_.watch_fd(status_.fd(), [this](short) { status_.handle_ready(loop_.now_ns()); });
    loop_.add_wake([this] { return status_.next_deadline_ns(); },
                   [this](std::int64_t t) { status_.handle_ready(t); });
  }

  void tick(std::int64_t now) {
    pipeline_.bridge->tick(now);
    shell_.set_status(pipeline_.bridge->status(), now);
    status_.update(*pipeline_.bridge, deliveries_);
  }

  void feed(const std::vector<gpsd::Event>& events, std::int64_t now) {
    for (const auto& e : events) {
      if (std::holds_alternative<gpsd::Connected>(e)) status_.connected();
      pipeline_.bridge->handle(e, now);
    }
    if (!events.empty()) status_.update(*pipeline_.bridge, deliveries_);
  }

  // SIGHUP (the shell sends RELOADING=1 / READY=1 around it): a bad file keeps the running
  // configuration.
  void reload() {
    try {
      const BridgeConfig c = load_config_file(config_path_);
      Pipeline p = make_pipeline(c, deliveries_);
      const bool same_gpsd =
          c.gpsd_host == pipeline_.config.gpsd_host && c.gpsd_port == pipeline_.config.gpsd_port;
      // The last step that can fail (the address is taken): after it, nothing does.
      if (!(c.status == pipeline_.config.status)) status_.rebind(c.status, pipeline_.config.status);
      status_.carry_over(*pipeline_.bridge);
      pipeline_ = std::move(p);
      if (!same_gpsd) {
        gpsd_ = std::make_unique<gpsd::GpsdClient>(c.gpsd_host, c.gpsd_port);
      } else if (gpsd_->connected()) {
        pipeline_.bridge->handle(gpsd::Connected{}, loop_.now_ns());
      }
      log::notice("configuration reloaded from {}", config_path_);
    } catch (const std::exception& e) {
      log::error("reload failed, keeping the running configuration: {}", e.what());
    }
  }

  std::string config_path_;
  DeliveryCounts deliveries_;  // before pipeline_: its outputs count into it
  Pipeline pipeline_;
  std::unique_ptr<gpsd::GpsdClient> gpsd_;
  StatusPublisher status_;
  shell::HostClock clock_;
  shell::EventLoop loop_{clock_};
  shell::SystemdNotifier notifier_;
  shell::DaemonShell shell_;  // last: its signal handler reloads all of the above
};

int run(int argc, char** argv) {
  CLI::App app{"gps-sock-bridge: gpsd -> chronyd (SOCK and/or SHM), quality-gated"};
  std::string config_path = kDefaultConfigPath;
  bool check_config = false;
  bool print = false;
  bool verbose = false;
  auto* config_opt =
      app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  app.add_flag("--check-config", check_config, "validate the configuration, print a summary, exit");
  app.add_flag("--print-config", print,
               "print every configuration key as JSON (default, and the value of -c FILE), exit");
  app.add_flag("-v,--verbose", verbose, "debug logging");
  app.set_version_flag("--version", std::string("gps-sock-bridge ") + NANOTIME_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help/version/usage error
    return code == 0 ? kExitOk : kExitFatal;
  }

  log::configure(log::options_from_environment("gps-sock-bridge"));
  if (verbose) log::set_min_level(log::Level::debug);

  BridgeConfig config;
  try {
    // --print-config without -c: the defaults (the key table), whatever is installed.
    if (!print || config_opt->count() > 0) config = load_config_file(config_path);
  } catch (const config::ConfigError& e) {
    log::error("{}", e.what());
    return config::kExitConfig;
  }
  if (print) {
    std::fputs(print_config(config).c_str(), stdout);
    return kExitOk;
  }
  if (check_config) {
    std::printf("%s: configuration OK\n%s", config_path.c_str(), describe(config).c_str());
    return kExitOk;
  }

  std::signal(SIGPIPE, SIG_IGN);  // a dead gpsd connection is an error return, not a signal
  try {
    Daemon daemon(config_path, config);
    return daemon.run();
  } catch (const std::exception& e) {
    log::error("fatal: {}", e.what());
    return kExitFatal;
  }
}

}  // namespace
}  // namespace nanotime::bridge

int main(int argc, char** argv) { return nanotime::bridge::run(argc, argv); }
