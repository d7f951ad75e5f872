#include "log/log.hpp"

#include <time.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

namespace nanotime::log {
namespace {

struct Repeat {
  std::chrono::nanoseconds first_printed{};
  std::uint64_t suppressed = 0;
};

// Bounded so a stream of distinct messages cannot grow memory without limit.
constexpr std::size_t kMaxTracked = 256;

struct State {
  std::mutex mutex;
  Options options;
  Sink sink;
  Clock clock;
  std::map<std::string, Repeat, std::less<>> recent;
};

State& state() {
  static State s;
  return s;
}

std::chrono::nanoseconds monotonic_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

void default_sink(const Options& options, Level level, std::string_view line) {
  std::string out = options.syslog_prefix
                        ? fmt::format("<{}>{}\n", static_cast<int>(level), line)
                        : fmt::format("{}: {}: {}\n", options.program, level_name(level), line);
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

void emit(State& s, Level level, std::string_view line) {
  if (s.sink) {
    s.sink(level, line);
  } else {
    default_sink(s.options, level, line);
  }
}

void forget_oldest(State& s) {
  auto oldest = s.recent.begin();
  for (auto it = s.recent.begin(); it != s.recent.end(); ++it) {
    if (it->second.first_printed < oldest->second.first_printed) oldest = it;
  }
  s.recent.erase(oldest);
}

}  // namespace

std::string_view level_name(Level level) {
  switch (level) {
    case Level::error: return "error";
    case Level::warning: return "warning";
    case Level::notice: return "notice";
    case Level::info: return "info";
    case Level::debug: return "debug";
  }
  return "?";
}

Options options_from_environment(std::string program) {
  Options o;
  o.program = std::move(program);
  // systemd sets JOURNAL_STREAM=dev:inode for the journal stream; only trust it if it is
  // really our stderr (a child of a service may inherit the variable).
  if (const char* js = std::getenv("JOURNAL_STREAM")) {
    struct stat st{};
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
        st.st_dev == dev && st.st_ino == ino) {
      o.syslog_prefix = true;
    }
  }
  return o;
}

void configure(const Options& options) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.options = options;
  s.recent.clear();
}

void set_sink(Sink sink) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.sink = std::move(sink);
}

void set_clock(Clock clock) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.clock = std::move(clock);
  s.recent.clear();
}

void set_min_level(Level level) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.options.min_level = level;
}

bool enabled(Level level) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  return static_cast<int>(level) <= static_cast<int>(s.options.min_level);
}

void write(Level level, std::string_view message) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (static_cast<int>(level) > static_cast<int>(s.options.min_level)) return;
  const auto now = s.clock ? s.clock() : monotonic_now();
  auto it = s.recent.find(message);
  if (it != s.recent.end() && now - it->second.first_printed < s.options.repeat_window) {
    ++it->second.suppressed;
    return;
  }
  if (it != s.recent.end() && it->second.suppressed > 0) {
    emit(s, level, fmt::format("{} (repeated {} more times in the last {} s)", message,
                               it->second.suppressed,
                               std::chrono::duration_cast<std::chrono::seconds>(
                                   now - it->second.first_printed).count()));
  } else {
    emit(s, level, message);
  }
  if (it == s.recent.end()) {
    if (s.recent.size() >= kMaxTracked) forget_oldest(s);
    it = s.recent.emplace(std::string(message), Repeat{}).first;
  }
  it->second = Repeat{now, 0};
}

}  // namespace nanotime::log
