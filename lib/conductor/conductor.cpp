#include "conductor/conductor.hpp"

#include <cerrno>
#include <cmath>
#include <type_traits>

#include <fmt/format.h>

#include "log/log.hpp"
#include "util/units.hpp"

namespace nanotime::conductor {
namespace {

namespace d = nanotime::discipline;
using util::kNsPerS;

// gpsd's times are whole seconds for the second they name; round, never truncate (a report
// 1 ns early must not name the previous second).
std::int64_t nearest_second(std::int64_t ns) {
  return ns >= 0 ? (ns + kNsPerS / 2) / kNsPerS : -((-ns + kNsPerS / 2) / kNsPerS);
}

bool may_allow_samples(const std::optional<d::ClockQuality>& q) {
  return q && (q->state == d::LockState::tracking || q->state == d::LockState::holdover);
}

}  // namespace

d::ClockQuality final_quality(const d::ClockQuality& current) {
  d::ClockQuality q = current;
  q.state = d::LockState::freerun;
  q.clock_class = 248;
  q.clock_accuracy = 0xfe;
  q.offset_scaled_log_variance = 0xffff;
  q.error_bound_ns = INFINITY;
  q.time_traceable = false;
  q.frequency_traceable = false;
  q.leap61 = false;
  q.leap59 = false;
  return q;
}

refclock::Leap to_chrony_leap(d::LeapWarning w) {
  switch (w) {
    case d::LeapWarning::insert: return refclock::Leap::insert;
    case d::LeapWarning::del: return refclock::Leap::del;
    case d::LeapWarning::none: break;
  }
  return refclock::Leap::normal;
}

double chrony_offset_ns(const phc::SysOffset& r, const d::ChronySample& s) {
  // Integer parts first: phc and system are ~1.8e18 ns, far beyond a double's exact range.
  const std::int64_t whole = r.phc_ns - static_cast<std::int64_t>(s.tai_utc_s) * kNsPerS - r.system_ns;
  return static_cast<double>(whole) - s.phc_minus_tai_ns;
}

Conductor::Conductor(d::Engine& engine, phc::PtpClock& clock, Clocks& clocks, ChronySink* chrony,
                     QualityPublisher* ptp4l, ConductorOptions options)
    : engine_(engine), clock_(clock), clocks_(clocks), chrony_(chrony), ptp4l_(ptp4l),
      options_(options) {}

void Conductor::start() {
  const phc::PhcCaps caps = clock_.caps();
  if (options_.log_events) {
    log::info("PHC: max_adj {} ppb, {} EXTTS channel(s), {} pin(s){}", caps.max_adj_ppb,
              caps.n_ext_ts, caps.n_pins, caps.cross_timestamping ? ", cross-timestamping" : "");
  }
  if (static_cast<int>(options_.channel) >= caps.n_ext_ts) {
    throw phc::PhcError(EINVAL, fmt::format("EXTTS channel {} does not exist: the PHC has {} "
                                            "(set `channel` in [phc-pps-sync])",
                                            options_.channel, caps.n_ext_ts));
  }
  if (options_.set_pin && caps.n_pins > 0 && static_cast<int>(options_.pin) >= caps.n_pins) {
    throw phc::PhcError(EINVAL, fmt::format("pin {} does not exist: the PHC has {} (set `pin`)",
                                            options_.pin, caps.n_pins));
  }
  arm_extts();
  // The engine starts from "no adjustment"; a previous run may have left one.
  clock_.set_frequency_ppb(0);
}

void Conductor::arm_extts() {
  const phc::PhcCaps caps = clock_.caps();
  if (options_.set_pin && caps.n_pins > 0) {
    clock_.set_pin_function(options_.pin, phc::PinFunction::extts, options_.channel);
  }
  clock_.enable_extts(options_.channel);
}

void Conductor::on_extts_readable() {
  records_.clear();
  clock_.read_extts(records_);
  const std::int64_t now = clocks_.mono_ns();
  bool any = false;
  for (const phc::ExttsRecord& r : records_) {
    if (r.channel != options_.channel) {
      ++counters_.extts_other_channel;
      continue;
    }
    any = true;
    ++counters_.extts_events;
    last_extts_mono_ns_ = now;
    const auto shift = static_cast<std::int64_t>(std::llround(options_.cable_delay_shift_ns));
    feed(d::ExttsEvent{r.phc_ns - shift, now}, now);
  }
  // One reading per wake-up, right after the edge(s), when a sample may follow.
  if (any && chrony_ != nullptr && (pending_chrony_ || may_allow_samples(quality_))) {
    read_offset(now);
  }
  flush_chrony(now);
}

void Conductor::on_tod_events(const std::vector<gpsd::Event>& events) {
  const std::int64_t now = clocks_.mono_ns();
  const std::int64_t real = clocks_.realtime_ns();
  for (const gpsd::Event& e : events) feed_gpsd(e, now, real);
}

void Conductor::feed_gpsd(const gpsd::Event& e, std::int64_t now, std::int64_t real) {
  // gpsd stamps with the system clock; the engine wants monotonic times. The two advance
  // together over the fraction of a second between gpsd's stamp and now.
  const auto mono_of = [&](std::int64_t clock_ns) { return now - (real - clock_ns); };
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, gpsd::TimeReport>) {
          if (fix_mode_ < 2) {
            ++counters_.tod_without_fix;
            return;
          }
          d::TimeReport tr;
          tr.utc_s = nearest_second(ev.real_ns);
          tr.arrival_mono_ns = std::min(now, mono_of(ev.clock_ns));
          tr.tai_utc_s = gpsd_tai_utc_s_;
          tr.leap = gpsd_leap_;
          feed(tr, now);
        } else if constexpr (std::is_same_v<T, gpsd::PulseReport>) {
          if (fix_mode_ < 2) return;
          d::PulseReport pr;
          pr.utc_s = nearest_second(ev.real_ns);
          pr.edge_mono_ns = mono_of(ev.clock_ns);
          pr.qerr_ns = ev.qerr_ns;
          feed(pr, now);
        } else if constexpr (std::is_same_v<T, gpsd::FixState>) {
          if ((ev.mode >= 2) != (fix_mode_ >= 2) && options_.log_events) {
            log::notice("time of day: {}", ev.mode >= 2 ? "receiver has a fix" : "no fix");
          }
          fix_mode_ = ev.mode;
        } else if constexpr (std::is_same_v<T, gpsd::LeapInfo>) {
          gpsd_tai_utc_s_ = ev.tai_minus_utc_s();
          gpsd_leap_ = ev.pending > 0   ? d::LeapWarning::insert
                       : ev.pending < 0 ? d::LeapWarning::del
                                        : d::LeapWarning::none;
        } else if constexpr (std::is_same_v<T, gpsd::Connected>) {
          gpsd_connected_ = true;
          ++counters_.gpsd_connects;
        } else if constexpr (std::is_same_v<T, gpsd::Disconnected>) {
          gpsd_connected_ = false;
          fix_mode_ = 0;  // a reconnected gpsd must report a fix again
          gpsd_tai_utc_s_.reset();
          gpsd_leap_ = d::LeapWarning::none;
        } else if constexpr (std::is_same_v<T, gpsd::GpsdError>) {
          log::warning("gpsd: {}", ev.message);
        }
      },
      e);
  flush_chrony(now);
}

void Conductor::on_tick(std::optional<double> temperature_c) {
  const std::int64_t now = clocks_.mono_ns();
  if (temperature_c) feed(d::TemperatureReading{now, *temperature_c}, now);
  feed(d::Tick{now}, now);
  flush_chrony(now);
}

void Conductor::on_carrier(bool up) {
  if (up == carrier_) return;
  carrier_ = up;
  const std::int64_t now = clocks_.mono_ns();
  if (options_.log_events) {
    log::notice("carrier {}: {}", up ? "up" : "lost",
              up ? "re-arming EXTTS; pulses are trusted again after the engine re-acquires"
                   : "EXTTS events are stale until it returns");
  }
  feed(d::CarrierChange{now, up}, now);
  pending_chrony_.reset();  // nothing to send on a link change
  if (up) {
    // Some PHYs forget the pin routing over a link reset; re-arming is harmless otherwise.
    try {
      clock_.disable_extts(options_.channel);
      arm_extts();
    } catch (const phc::PhcError& e) {
      log::warning("re-arming EXTTS after carrier return failed: {}", e.what());
    }
  }
}

bool Conductor::stop(int ptp4l_timeout_ms) {
  bool confirmed = true;
  if (ptp4l_ != nullptr) {
    try {
      confirmed = ptp4l_->announce_final(final_quality(quality_.value_or(d::ClockQuality{})),
                                         ptp4l_timeout_ms);
    } catch (const std::exception& e) {
      log::warning("telling ptp4l the clock is no longer traceable failed: {}", e.what());
      confirmed = false;
    }
  }
  try {
    clock_.disable_extts(options_.channel);
  } catch (const std::exception& e) {
    log::warning("disabling EXTTS failed: {}", e.what());
  }
  return confirmed;
}

void Conductor::flush_chrony(std::int64_t now) {
  if (!pending_chrony_) return;
  const d::ChronySample s = *pending_chrony_;
  pending_chrony_.reset();
  send_chrony(s, now);
}

void Conductor::set_ptp4l(QualityPublisher* ptp4l, std::int64_t now_mono_ns) {
  ptp4l_ = ptp4l;
  if (ptp4l_ != nullptr && quality_) ptp4l_->want(*quality_, now_mono_ns);
}

void Conductor::feed(const d::Event& event, std::int64_t now) {
  apply(engine_.handle(event), now);
}

void Conductor::apply(const d::Output& out, std::int64_t now) {
  // Order matters: the step before the frequency (events.hpp).
  if (out.step) {
    if (options_.log_events) {
      log::notice("stepping the PHC by {:+.9f} s", static_cast<double>(out.step->delta_ns) * 1e-9);
    }
    clock_.step_ns(out.step->delta_ns);
    ++counters_.steps;
    reading_.reset();  // a reading from before the step says nothing now
  }
  if (out.frequency) {
    clock_.set_frequency_ppb(out.frequency->freq_ppb);
    ++counters_.frequency_commands;
  }
  if (out.quality) {
    if (options_.log_events && (!quality_ || quality_->clock_class != out.quality->clock_class)) {
      log::notice("clockClass {} (bound {:.0f} ns)", out.quality->clock_class,
                  out.quality->error_bound_ns);
    }
    quality_ = out.quality;
    ++counters_.quality_changes;
    if (ptp4l_ != nullptr) ptp4l_->want(*out.quality, now);
  }
  if (out.pulse) last_pulse_ = out.pulse;
  if (out.chrony) pending_chrony_ = out.chrony;
  if (observer_ != nullptr) observer_->applied(out, now);
}

void Conductor::read_offset(std::int64_t now) {
  reading_ = clock_.sys_offset(kOffsetSamples);
  reading_mono_ns_ = now;
  reading_used_ = false;
  ++counters_.phc_reads;
}

void Conductor::send_chrony(const d::ChronySample& s, std::int64_t now) {
  if (chrony_ == nullptr) return;
  const bool fresh = reading_ && !reading_used_ && now - reading_mono_ns_ < kMaxReadingAgeNs;
  if (!fresh) {
    const bool quiet = !last_extts_mono_ns_ || now - *last_extts_mono_ns_ >= kQuietNs;
    if (!quiet) {
      ++counters_.chrony_skipped;  // pulses are coming: do not read the PHC near an edge
      return;
    }
    read_offset(now);
  }
  const double offset = chrony_offset_ns(*reading_, s);
  reading_used_ = true;
  last_chrony_offset_ns_ = offset;
  if (observer_ != nullptr) observer_->chrony_sample(s, *reading_, offset, now);
  if (chrony_->send_time(reading_->system_ns, offset, to_chrony_leap(s.leap))) {
    ++counters_.chrony_sent;
  } else {
    ++counters_.chrony_not_delivered;
  }
}

}  // namespace nanotime::conductor
