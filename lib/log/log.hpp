#pragma once
// Logging for the nanotime daemons: fmt-formatted lines on stderr, with syslog priority
// prefixes ("<4>") when stderr is the journal, so journalctl shows the right priority.
// A message repeated verbatim is printed once, then suppressed and counted: a daemon that
// loses its receiver must not write the same line every second.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace nanotime::log {

// Values are syslog priorities (sd-daemon.h prefixes).
enum class Level : int { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

std::string_view level_name(Level level);

// Where finished lines go. The default writes to stderr; tests install their own.
using Sink = std::function<void(Level, std::string_view line)>;
// Monotonic time source for rate limiting; tests install a fake.
using Clock = std::function<std::chrono::nanoseconds()>;

struct Options {
  std::string program = "nanotime";
  Level min_level = Level::info;
  bool syslog_prefix = false;                        // "<N>" prefix instead of "prog: level:"
  std::chrono::seconds repeat_window{60};            // identical lines within this are counted
};

// Options suited to the environment: syslog prefixes when JOURNAL_STREAM names stderr.
Options options_from_environment(std::string program);

void configure(const Options& options);
void set_sink(Sink sink);    // nullptr restores stderr
void set_clock(Clock clock); // nullptr restores CLOCK_MONOTONIC
void set_min_level(Level level);
bool enabled(Level level);

// Emit one already-formatted message, applying the level filter and rate limit.
void write(Level level, std::string_view message);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::debug)) write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::info)) write(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void notice(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::notice)) write(Level::notice, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warning(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::warning)) write(Level::warning, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::error)) write(Level::error, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace nanotime::log
