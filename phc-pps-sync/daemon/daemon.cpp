// The shell around the conductor: command line, configuration, devices (or the realtime
// simulation), one poll() loop, signals (signalfd), sd_notify. Mirrors gps-sock-bridge/main.cpp.
//
// Device errors (EXTTS read error, ENODEV, PHC gone, a failed step or frequency change) end
// the daemon with exit status 1 after telling ptp4l the clock is no longer traceable: the unit
// has Restart=on-failure, so systemd retries with its own back-off, and a PHC that came back
// (driver reload) is set up from scratch. Retrying inside the daemon would hide the failure
// from `systemctl status` and keep a half-working PHC.

#include "daemon/daemon.hpp"

#include <poll.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "config/config.hpp"
#include "daemon/conductor.hpp"
#include "daemon/config.hpp"
#include "daemon/io.hpp"
#include "daemon/link_monitor.hpp"
#include "daemon/ptp4l_publisher.hpp"
#include "daemon/sim_backend.hpp"
#include "daemon/status_hook.hpp"
#include "discipline/engine.hpp"
#include "log/log.hpp"
#include "phc/linux_ptp_clock.hpp"
#include "sim/profile.hpp"
#include "sim/simulation.hpp"
#include "timescale/leap_table.hpp"
#include "util/daemon_signals.hpp"
#include "util/fd.hpp"

#ifndef NANOTIME_VERSION
#define NANOTIME_VERSION "0.1.0"
#endif

namespace nanotime::ppsd {
namespace {

constexpr std::int64_t kTickNs = 1'000'000'000;
constexpr std::int64_t kStatusRefreshNs = 10'000'000'000;  // STATUS= at least this often
constexpr int kStopTimeoutMs = 1000;                          // ptp4l's answer on SIGTERM
constexpr std::int64_t kLeapExpiryWarnS = 30 * 86400;

log::Level level_of(const std::string& name) {
  if (name == "debug") return log::Level::debug;
  if (name == "notice") return log::Level::notice;
  if (name == "warning") return log::Level::warning;
  if (name == "error") return log::Level::error;
  return log::Level::info;
}


std::shared_ptr<const timescale::LeapTable> load_leap_table(const std::string& path,
                                                            std::int64_t now_utc_s) {
  if (path.empty()) return nullptr;
  try {
    auto t = std::make_shared<const timescale::LeapTable>(timescale::LeapTable::load(path));
    if (t->expired(now_utc_s)) {
      log::warning("{} has EXPIRED: leap seconds after its expiry are unknown; update tzdata", path);
    } else if (t->expiry_posix_s() && *t->expiry_posix_s() - now_utc_s < kLeapExpiryWarnS) {
      log::warning("{} expires in less than 30 days: update tzdata", path);
    }
    return t;
  } catch (const std::exception& e) {
    log::warning("leap-seconds file not used: {} (TAI − UTC then comes from gpsd, else 37 s)",
                 e.what());
    return nullptr;
  }
}

// Everything a SIGHUP may replace.
struct Outputs {
  std::unique_ptr<SockChronySink> chrony;
  std::unique_ptr<Ptp4lPublisher> ptp4l;
};

Outputs make_outputs(const DaemonConfig& c) {
  Outputs o;
  if (!c.chrony_socket.empty()) o.chrony = std::make_unique<SockChronySink>(c.chrony_socket);
  if (!c.ptp4l_socket.empty()) {
    o.ptp4l = std::make_unique<Ptp4lPublisher>(c.ptp4l_socket,
                                               static_cast<std::uint8_t>(c.ptp4l_domain));
  }
  return o;
}

std::unique_ptr<TodSource> make_tod(const DaemonConfig& c) {
  if (c.tod_source == "system") return std::make_unique<SystemTodSource>(c.system_max_error_s);
  return std::make_unique<GpsdTodSource>(c.gpsd_host, c.gpsd_port);
}

double unix_now_s() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class Daemon {
 public:
  Daemon(const DaemonOptions& options, DaemonConfig config, std::optional<sim::Profile> profile)
      : options_(options), config_(std::move(config)) {
    const std::int64_t now_utc_s = clocks_.realtime_ns() / 1'000'000'000;
    leap_table_ = load_leap_table(config_.leap_seconds_file, now_utc_s);

    discipline::EngineConfig ec;
    if (profile) {
      ec = sim::engine_config(*profile, options_.servo.value_or(config_.servo));
      ec.max_freq_ppb = std::min(ec.max_freq_ppb, config_.max_freq_ppb);
      engine_cable_delay_ns_ = ec.cable_delay_ns;  // the profile's: the simulated antenna's
      const std::uint64_t seed = options_.seed.value_or(profile->sim.seed);
      sim_ = std::make_unique<RealtimeSim>(*profile, seed, clocks_, ec.max_freq_ppb);
      clock_ = sim_.get();
      tod_ = nullptr;
      link_ = &sim_->link();
      temperature_ = sim_->temperature();
      log::notice("realtime simulation of {} (seed {}): true time = system clock {:+.9f} s; "
                  "t = 0 at UTC {}", profile->name, seed, profile->sim.system_offset_s,
                  sim_->start_utc_s());
    } else {
      ec.servo = config_.servo;
      ec.cable_delay_ns = config_.cable_delay_ns;
      engine_cable_delay_ns_ = config_.cable_delay_ns;
      ec.max_freq_ppb = config_.max_freq_ppb;
      ec.both_edges = config_.both_edges;
      ec.pulse_width_s = config_.pulse_width_s;
      if (leap_table_) ec.tai_utc_s = leap_table_->tai_utc_at_utc(now_utc_s).value_or(37);
      open_devices();
    }
    ec.holdover_limit_ns = config_.holdover_limit_ns;
    ec.degraded_clock_class = static_cast<std::uint8_t>(config_.degraded_clock_class);
    ec.leap_table = leap_table_;
    engine_ = discipline::make_engine(ec);  // throws std::invalid_argument for a bad servo

    outputs_ = make_outputs(config_);
    if (!profile) own_tod_ = make_tod(config_);
    tod_ = sim_ ? &sim_->tod() : own_tod_.get();
    status_ = std::make_unique<DaemonStatus>(config_.status, unix_now_s(), unix_now_s);
    conductor_ = std::make_unique<Conductor>(*engine_, *clock_, clocks_, outputs_.chrony.get(),
                                             outputs_.ptp4l.get(), conductor_options());
  }

  int run() {
    std::uint64_t watchdog_usec = 0;
    const bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
    const std::int64_t watchdog_ns = static_cast<std::int64_t>(watchdog_usec) * 1000 / 2;

    try {
      conductor_->start();
    } catch (const std::exception& e) {
      log::error("PHC set-up failed: {}", e.what());
      conductor_->stop(kStopTimeoutMs);
      return kExitFatal;
    }
    // The link may already be down: the engine must know before the first (stale) event.
    if (link_ != nullptr && !link_->carrier()) conductor_->on_carrier(false);
    log::notice("started: {}; time of day: {}; chronyd SOCK {}; ptp4l {}; status {}",
                sim_ ? std::string("simulated PHC") : phc_name_, tod_->describe(),
                or_off(config_.chrony_socket), or_off(config_.ptp4l_socket), status_->endpoint());
    sd_notify(0, "READY=1\nSTATUS=acquiring: waiting for pulses");

    std::int64_t next_tick = clocks_.mono_ns() + kTickNs;
    std::int64_t next_watchdog = clocks_.mono_ns();
    std::int64_t next_status = clocks_.mono_ns() + kStatusRefreshNs;
    int exit_code = kExitOk;
    try {
      while (!stop_) {
        if (sim_) sim_->sync();
        std::int64_t now = clocks_.mono_ns();
        if (const auto w = tod_->wake_mono_ns(); w && now >= *w) {
          conductor_->on_tod_events(tod_->maintain(now));
        }
        if (now >= next_tick) {
          conductor_->on_tick(temperature_ != nullptr ? temperature_->read_celsius() : std::nullopt);
          next_tick = std::max(next_tick + kTickNs, now + kTickNs / 2);
          refresh_status(now, next_status);
        }
        if (watchdog && now >= next_watchdog) {
          sd_notify(0, "WATCHDOG=1");
          next_watchdog = now + watchdog_ns;
        }
        if (outputs_.ptp4l) outputs_.ptp4l->service(now);

        std::int64_t wake = next_tick;
        if (watchdog) wake = std::min(wake, next_watchdog);
        if (const auto w = tod_->wake_mono_ns()) wake = std::min(wake, *w);
        if (const auto w = status_->next_deadline_ns()) wake = std::min(wake, *w);
        if (sim_) wake = std::min(wake, sim_->next_event_mono_ns());
        now = clocks_.mono_ns();
        const int timeout_ms = static_cast<int>(
            std::clamp<std::int64_t>((wake - now + 999'999) / 1'000'000, 0, 1000));

        enum Slot { kSignal, kPhc, kTod, kLink, kStatus, kPtp4l, kSlots };
        pollfd fds[kSlots] = {{signals_.fd(), POLLIN, 0},
                              {clock_->poll_fd(), POLLIN, 0},
                              {tod_->fd(), POLLIN, 0},
                              {link_ != nullptr ? link_->fd() : -1, POLLIN, 0},
                              {status_->fd(), POLLIN, 0},
                              {outputs_.ptp4l ? outputs_.ptp4l->fd() : -1, POLLIN, 0}};
        const int n = poll(fds, kSlots, timeout_ms);
        if (n < 0) {
          if (errno == EINTR) continue;
          throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        }
        if (fds[kSignal].revents & POLLIN) {
          // A reload may have replaced sources and outputs: their readiness is polled afresh.
          handle_signals();
          continue;
        }
        if (fds[kPhc].revents != 0) {
          if ((fds[kPhc].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 && !sim_) {
            throw phc::PhcError(ENODEV, phc_name_ + ": the PHC reported an error or went away");
          }
          conductor_->on_extts_readable();
          update_status();
        }
        if (fds[kTod].revents != 0) {
          conductor_->on_tod_events(tod_->read_events(clocks_.mono_ns()));
          update_status();
        }
        if (fds[kLink].revents != 0) {
          if (const auto up = link_->read_change()) conductor_->on_carrier(*up);
        }
        if (fds[kStatus].revents != 0) status_->handle_ready(clocks_.mono_ns());
        if (const auto d = status_->next_deadline_ns(); d && clocks_.mono_ns() >= *d) {
          status_->handle_ready(clocks_.mono_ns());
        }
        if (fds[kPtp4l].revents != 0 && outputs_.ptp4l) outputs_.ptp4l->service(clocks_.mono_ns());
      }
    } catch (const phc::PhcError& e) {
      log::error("PHC failure: {} — stopping (systemd restarts the service)", e.what());
      exit_code = kExitFatal;
    } catch (const std::exception& e) {
      log::error("fatal: {}", e.what());
      exit_code = kExitFatal;
    }
    sd_notify(0, "STOPPING=1\nSTATUS=stopping: telling ptp4l the clock is not traceable");
    conductor_->stop(kStopTimeoutMs);
    log::notice("stopped: {}", status_line(engine_->status()));
    return exit_code;
  }

 private:
  static std::string or_off(const std::string& s) { return s.empty() ? "off" : s; }

  ConductorOptions conductor_options() const {
    ConductorOptions o;
    o.pin = config_.pin;
    o.channel = sim_ ? 0 : config_.channel;
    o.set_pin = config_.set_pin;
    o.cable_delay_shift_ns = sim_ ? 0 : config_.cable_delay_ns - engine_cable_delay_ns_;
    return o;
  }

  void open_devices() {
    std::string device = config_.device;
    if (!config_.interface.empty()) {
      device = phc::phc_device_for_interface(phc::linux_syscalls(), config_.interface);
      link_source_ = std::make_unique<NetlinkLinkSource>(config_.interface);
      link_ = link_source_.get();
    } else {
      log::info("device {} given without interface: the carrier is not watched", device);
    }
    phc_ = std::make_unique<phc::LinuxPtpClock>(phc::linux_syscalls(), device,
                                                phc::LinuxPtpClockOptions{config_.max_freq_ppb});
    clock_ = phc_.get();
    phc_name_ = config_.interface.empty() ? device
                                          : device + " (" + config_.interface + ")";
    if (!config_.temperature_file.empty()) {
      file_temperature_ = std::make_unique<FileTemperature>(config_.temperature_file);
      temperature_ = file_temperature_.get();
    }
  }

  void refresh_status(std::int64_t now, std::int64_t& next_status) {
    update_status();
    const discipline::EngineStatus s = engine_->status();
    const std::string key = status_key(s);
    if (key != last_status_key_ || now >= next_status) {
      sd_notify(0, ("STATUS=" + status_line(s)).c_str());
      last_status_key_ = key;
      next_status = now + kStatusRefreshNs;
    }
  }

  void update_status() {
    const discipline::EngineStatus s = engine_->status();
    StatusSnapshot snap;
    snap.engine = &s;
    snap.conductor = conductor_.get();
    snap.ptp4l = outputs_.ptp4l.get();
    // A real gpsd client knows its socket (also before its first connection succeeds); the
    // simulated receiver stands in for gpsd and says so with Connected/Disconnected events.
    if (auto* g = dynamic_cast<GpsdTodSource*>(tod_)) {
      snap.gpsd_connected = g->connected();
    } else {
      snap.gpsd_connected = conductor_->gpsd_connected();
    }
    snap.link_up = conductor_->carrier();
    status_->update(snap, unix_now_s());
  }

  void handle_signals() {
    while (const auto sig = signals_.next()) {
      if (sig->action == util::DaemonSignals::Action::reload) {
        reload();
      } else {
        log::notice("signal {}: stopping", strsignal(sig->signo));
        stop_ = true;
      }
    }
  }

  // SIGHUP: a bad file keeps the running configuration. What cannot change live is named.
  void reload() {
    if (sim_ && !options_.config_given) {
      log::notice("SIGHUP: no configuration file was given (-c); nothing to reload");
      return;
    }
    sd_notify(0, "RELOADING=1");
    try {
      const DaemonConfig c = load_config_file(
          options_.config_path, sim_ ? PhcKeys::ignored : PhcKeys::required);
      for (const std::string& w : c.warnings) log::warning("{}", w);
      // First, as the one step that can fail (the address is taken): then nothing has changed.
      if (!(c.status == config_.status)) rebind_status(c.status);
      const auto restart = keys_needing_restart(config_, c);
      const std::int64_t now = clocks_.mono_ns();
      if (!options_.verbose) log::set_min_level(level_of(c.log_level));
      if (c.chrony_socket != config_.chrony_socket) {
        outputs_.chrony = c.chrony_socket.empty() ? nullptr
                                                  : std::make_unique<SockChronySink>(c.chrony_socket);
        conductor_->set_chrony(outputs_.chrony.get());
      }
      if (c.ptp4l_socket != config_.ptp4l_socket || c.ptp4l_domain != config_.ptp4l_domain) {
        conductor_->set_ptp4l(nullptr, now);
        outputs_.ptp4l = c.ptp4l_socket.empty()
                             ? nullptr
                             : std::make_unique<Ptp4lPublisher>(
                                   c.ptp4l_socket, static_cast<std::uint8_t>(c.ptp4l_domain));
        conductor_->set_ptp4l(outputs_.ptp4l.get(), now);
      }
      if (!sim_) {
        conductor_->set_cable_delay_shift_ns(c.cable_delay_ns - engine_cable_delay_ns_);
        if (c.tod_source == config_.tod_source &&
            (c.gpsd_host != config_.gpsd_host || c.gpsd_port != config_.gpsd_port ||
             c.system_max_error_s != config_.system_max_error_s)) {
          DaemonConfig t = config_;
          t.gpsd_host = c.gpsd_host;
          t.gpsd_port = c.gpsd_port;
          t.system_max_error_s = c.system_max_error_s;
          own_tod_ = make_tod(t);
          tod_ = own_tod_.get();
          conductor_->on_tod_events({gpsd::Disconnected{"configuration reloaded"}});
        }
        if (c.temperature_file != config_.temperature_file) {
          file_temperature_ = c.temperature_file.empty()
                                  ? nullptr
                                  : std::make_unique<FileTemperature>(c.temperature_file);
          temperature_ = file_temperature_.get();
        }
      }
      // Keep the running values of what was not applied, so the next reload compares right.
      config_ = keep_restart_values(config_, c);
      if (restart.empty()) {
        log::notice("configuration reloaded from {}", options_.config_path);
      } else {
        std::string keys;
        for (const auto& k : restart) keys += (keys.empty() ? "" : ", ") + k;
        log::warning("configuration reloaded from {}; changed keys that need a restart "
                     "(systemctl restart phc-pps-sync), still running with the old values: {}",
                     options_.config_path, keys);
      }
    } catch (const std::exception& e) {
      log::error("reload failed, keeping the running configuration: {}", e.what());
    }
    sd_notify(0, "READY=1");
  }

  // A new status server (metrics restart from zero). The old one frees its address first; if
  // the new one cannot bind, the old one comes back and the reload fails.
  void rebind_status(const status::StatusConfig& next) {
    status_.reset();
    try {
      status_ = std::make_unique<DaemonStatus>(next, unix_now_s(), unix_now_s);
    } catch (...) {
      status_ = std::make_unique<DaemonStatus>(config_.status, unix_now_s(), unix_now_s);
      throw;
    }
    log::notice("status server now: {}", status_->endpoint());
  }

  DaemonOptions options_;
  DaemonConfig config_;
  SystemClocks clocks_;
  util::DaemonSignals signals_;
  std::shared_ptr<const timescale::LeapTable> leap_table_;
  double engine_cable_delay_ns_ = 0;

  std::unique_ptr<RealtimeSim> sim_;
  std::unique_ptr<phc::LinuxPtpClock> phc_;
  std::unique_ptr<NetlinkLinkSource> link_source_;
  std::unique_ptr<FileTemperature> file_temperature_;
  std::unique_ptr<TodSource> own_tod_;
  phc::PtpClock* clock_ = nullptr;
  TodSource* tod_ = nullptr;
  LinkSource* link_ = nullptr;
  TemperatureSource* temperature_ = nullptr;
  std::string phc_name_;

  std::unique_ptr<discipline::Engine> engine_;
  Outputs outputs_;
  std::unique_ptr<DaemonStatus> status_;
  std::unique_ptr<Conductor> conductor_;
  std::string last_status_key_;
  bool stop_ = false;
};

}  // namespace

namespace {
// --print-config: the key table with its defaults, and the values of -c FILE when given (the
// PHC keys are not required: this describes a file, it does not start on it).
int print_config_json(const DaemonOptions& options) {
  try {
    const DaemonConfig c =
        options.config_given ? load_config_file(options.config_path, PhcKeys::ignored) : DaemonConfig{};
    std::fputs(print_config(c).c_str(), stdout);
    return kExitOk;
  } catch (const config::ConfigError& e) {
    log::error("{}", e.what());
    return config::kExitConfig;
  }
}
}  // namespace

void add_daemon_options(CLI::App& app, DaemonOptions& o) {
  app.add_option("-c,--config", o.config_path, "configuration file")->capture_default_str();
  app.add_flag("--check-config", o.check_config,
               "validate the configuration (and profile), print a summary, exit");
  app.add_flag("--print-config", o.print_config,
               "print every configuration key as JSON (default, and the value of -c FILE), exit");
  app.add_flag("-v,--verbose", o.verbose, "debug logging");
}

int run_daemon(const DaemonOptions& options) {
  log::configure(log::options_from_environment("phc-pps-sync"));
  const bool simulate = !options.simulate_profile.empty();

  if (options.print_config) return print_config_json(options);
  DaemonConfig config;
  std::optional<sim::Profile> profile;
  try {
    if (!simulate || options.config_given) {
      config = load_config_file(options.config_path,
                                simulate ? PhcKeys::ignored : PhcKeys::required);
    }
    if (simulate) profile = sim::load_profile(options.simulate_profile);
  } catch (const config::ConfigError& e) {
    log::error("{}", e.what());
    return config::kExitConfig;
  }
  if (options.servo && *options.servo != "pi" && *options.servo != "kalman") {
    log::error("--servo {}: must be pi or kalman", *options.servo);
    return kExitUsage;
  }
  log::set_min_level(options.verbose ? log::Level::debug : level_of(config.log_level));
  for (const std::string& w : config.warnings) log::warning("{}", w);
  if (options.check_config) {
    std::printf("%s: configuration OK\n%s",
                simulate && !options.config_given ? "(defaults)" : options.config_path.c_str(),
                describe(config).c_str());
    if (profile) std::printf("simulation:        %s (realtime)\n", options.simulate_profile.c_str());
    return kExitOk;
  }

  std::signal(SIGPIPE, SIG_IGN);
  try {
    Daemon daemon(options, config, std::move(profile));
    return daemon.run();
  } catch (const std::exception& e) {
    log::error("fatal: {}", e.what());
    return kExitFatal;
  }
}

}  // namespace nanotime::ppsd
