#pragma once
// The systemd daemon around an EventLoop: signals (SIGTERM/SIGINT stop, SIGHUP reloads, read
// through util::DaemonSignals' signalfd), the watchdog, and sd_notify's READY, STATUS=,
// RELOADING and STOPPING. Both daemons use it; what they do on a reload is theirs.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "shell/event_loop.hpp"
#include "util/daemon_signals.hpp"

namespace nanotime::shell {

// Where the daemon's state goes: systemd's notify socket, or a recorder in the tests.
class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void notify(const std::string& state) = 0;  // "READY=1", "STATUS=...", ...
  // WatchdogSec= of the unit in ns, 0 when the watchdog is off.
  virtual std::int64_t watchdog_interval_ns() = 0;
};

// sd_notify(3): does nothing when not started by systemd (no $NOTIFY_SOCKET).
class SystemdNotifier final : public Notifier {
 public:
  void notify(const std::string& state) override;
  std::int64_t watchdog_interval_ns() override;
};

struct ShellOptions {
  // STATUS= is sent when its key changes, and also this often when > 0 (so a line carrying a
  // live figure, e.g. an offset, does not go stale in `systemctl status`).
  std::int64_t status_refresh_ns = 0;
};

class DaemonShell {
 public:
  // Blocks the daemon signals and watches them on `loop`. `on_reload` runs on SIGHUP between
  // RELOADING=1 and READY=1; afterwards the loop's readiness is refreshed (sockets may have been
  // replaced). Throws std::runtime_error when the signalfd cannot be made.
  DaemonShell(EventLoop& loop, Notifier& notifier, std::function<void()> on_reload,
              ShellOptions options = {});
  DaemonShell(const DaemonShell&) = delete;
  DaemonShell& operator=(const DaemonShell&) = delete;

  // READY=1 with the first STATUS=, and the watchdog from now on (WATCHDOG=1 every half
  // interval, from a loop timer: a stuck loop stops feeding it).
  void ready(const std::string& status);
  // STATUS=`text` when `key` differs from the last one sent, or status_refresh_ns has passed.
  void set_status(const std::string& key, const std::string& text, std::int64_t now_mono_ns);
  void set_status(const std::string& text, std::int64_t now_mono_ns) {
    set_status(text, text, now_mono_ns);
  }
  // STOPPING=1, with a last STATUS= when `status` is not empty.
  void stopping(const std::string& status = {});

  // What a signal does (also what the signal watcher calls).
  void reload();
  void stop(int signo);

 private:
  void handle_signals();

  EventLoop& loop_;
  Notifier& notifier_;
  std::function<void()> on_reload_;
  ShellOptions options_;
  util::DaemonSignals signals_;
  EventLoop::Id watchdog_timer_ = 0;
  std::string last_status_key_;
  std::int64_t next_status_refresh_ns_ = 0;
  bool status_sent_ = false;
};

}  // namespace nanotime::shell
