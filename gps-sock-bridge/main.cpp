// gps-sock-bridge: gpsd → chronyd (SOCK and/or SHM), quality-gated. See gps-sock-bridge.8.
//
// The shell around Bridge (bridge.hpp): command line, configuration, signals (signalfd),
// poll() on gpsd's socket, the SOCK/SHM writers and sd_notify. Needs no capabilities; it runs
// as root only because chronyd's SOCK sockets are root-owned (FACTS §3).

#include <poll.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
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
#include "util/fd.hpp"

namespace nanotime::bridge {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFatal = 1;
constexpr std::int64_t kTickNs = 1'000'000'000;
constexpr std::int64_t kStatusLogNs = 600'000'000'000;  // a status line every 10 minutes
constexpr int kShmPrecision = -10;                        // serial time: ~1 ms

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Where samples go: chrony SOCK sockets and NTP SHM segments, as configured.
class DaemonOutputs : public Outputs {
 public:
  explicit DaemonOutputs(const BridgeConfig& c) {
    if (!c.time_socket.empty()) time_ = std::make_unique<refclock::SockWriter>(c.time_socket, "GPS");
    if (!c.pps_socket.empty()) pps_ = std::make_unique<refclock::SockWriter>(c.pps_socket, "PPS");
    for (const int unit : c.shm_units) {
      // Throws with a clear message when the segment exists with another size or mode.
      shm_.emplace_back(unit, static_cast<int>(c.shm_perm), kShmPrecision);
    }
  }
  void time_sample(const Sample& s) override {
    if (time_) (void)time_->send_time(s.system_ns, s.true_minus_system_ns, s.leap);
    for (auto& w : shm_) {
      w.write(refclock::ShmSample{s.system_ns + static_cast<std::int64_t>(
                                                    std::llround(s.true_minus_system_ns)),
                                  s.system_ns, s.leap});
    }
  }
  void pps_sample(const Sample& s) override {
    if (pps_) (void)pps_->send_time(s.system_ns, s.true_minus_system_ns, s.leap);
  }

 private:
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

Pipeline make_pipeline(const BridgeConfig& c) {
  Pipeline p{c, std::make_unique<DaemonOutputs>(c), nullptr};
  p.bridge = std::make_unique<Bridge>(p.config, *p.outputs);
  return p;
}

util::Fd make_signalfd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) {
    throw std::runtime_error(std::string("sigprocmask: ") + std::strerror(errno));
  }
  util::Fd fd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd.valid()) throw std::runtime_error(std::string("signalfd: ") + std::strerror(errno));
  return fd;
}

class Daemon {
 public:
  Daemon(std::string config_path, const BridgeConfig& config)
      : config_path_(std::move(config_path)),
        pipeline_(make_pipeline(config)),
        gpsd_(std::make_unique<gpsd::GpsdClient>(config.gpsd_host, config.gpsd_port)),
        signals_(make_signalfd()) {}

  int run() {
    std::uint64_t watchdog_usec = 0;
    const bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
    log::notice("started: gpsd {}, time SOCK {}, PPS SOCK {}, SHM units {}",
                gpsd_->endpoint(), or_off(pipeline_.config.time_socket),
                or_off(pipeline_.config.pps_socket), pipeline_.config.shm_units.size());
    sd_notify(0, "READY=1\nSTATUS=starting: connecting to gpsd");

    std::int64_t next_tick = monotonic_ns();
    std::int64_t next_status_log = next_tick + kStatusLogNs;
    while (!stop_) {
      const std::int64_t now = monotonic_ns();
      feed(gpsd_->maintain(now), now);
      if (now >= next_tick) {
        pipeline_.bridge->tick(now);
        update_status();
        if (watchdog) sd_notify(0, "WATCHDOG=1");
        next_tick = now + kTickNs;
      }
      if (now >= next_status_log) {
        log::info("status: {}", pipeline_.bridge->status());
        next_status_log = now + kStatusLogNs;
      }

      std::int64_t wake = next_tick;
      if (!gpsd_->connected()) wake = std::min(wake, gpsd_->next_attempt_ns());
      const int timeout_ms =
          static_cast<int>(std::clamp<std::int64_t>((wake - now + 999'999) / 1'000'000, 0, 1000));

      pollfd fds[2] = {{signals_.get(), POLLIN, 0}, {gpsd_->fd(), POLLIN, 0}};
      const nfds_t nfds = gpsd_->fd() >= 0 ? 2 : 1;
      const int n = poll(fds, nfds, timeout_ms);
      if (n < 0) {
        if (errno == EINTR) continue;
        log::error("poll: {}", std::strerror(errno));
        return kExitFatal;
      }
      if ((fds[0].revents & POLLIN) != 0) handle_signals();
      if (nfds == 2 && fds[1].revents != 0) {
        const std::int64_t t = monotonic_ns();
        feed(gpsd_->read_events(t), t);
      }
    }
    sd_notify(0, "STOPPING=1");
    log::notice("stopping: {}", pipeline_.bridge->status());
    return kExitOk;
  }

 private:
  static std::string or_off(const std::string& s) { return s.empty() ? "off" : s; }

  void feed(const std::vector<gpsd::Event>& events, std::int64_t now) {
    for (const auto& e : events) pipeline_.bridge->handle(e, now);
  }

  void update_status() {
    std::string s = pipeline_.bridge->status();
    if (s != last_status_) {
      sd_notify(0, ("STATUS=" + s).c_str());
      last_status_ = std::move(s);
    }
  }

  void handle_signals() {
    signalfd_siginfo info{};
    while (read(signals_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      if (info.ssi_signo == SIGHUP) {
        reload();
      } else {
        log::notice("signal {}: stopping", strsignal(static_cast<int>(info.ssi_signo)));
        stop_ = true;
      }
    }
  }

  // SIGHUP: a bad file keeps the running configuration.
  void reload() {
    sd_notify(0, "RELOADING=1");
    try {
      const BridgeConfig c = load_config_file(config_path_);
      Pipeline p = make_pipeline(c);
      const bool same_gpsd =
          c.gpsd_host == pipeline_.config.gpsd_host && c.gpsd_port == pipeline_.config.gpsd_port;
      pipeline_ = std::move(p);
      if (!same_gpsd) {
        gpsd_ = std::make_unique<gpsd::GpsdClient>(c.gpsd_host, c.gpsd_port);
      } else if (gpsd_->connected()) {
        pipeline_.bridge->handle(gpsd::Connected{}, monotonic_ns());
      }
      log::notice("configuration reloaded from {}", config_path_);
    } catch (const std::exception& e) {
      log::error("reload failed, keeping the running configuration: {}", e.what());
    }
    sd_notify(0, "READY=1");
  }

  std::string config_path_;
  Pipeline pipeline_;
  std::unique_ptr<gpsd::GpsdClient> gpsd_;
  util::Fd signals_;
  std::string last_status_;
  bool stop_ = false;
};

int run(int argc, char** argv) {
  CLI::App app{"gps-sock-bridge: gpsd -> chronyd (SOCK and/or SHM), quality-gated"};
  std::string config_path = kDefaultConfigPath;
  bool check_config = false;
  bool verbose = false;
  app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  app.add_flag("--check-config", check_config, "validate the configuration, print a summary, exit");
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
    config = load_config_file(config_path);
  } catch (const config::ConfigError& e) {
    log::error("{}", e.what());
    return config::kExitConfig;
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
