#include "bridge.hpp"

#include <cmath>
#include <type_traits>

#include <fmt/format.h>

#include "log/log.hpp"
#include "util/units.hpp"

namespace nanotime::bridge {
namespace {
constexpr auto kNsPerS = static_cast<double>(util::kNsPerS);

std::int64_t utc_second(std::int64_t real_ns) {
  return real_ns >= 0 ? real_ns / 1'000'000'000 : -((-real_ns + 999'999'999) / 1'000'000'000);
}
}  // namespace

Bridge::Bridge(const BridgeConfig& config, Outputs& outputs)
    : config_(config),
      outputs_(outputs),
      time_gate_(config.jump_tolerance_s * kNsPerS, static_cast<std::size_t>(config.confirm_reports),
                 static_cast<std::size_t>(config.median_window)),
      pps_gate_(config.jump_tolerance_s * kNsPerS, static_cast<std::size_t>(config.confirm_reports),
                static_cast<std::size_t>(config.median_window)) {}

void Bridge::handle(const gpsd::Event& event, std::int64_t now_mono_ns) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, gpsd::TimeReport>) {
          on_time(e);
        } else if constexpr (std::is_same_v<T, gpsd::PulseReport>) {
          on_pulse(e, now_mono_ns);
        } else if constexpr (std::is_same_v<T, gpsd::FixState>) {
          on_fix(e);
        } else if constexpr (std::is_same_v<T, gpsd::LeapInfo>) {
          if (e.gps_minus_utc_s != leap_seconds_) {
            log::info("receiver: GPS - UTC = {} s (TAI - UTC = {} s)", e.gps_minus_utc_s,
                      e.tai_minus_utc_s());
            leap_seconds_ = e.gps_minus_utc_s;
          }
        } else if constexpr (std::is_same_v<T, gpsd::GpsdError>) {
          log::warning("gpsd reported an error: {}", e.message);
        } else if constexpr (std::is_same_v<T, gpsd::Connected>) {
          on_connection(true);
        } else if constexpr (std::is_same_v<T, gpsd::Disconnected>) {
          on_connection(false);
        } else if constexpr (std::is_same_v<T, gpsd::SkyReport>) {
          satellites_used_ = e.satellites_used;  // shown on the status endpoint only
        }
      },
      event);
}

void Bridge::on_connection(bool up) {
  gpsd_up_ = up;
  if (!up) {
    // What we knew about the receiver came over that connection: forget it, and make the gates
    // re-confirm after reconnecting (gpsd or the receiver may have restarted meanwhile).
    // (Silently: the connection loss itself was logged by the client.)
    mode_ = 0;
    satellites_used_.reset();
    time_gate_.reset();
    pps_gate_.reset();
  }
}

void Bridge::on_fix(const gpsd::FixState& f) {
  const bool had = fix_ok();
  mode_ = f.mode;
  if (fix_ok() && !had) {
    log::notice("receiver: fix (mode {}): sending samples", mode_);
    fix_reported_ = true;
  } else if (!fix_ok() && had && fix_reported_) {
    log::warning("receiver: fix lost (mode {} < {}): no samples until it is back", mode_,
                 config_.min_fix_mode);
  }
}

std::optional<double> Bridge::serial_delay_ns() const {
  if (config_.offset_s) return *config_.offset_s * kNsPerS;
  const auto est = delay_.estimate_ns();
  if (!est || *est > config_.max_auto_offset_s * kNsPerS) return std::nullopt;
  return est;
}

void Bridge::note_delay_estimate() {
  const auto est = delay_.estimate_ns();
  if (!est) return;
  if (!logged_delay_ns_ || std::fabs(*est - *logged_delay_ns_) > kDelayLogStepNs) {
    log::info("serial delay estimate: {:.3f} ms after the PPS edge (median of {} pairs){}",
              *est / 1e6, delay_.pairs(),
              config_.offset_s ? fmt::format("; configured offset_s = {} s", *config_.offset_s)
                               : std::string(" (offset_s = \"auto\")"));
    logged_delay_ns_ = est;
  }
  if (!config_.offset_s && *est > config_.max_auto_offset_s * kNsPerS && !auto_bound_logged_) {
    log::warning("serial delay estimate {:.3f} ms exceeds max_auto_offset_s = {} s: not used",
                 *est / 1e6, config_.max_auto_offset_s);
    auto_bound_logged_ = true;
  }
}

void Bridge::on_time(const gpsd::TimeReport& r) {
  if (delay_.add_time(r.real_ns, r.clock_ns)) note_delay_estimate();
  if (!fix_ok()) {
    ++counters_.time_no_fix;
    return;
  }
  const auto delay = serial_delay_ns();
  if (!delay) {
    ++counters_.time_no_delay;
    if (!auto_wait_logged_) {
      log::notice("offset_s = \"auto\": no time samples until the serial delay is estimated "
                  "from PPS reports");
      auto_wait_logged_ = true;
    }
    return;
  }
  auto_wait_logged_ = false;
  // Integer part exactly, the fraction in double: no precision lost for times near 2^61 ns.
  const double offset_ns = static_cast<double>(r.real_ns - r.clock_ns) + *delay;
  const GateVerdict v = time_gate_.submit(offset_ns);
  if (v == GateVerdict::held) {
    ++counters_.time_held;
    log::debug("time report held back by the jump gate: offset {:.6f} s, median {:.6f} s",
               offset_ns / kNsPerS, time_gate_.median_ns() / kNsPerS);
    return;
  }
  if (v == GateVerdict::confirmed) {
    log::info("time samples: offset {:.6f} s confirmed by {} reports", offset_ns / kNsPerS,
              config_.confirm_reports);
  }
  ++counters_.time_sent;
  last_.time_offset_ns = offset_ns;
  outputs_.time_sample(Sample{r.clock_ns, offset_ns, leap_for_sample(utc_second(r.real_ns), leap_)});
}

void Bridge::on_pulse(const gpsd::PulseReport& r, std::int64_t now_mono_ns) {
  last_pps_mono_ns_ = now_mono_ns;
  if (!pps_present_) {
    log::notice("PPS reports present{}", r.qerr_ns ? " (with qErr)" : "");
    pps_present_ = true;
  }
  if (r.qerr_ns) last_.pps_qerr_ns = r.qerr_ns;
  if (delay_.add_pulse(r.real_ns, r.clock_ns)) note_delay_estimate();
  if (!fix_ok()) {
    ++counters_.pps_no_fix;
    return;
  }
  // qErr: the pulse came qErr early (see bridge.hpp), so the true time at the edge is
  // real − qErr.
  const double offset_ns = static_cast<double>(r.real_ns - r.clock_ns) - r.qerr_ns.value_or(0.0);
  const GateVerdict v = pps_gate_.submit(offset_ns);
  if (v == GateVerdict::held) {
    ++counters_.pps_held;
    log::debug("PPS report held back by the jump gate: offset {:.9f} s, median {:.9f} s",
               offset_ns / kNsPerS, pps_gate_.median_ns() / kNsPerS);
    return;
  }
  if (v == GateVerdict::confirmed) {
    log::info("PPS samples: offset {:.9f} s confirmed by {} reports", offset_ns / kNsPerS,
              config_.confirm_reports);
  }
  ++counters_.pps_sent;
  last_.pps_offset_ns = offset_ns;
  outputs_.pps_sample(Sample{r.clock_ns, offset_ns, leap_for_sample(utc_second(r.real_ns), leap_)});
}

void Bridge::tick(std::int64_t now_mono_ns) {
  if (pps_present_ && now_mono_ns - last_pps_mono_ns_ > kPpsTimeoutNs) {
    log::warning("PPS reports absent for more than {} s", kPpsTimeoutNs / 1'000'000'000);
    pps_present_ = false;
  }
}

std::string Bridge::status() const {
  const auto est = delay_.estimate_ns();
  return fmt::format("gpsd {}, {}, PPS {}, serial delay {}, sent {} time / {} PPS, held {} / {}",
                     gpsd_up_ ? "up" : "down", fix_ok() ? fmt::format("fix mode {}", mode_) : "no fix",
                     pps_present_ ? "present" : "absent",
                     est ? fmt::format("{:.1f} ms", *est / 1e6) : std::string("unknown"),
                     counters_.time_sent, counters_.pps_sent, counters_.time_held,
                     counters_.pps_held);
}

}  // namespace nanotime::bridge
