// The shell around the conductor: command line, configuration, the devices (a
// conductor::Backend: the hardware, or whatever the caller's make_backend gives — the realtime
// simulation), run on lib/shell's event loop and daemon shell (signals, watchdog, sd_notify), as
// gps-sock-bridge is.
//
// Device errors (EXTTS read error, ENODEV, PHC gone, a failed step or frequency change) end
// the daemon with exit status 1 after telling ptp4l the clock is no longer traceable: the unit
// has Restart=on-failure, so systemd retries with its own back-off, and a PHC that came back
// (driver reload) is set up from scratch. Retrying inside the daemon would hide the failure
// from `systemctl status` and keep a half-working PHC.

#include "daemon/daemon.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "chrony/chronyd_poller.hpp"
#include "config/config.hpp"
#include "conductor/conductor.hpp"
#include "conductor/recording_recorder.hpp"
#include "daemon/chronyd_hook.hpp"
#include "daemon/config.hpp"
#include "daemon/hardware.hpp"
#include "daemon/io.hpp"
#include "daemon/ptp4l_publisher.hpp"
#include "daemon/receiver_watch.hpp"
#include "daemon/recording_files.hpp"
#include "daemon/record_control.hpp"
#include "daemon/recording_header.hpp"
#include "daemon/status_hook.hpp"
#include "discipline/engine.hpp"
#include "log/log.hpp"
#include "shell/clock.hpp"
#include "shell/daemon_shell.hpp"
#include "shell/event_loop.hpp"
#include "timescale/leap_table.hpp"
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

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
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

using shell::unix_now_s;

class Daemon {
 public:
  Daemon(const DaemonOptions& options, DaemonConfig config)
      : options_(options), config_(std::move(config)) {
    const std::int64_t now_utc_s = clocks_.realtime_ns() / 1'000'000'000;
    leap_table_ = load_leap_table(config_.leap_seconds_file, now_utc_s);
    if (leap_table_) leap_text_ = read_text(config_.leap_seconds_file);
    backend_ = options_.make_backend ? options_.make_backend(config_, clocks_)
                                     : make_hardware(config_);
    clock_ = &backend_->clock();
    link_ = backend_->link();
    temperature_ = backend_->temperature();

    discipline::EngineConfig ec;
    ec.servo = options_.servo.value_or(config_.servo);
    ec.cable_delay_ns = config_.cable_delay_ns;
    ec.max_freq_ppb = config_.max_freq_ppb;
    ec.both_edges = config_.both_edges;
    ec.pulse_width_s = config_.pulse_width_s;
    if (leap_table_) ec.tai_utc_s = leap_table_->tai_utc_at_utc(now_utc_s).value_or(37);
    ec.holdover_limit_ns = config_.holdover_limit_ns;
    ec.receiver_navigation_wander_ns = config_.receiver_navigation_wander_ns;
    ec.degraded_clock_class = static_cast<std::uint8_t>(config_.degraded_clock_class);
    ec.leap_table = leap_table_;
    backend_->dictate(ec);
    engine_cable_delay_ns_ = ec.cable_delay_ns;
    engine_ = discipline::make_engine(ec);  // throws std::invalid_argument for a bad servo

    outputs_ = make_outputs(config_);
    tod_ = backend_->tod();
    if (tod_ == nullptr) {
      own_tod_ = make_tod(config_);
      tod_ = own_tod_.get();
    }
    // The receiver's own state: the backend's (a simulated receiver), or gpsd's raw stream.
    // The realtime simulation without a simulated receiver watches gpsd's only when the file
    // asks for it (receiver_watch = true): scripts/demo's real gpsd and fake u-blox receiver.
    // Its pulses then stay the simulation's: the watched mode only changes the bound.
    receiver_watch_ = backend_->receiver_watch();
    const bool watch_gpsd = !backend_->fixed_devices() || config_.receiver_watch_set;
    if (receiver_watch_ == nullptr && watch_gpsd && config_.receiver_watch &&
        config_.tod_source == "gpsd") {
      own_receiver_watch_ =
          std::make_unique<GpsdReceiverWatch>(config_.gpsd_host, config_.gpsd_port);
      receiver_watch_ = own_receiver_watch_.get();
    }
    status_ = std::make_unique<DaemonStatus>(config_.status, unix_now_s(), unix_now_s);
    publish_leap_expiry();
    engine_config_ = ec;
    // Every port reaches the conductor through the recorder (docs/recording.md): it forwards
    // only, until a recording starts.
    conductor_ = std::make_unique<Conductor>(
        *engine_, recorder_.clock(*clock_), recorder_.clocks(clocks_),
        recorder_.chrony(outputs_.chrony.get()), outputs_.ptp4l.get(), conductor_options());
    // null: no GPIO PPS wired or configured
    conductor_->set_gpio_pps(recorder_.gpio(backend_->gpio_pps()));
    conductor_->set_observer(&recorder_);
  }

  int run() {
    // Recording from the start makes a file that replays exactly.
    if (config_.record.enabled) start_recording(config_.record, "start");
    try {
      conductor_->start();
    } catch (const std::exception& e) {
      log::error("PHC set-up failed: {}", e.what());
      conductor_->stop(kStopTimeoutMs);
      return kExitFatal;
    }
    // The link may already be down: the engine must know before the first (stale) event.
    if (link_ != nullptr && !link_->carrier()) conductor_->on_carrier(recorder_.carrier(false));
    const conductor::GpioPpsSource* gpio = backend_->gpio_pps();
    // The status endpoint stays the last field: tools read it from the end of this line.
    log::notice("started: {}; time of day: {}; GPIO PPS {}; chronyd SOCK {}; ptp4l {}; status {}",
                backend_->describe(), tod_->describe(), gpio != nullptr ? gpio->describe() : "none",
                or_off(config_.chrony_socket), or_off(config_.ptp4l_socket), status_->endpoint());
    shell_.ready("acquiring: waiting for pulses");

    int exit_code = kExitOk;
    try {
      schedule();
      loop_.run();  // until SIGTERM/SIGINT; device errors throw out of it
    } catch (const phc::PhcError& e) {
      log::error("PHC failure: {} — stopping (systemd restarts the service)", e.what());
      exit_code = kExitFatal;
    } catch (const std::exception& e) {
      log::error("fatal: {}", e.what());
      exit_code = kExitFatal;
    }
    shell_.stopping("stopping: telling ptp4l the clock is not traceable");
    conductor_->stop(kStopTimeoutMs);
    stop_recording();
    log::notice("stopped: {}", status_line(engine_->status()));
    return exit_code;
  }

 private:
  static std::string or_off(const std::string& s) { return s.empty() ? "off" : s; }

  // What wakes the loop. Sources and outputs are looked up on every pass: a reload may replace
  // them (the shell then drops that pass's stale readiness).
  void schedule() {
    // The realtime simulation catches up with the host clock first, and wakes the loop for
    // its next event.
    loop_.add_pass_hook([this] { backend_->process_due(); });
    loop_.add_wake([this] { return backend_->next_wake_mono_ns(); });
    loop_.add_wake([this] { return tod_->wake_mono_ns(); },  // gpsd reconnects
                   [this](std::int64_t now) {
                     conductor_->on_tod_events(recorder_.tod(tod_->maintain(now)));
                   });
    loop_.add_periodic(loop_.now_ns() + kTickNs, kTickNs, [this](std::int64_t now) {
      conductor_->on_tick(recorder_.tick(temperature_ != nullptr ? temperature_->read_celsius()
                                                                 : std::nullopt));
      refresh_status(now);
    });
    // Whatever this pass wanted ptp4l to announce goes out before the loop sleeps.
    loop_.add_pre_poll_hook([this](std::int64_t now) {
      if (outputs_.ptp4l) outputs_.ptp4l->service(now);
    });
    watch_devices();
    watch_record_control();
    watch_chronyd();
    loop_.watch([this] { return status_->fd(); },
                [this](short) { status_->handle_ready(loop_.now_ns()); });
    loop_.add_wake([this] { return status_->next_deadline_ns(); },  // slow HTTP clients
                   [this](std::int64_t now) { status_->handle_ready(now); });
    loop_.watch([this] { return outputs_.ptp4l ? outputs_.ptp4l->fd() : -1; }, [this](short) {
      if (outputs_.ptp4l) outputs_.ptp4l->service(loop_.now_ns());
    });
  }

  // The PHC's EXTTS events, time-of-day messages and the carrier.
  void watch_devices() {
    loop_.watch([this] { return clock_->poll_fd(); }, [this](short revents) {
      if ((revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
        throw phc::PhcError(ENODEV, backend_->describe() +
                                        ": the PHC reported an error or went away");
      }
      conductor_->on_extts_readable();
      update_status();
    });
    loop_.watch([this] { return tod_->fd(); }, [this](short) {
      conductor_->on_tod_events(recorder_.tod(tod_->read_events(loop_.now_ns())));
      update_status();
    });
    loop_.watch([this] { return link_ != nullptr ? link_->fd() : -1; }, [this](short) {
      if (const auto up = link_->read_change()) conductor_->on_carrier(recorder_.carrier(*up));
    });
    watch_receiver();
  }

  // The receiver's own state (time mode, survey, antenna): the backend's watch, if any.
  ReceiverWatch* receiver_watch() const { return receiver_watch_; }
  void watch_receiver() {
    const auto take = [this](std::optional<ReceiverStatus> s) {
      if (!s) return;
      conductor_->on_receiver(recorder_.receiver(*s));
      update_status();
    };
    loop_.add_wake(
        [this]() -> std::optional<std::int64_t> {
          ReceiverWatch* r = receiver_watch();
          return r != nullptr ? r->wake_mono_ns() : std::nullopt;
        },
        [this, take](std::int64_t now) {
          if (ReceiverWatch* r = receiver_watch()) take(r->maintain(now));
        });
    loop_.watch([this] { return receiver_watch() != nullptr ? receiver_watch()->fd() : -1; },
                [this, take](short) {
                  if (ReceiverWatch* r = receiver_watch()) take(r->read(loop_.now_ns()));
                });
  }

  // chronyd's view on /metrics: a chronyc child every chronyd_query_interval_s, its pipe
  // watched here, never waited for.
  void watch_chronyd() {
    if (config_.chronyd_query_interval_s <= 0) return;
    chrony::PollerOptions o;
    o.command_socket = config_.chronyd_command_socket;
    // Below 1 s a chronyc per query would cost more than it tells (chronyd updates every 8 s).
    double interval_s = config_.chronyd_query_interval_s;
    if (interval_s < 1) {
      log::warning("chronyd_query_interval_s = {} is below 1 s: asking chronyd every second",
                   interval_s);
      interval_s = 1;
    }
    o.interval_ns = static_cast<std::int64_t>(interval_s * 1e9);
    chronyd_ = std::make_unique<chrony::ChronydPoller>(
        o, loop_.now_ns(), [this](const chrony::ChronydView& v) { publish_chronyd(v, status_->chronyd()); });
    loop_.add_wake([this] { return std::optional<std::int64_t>(chronyd_->next_deadline_ns()); },
                   [this](std::int64_t now) { chronyd_->on_due(now); });
    loop_.watch([this] { return chronyd_->fd(); },
                [this](short) { chronyd_->on_readable(loop_.now_ns()); });
  }

  void publish_leap_expiry() {
    status_->leap_file().set(leap_table_ ? leap_table_->expiry_posix_s() : std::nullopt);
  }

  ConductorOptions conductor_options() const {
    ConductorOptions o;
    o.pin = config_.pin;
    // A backend with fixed devices has its own pin and channel (0) and antenna (dictate()).
    const bool configured = !backend_->fixed_devices();
    o.channel = configured ? config_.channel : 0;
    o.set_pin = config_.set_pin;
    o.cable_delay_shift_ns = configured ? config_.cable_delay_ns - engine_cable_delay_ns_ : 0;
    o.latch_model = latch_model();
    o.gpio_check.latency_floor_max_ns = config_.gpio_latency_floor_ns;
    return o;
  }

  // phc_latch_model, "auto" resolved by the PHC's driver; logged, as it sets what chronyd is
  // told about the system clock.
  transfer::LatchModel latch_model() const {
    const std::string name = backend_->clock_name();
    if (config_.phc_latch_model != "auto") {
      log::notice("PHC latch model: {} (configured; PHC driver \"{}\")", config_.phc_latch_model,
                  name);
      return *transfer::find_latch_model(config_.phc_latch_model);
    }
    const bool precise = clock_->caps().cross_timestamping;
    const transfer::LatchModel& m = transfer::model_for_driver(name, precise);
    log::notice("PHC latch model: {} (auto: PHC driver \"{}\"{})", m.name,
                name.empty() ? "unknown" : name, precise ? ", cross-timestamping" : "");
    return m;
  }

  // STATUS= when the state changes, and every kStatusRefreshNs for the live offset.
  void refresh_status(std::int64_t now) {
    update_status();
    const discipline::EngineStatus s = engine_->status();
    shell_.set_status(status_key(s), status_line(s), now);
  }

  void update_status() {
    const discipline::EngineStatus s = engine_->status();
    StatusSnapshot snap;
    snap.engine = &s;
    snap.conductor = conductor_.get();
    snap.ptp4l = outputs_.ptp4l.get();
    snap.transfer = &conductor_->transfer_status();
    // A real gpsd client knows its socket (also before its first connection succeeds); the
    // simulated receiver stands in for gpsd and says so with Connected/Disconnected events.
    snap.gpsd_connected = tod_->connected();
    if (!snap.gpsd_connected) snap.gpsd_connected = conductor_->gpsd_connected();
    snap.link_up = conductor_->carrier();
    status_->update(snap, unix_now_s());
  }

  // SIGHUP, between the shell's RELOADING=1 and READY=1: a bad file keeps the running
  // configuration. What cannot change live is named.
  void reload() {
    if (backend_->fixed_devices() && !options_.config_given) {
      log::notice("SIGHUP: no configuration file was given (-c); nothing to reload");
      return;
    }
    try {
      const DaemonConfig c = load_config_file(
          options_.config_path, backend_->fixed_devices() ? PhcKeys::ignored : PhcKeys::required);
      for (const std::string& w : c.warnings) log::warning("{}", w);
      // First, as the one step that can fail (the address is taken): then nothing has changed.
      if (!(c.status == config_.status)) rebind_status(c.status);
      const auto restart = keys_needing_restart(config_, c);
      const std::int64_t now = clocks_.mono_ns();
      if (!options_.verbose) log::set_min_level(level_of(c.log_level));
      if (c.chrony_socket != config_.chrony_socket) {
        outputs_.chrony = c.chrony_socket.empty() ? nullptr
                                                  : std::make_unique<SockChronySink>(c.chrony_socket);
        conductor_->set_chrony(recorder_.chrony(outputs_.chrony.get()));
      }
      if (c.ptp4l_socket != config_.ptp4l_socket || c.ptp4l_domain != config_.ptp4l_domain) {
        conductor_->set_ptp4l(nullptr, now);
        outputs_.ptp4l = c.ptp4l_socket.empty()
                             ? nullptr
                             : std::make_unique<Ptp4lPublisher>(
                                   c.ptp4l_socket, static_cast<std::uint8_t>(c.ptp4l_domain));
        conductor_->set_ptp4l(outputs_.ptp4l.get(), now);
      }
      if (!backend_->fixed_devices()) {
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
          conductor_->on_tod_events(
              recorder_.tod({gpsd::Disconnected{"configuration reloaded"}}));
        }
        if (c.temperature_file != config_.temperature_file) {
          file_temperature_ = c.temperature_file.empty()
                                  ? nullptr
                                  : std::make_unique<FileTemperature>(c.temperature_file);
          temperature_ = file_temperature_.get();
        }
      }
      if (!(c.record == config_.record)) {
        stop_recording();
        if (c.record.enabled) start_recording(c.record, "attached");
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
  }

  // `nanotime record` (record_control.hpp). Without the socket the daemon goes on.
  void watch_record_control() {
    if (!config_.record.control_socket.empty()) {
      try {
        control_ = std::make_unique<RecordControl>(config_.record.control_socket);
      } catch (const std::exception& e) {
        log::warning("`nanotime record` will not reach this daemon: {}", e.what());
      }
    }
    loop_.watch([this] { return control_ ? control_->fd() : -1; },
                [this](short) { handle_record_requests(); });
    loop_.add_wake([this] { return on_demand_until_; }, [this](std::int64_t) {
      on_demand_until_.reset();
      stop_recording();
    });
  }

  void handle_record_requests() {
    while (const auto req = control_->receive()) control_->reply(*req, answer(req->text));
  }

  std::string answer(const std::string& request) {
    if (const auto duration_s = parse_start(request)) {
      if (recording_ && !on_demand_) return fmt::format("ok {} running", recording_->path());
      if (recording_) return "error an on-demand recording is running: " + recording_->path();
      start_recording(config_.record, "attached",
                      RecordingFiles::on_demand_path(config_.record.directory));
      if (!recording_) return "error the recording could not start (the daemon's log says why)";
      on_demand_ = true;
      if (*duration_s > 0) {
        on_demand_until_ = loop_.now_ns() + static_cast<std::int64_t>(*duration_s * 1e9);
      }
      return fmt::format("ok {} attached", recording_->path());
    }
    if (request == "stop") {
      if (recording_ && on_demand_) {
        on_demand_until_.reset();
        stop_recording();
      }
      if (recording_) return fmt::format("ok {} {}", recording_->path(), recording_->bytes());
      if (last_recording_.empty()) return "error not recording";
      return fmt::format("ok {} {}", last_recording_, last_recording_bytes_);
    }
    return "error unknown request (\"start SECONDS\" or \"stop\")";
  }

  // A recording into `record.directory` (or `output`: one file). A failure is logged; the
  // daemon goes on without.
  void start_recording(const RecordConfig& record, const std::string& origin,
                       const std::string& output = "") {
    stop_recording();
    RecordedRun run;
    run.engine = engine_config_;
    run.conductor = conductor_options();
    run.chrony = outputs_.chrony != nullptr;
    run.gpio = backend_->gpio_pps() != nullptr;
    RunDescription d;
    d.phc = backend_->describe();
    d.clock_name = backend_->clock_name();
    d.gpio_device = run.gpio ? backend_->gpio_pps()->describe() : "";
    d.origin = origin;
    d.leap_seconds_text = leap_text_;
    try {
      const recording::Header h = make_header(config_, run, d);
      recording_ = output.empty() ? std::make_unique<RecordingFiles>(record, h)
                                  : std::make_unique<RecordingFiles>(output, h);
      recorder_.set_sink(recording_.get());
      log::notice("recording to {} ({})", recording_->path(), origin);
    } catch (const std::exception& e) {
      log::error("recording not started: {}", e.what());
    }
  }

  void stop_recording() {
    if (!recording_) return;
    recorder_.set_sink(nullptr);
    last_recording_ = recording_->path();
    recording_.reset();  // closes its last block into the file
    std::error_code ec;
    last_recording_bytes_ = std::filesystem::file_size(last_recording_, ec);
    log::notice("recording to {} stopped ({} bytes)", last_recording_, last_recording_bytes_);
    on_demand_ = false;
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
    publish_leap_expiry();
    log::notice("status server now: {}", status_->endpoint());
  }

  DaemonOptions options_;
  DaemonConfig config_;
  SystemClocks clocks_;
  std::shared_ptr<const timescale::LeapTable> leap_table_;
  double engine_cable_delay_ns_ = 0;

  std::unique_ptr<conductor::Backend> backend_;
  std::unique_ptr<FileTemperature> file_temperature_;  // a reloaded temperature_file
  std::unique_ptr<TodSource> own_tod_;
  std::unique_ptr<GpsdReceiverWatch> own_receiver_watch_;
  ReceiverWatch* receiver_watch_ = nullptr;  // null: not watched
  phc::PtpClock* clock_ = nullptr;
  TodSource* tod_ = nullptr;
  LinkSource* link_ = nullptr;
  TemperatureSource* temperature_ = nullptr;

  std::unique_ptr<discipline::Engine> engine_;
  discipline::EngineConfig engine_config_;
  std::string leap_text_;  // the leap-seconds.list the engine was given, for recordings
  // Before the conductor, which holds its wrappers; stamps records with the host's clocks.
  conductor::Recorder recorder_{clocks_};
  std::unique_ptr<RecordingFiles> recording_;
  std::unique_ptr<RecordControl> control_;
  bool on_demand_ = false;                        // recording_ is `nanotime record`'s
  std::optional<std::int64_t> on_demand_until_;   // its end (mono)
  std::string last_recording_;
  std::uintmax_t last_recording_bytes_ = 0;
  Outputs outputs_;
  std::unique_ptr<DaemonStatus> status_;
  std::unique_ptr<Conductor> conductor_;
  std::unique_ptr<chrony::ChronydPoller> chronyd_;  // null: chronyd_query_interval_s = 0

  shell::HostClock loop_clock_;
  shell::EventLoop loop_{loop_clock_};
  shell::SystemdNotifier notifier_;
  // Last: its SIGHUP handler reloads all of the above.
  shell::DaemonShell shell_{loop_, notifier_, [this] { reload(); },
                            shell::ShellOptions{.status_refresh_ns = kStatusRefreshNs}};
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
  try {
    if (!simulate || options.config_given) {
      config = load_config_file(options.config_path,
                                simulate ? PhcKeys::ignored : PhcKeys::required);
    }
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
    if (simulate) std::printf("simulation:        %s (realtime)\n", options.simulate_profile.c_str());
    return kExitOk;
  }

  std::signal(SIGPIPE, SIG_IGN);
  try {
    Daemon daemon(options, config);
    return daemon.run();
  } catch (const std::exception& e) {
    log::error("fatal: {}", e.what());
    return kExitFatal;
  }
}

}  // namespace nanotime::ppsd
