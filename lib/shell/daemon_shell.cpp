#include "shell/daemon_shell.hpp"

#include <systemd/sd-daemon.h>

#include <cstring>

#include "log/log.hpp"

namespace nanotime::shell {

void SystemdNotifier::notify(const std::string& state) { sd_notify(0, state.c_str()); }

std::int64_t SystemdNotifier::watchdog_interval_ns() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0) return 0;
  return static_cast<std::int64_t>(usec) * 1000;
}

DaemonShell::DaemonShell(EventLoop& loop, Notifier& notifier, std::function<void()> on_reload,
                         ShellOptions options)
    : loop_(loop), notifier_(notifier), on_reload_(std::move(on_reload)), options_(options) {
  loop_.watch_fd(signals_.fd(), [this](short) { handle_signals(); });
}

void DaemonShell::ready(const std::string& status) {
  const std::int64_t now = loop_.now_ns();
  notifier_.notify("READY=1\nSTATUS=" + status);
  last_status_key_ = status;
  status_sent_ = true;
  next_status_refresh_ns_ = now + options_.status_refresh_ns;
  const std::int64_t watchdog_ns = notifier_.watchdog_interval_ns();
  if (watchdog_ns > 0 && watchdog_timer_ == 0) {
    // Half the interval: one late pass never makes systemd kill a healthy daemon.
    watchdog_timer_ = loop_.add_periodic(now + watchdog_ns / 2, watchdog_ns / 2,
                                         [this](std::int64_t) { notifier_.notify("WATCHDOG=1"); });
  }
}

void DaemonShell::set_status(const std::string& key, const std::string& text,
                             std::int64_t now_mono_ns) {
  const bool refresh_due = options_.status_refresh_ns > 0 && now_mono_ns >= next_status_refresh_ns_;
  if (status_sent_ && key == last_status_key_ && !refresh_due) return;
  notifier_.notify("STATUS=" + text);
  last_status_key_ = key;
  status_sent_ = true;
  next_status_refresh_ns_ = now_mono_ns + options_.status_refresh_ns;
}

void DaemonShell::stopping(const std::string& status) {
  notifier_.notify(status.empty() ? std::string("STOPPING=1") : "STOPPING=1\nSTATUS=" + status);
}

void DaemonShell::reload() {
  notifier_.notify("RELOADING=1");
  if (on_reload_) on_reload_();
  notifier_.notify("READY=1");
  loop_.refresh();
}

void DaemonShell::stop(int signo) {
  log::notice("signal {}: stopping", strsignal(signo));
  loop_.stop();
}

void DaemonShell::handle_signals() {
  while (const auto sig = signals_.next()) {
    if (sig->action == util::DaemonSignals::Action::reload) {
      reload();
    } else {
      stop(sig->signo);
    }
  }
}

}  // namespace nanotime::shell
