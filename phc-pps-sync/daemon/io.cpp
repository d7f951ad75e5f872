#include "daemon/io.hpp"

#include <sys/timerfd.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "log/log.hpp"
#include "shell/clock.hpp"
#include "util/units.hpp"

namespace nanotime::ppsd {

using util::kNsPerS;

std::int64_t SystemClocks::mono_ns() { return shell::host_mono_ns(); }
std::int64_t SystemClocks::realtime_ns() { return shell::host_realtime_ns(); }

bool system_clock_usable(int status, long maxerror_us, double max_error_s) {
  if ((status & STA_UNSYNC) != 0) return false;
  return maxerror_us < std::llround(max_error_s * 1e6);  // in µs: no rounding surprises
}

SystemTodSource::SystemTodSource(double max_error_s) : max_error_s_(max_error_s) {
  timer_.reset(timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_.valid()) throw std::system_error(errno, std::generic_category(), "timerfd_create");
  arm();
}

void SystemTodSource::arm() {
  // The next x.5 s of the system clock, absolute (follows steps of the system clock).
  const std::int64_t now = shell::host_realtime_ns();
  std::int64_t next = (now / kNsPerS) * kNsPerS + kNsPerS / 2;
  if (next <= now + kNsPerS / 10) next += kNsPerS;
  itimerspec its{};
  its.it_value.tv_sec = static_cast<time_t>(next / kNsPerS);
  its.it_value.tv_nsec = static_cast<long>(next % kNsPerS);
  if (timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &its, nullptr) != 0) {
    throw std::system_error(errno, std::generic_category(), "timerfd_settime");
  }
}

std::vector<gpsd::Event> SystemTodSource::read_events(std::int64_t) {
  std::uint64_t expirations = 0;
  (void)!read(timer_.get(), &expirations, sizeof expirations);
  std::vector<gpsd::Event> out;
  timex tx{};
  const int state = adjtimex(&tx);
  const std::int64_t real = shell::host_realtime_ns();
  const bool usable = state != TIME_ERROR && system_clock_usable(tx.status, tx.maxerror, max_error_s_);
  if (!usable_ || *usable_ != usable) {
    if (usable) {
      log::notice("time of day: system clock synchronised (maxerror {} µs): naming seconds",
                  tx.maxerror);
    } else {
      log::warning("time of day: system clock not synchronised (status 0x{:x}, maxerror {} µs):"
                   " pulses cannot be labelled", static_cast<unsigned>(tx.status), tx.maxerror);
    }
    usable_ = usable;
    out.emplace_back(gpsd::FixState{usable ? 3 : 1});
  }
  const std::int64_t frac = real % kNsPerS;
  // Only near x.5 s (the timer may fire late under load): the edge must be 0.1 … 0.9 s back.
  if (usable && frac > kNsPerS / 4 && frac < 3 * kNsPerS / 4) {
    out.emplace_back(gpsd::TimeReport{(real / kNsPerS) * kNsPerS, real});
  }
  arm();
  return out;
}

std::optional<double> parse_millicelsius(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  long v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty()) return std::nullopt;
  if (v < -100000 || v > 200000) return std::nullopt;  // not a board temperature
  return static_cast<double>(v) / 1000.0;
}

std::optional<double> FileTemperature::read_celsius() {
  std::ifstream in(path_);
  std::stringstream ss;
  if (in) ss << in.rdbuf();
  const auto c = in ? parse_millicelsius(ss.str()) : std::nullopt;
  if (!c && !warned_) {
    log::warning("temperature: cannot read {} (set temperature_file = \"\" to turn this off)",
                 path_);
    warned_ = true;
  }
  if (c) warned_ = false;
  return c;
}

}  // namespace nanotime::ppsd
