#include "conductor/conductor.hpp"

#include <algorithm>
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

// Nearest-rank percentile of a small window (q in [0, 1]).
double percentile(const std::deque<double>& values, double q) {
  std::vector<double> v(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  const std::size_t i = rank == 0 ? 0 : std::min(rank, v.size()) - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

void keep_recent(std::deque<double>& window, double value) {
  window.push_back(value);
  if (window.size() > kTransferHistory) window.pop_front();
}

// The system clock's rate relative to the PHC needs a baseline far longer than one bracket's
// jitter: ±25 µs over 1 s would be 25 ppm, over ≥ 16 s it is below the GPIO's own noise.
constexpr std::int64_t kRateBaselineNs = 16 * kNsPerS;
constexpr std::size_t kRatePoints = 64;
constexpr double kRateSane = 1e-3;  // beyond: a system clock step, not a rate

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

double chrony_offset_ns(std::int64_t phc_ns, std::int64_t system_ns, const d::ChronySample& s) {
  // Integer parts first: phc and system are ~1.8e18 ns, far beyond a double's exact range.
  const std::int64_t whole = phc_ns - static_cast<std::int64_t>(s.tai_utc_s) * kNsPerS - system_ns;
  return static_cast<double>(whole) - s.phc_minus_tai_ns;
}

Conductor::Conductor(d::Engine& engine, phc::PtpClock& clock, Clocks& clocks, ChronySink* chrony,
                     QualityPublisher* ptp4l, ConductorOptions options)
    : engine_(engine), clock_(clock), clocks_(clocks), chrony_(chrony), ptp4l_(ptp4l),
      options_(options) {
  transfer_status_.latch_model = std::string(options_.latch_model.name);
  transfer_status_.method = transfer::method_name(transfer::TransferMethod::latch_model);
  gpio_check_.emplace(options_.latch_model, options_.gpio_check);
}

const TransferStatus& Conductor::transfer_status() const {
  // The window percentiles are computed when someone looks, not on every pulse: the status is
  // read about once a second at most, a simulated day reads 86 400 pulses and never looks.
  if (percentiles_stale_) {
    percentiles_stale_ = false;
    if (!recent_widths_ns_.empty()) {
      transfer_status_.bracket_p50_ns = percentile(recent_widths_ns_, 0.5);
      transfer_status_.bracket_p99_ns = percentile(recent_widths_ns_, 0.99);
      transfer_status_.bracket_max_ns = percentile(recent_widths_ns_, 1.0);
    }
    if (!recent_differences_ns_.empty()) {
      transfer_status_.gpio_difference_p50_ns = percentile(recent_differences_ns_, 0.5);
    }
  }
  return transfer_status_;
}

void Conductor::set_gpio_pps(GpioPpsSource* gpio) {
  gpio_ = gpio;
  gpio_check_.emplace(options_.latch_model, options_.gpio_check);  // a new wire: a new window
  transfer_status_.gpio_configured = gpio_ != nullptr;
  transfer_status_.gpio_device = gpio_ != nullptr ? gpio_->describe() : "";
}

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
  wake_edges_phc_ns_.clear();
  for (const phc::ExttsRecord& r : records_) {
    if (r.channel != options_.channel) {
      ++counters_.extts_other_channel;
      continue;
    }
    any = true;
    ++counters_.extts_events;
    last_extts_mono_ns_ = now;
    wake_edges_phc_ns_.push_back(r.phc_ns);
    const auto shift = static_cast<std::int64_t>(std::llround(options_.cable_delay_shift_ns));
    feed(d::ExttsEvent{r.phc_ns - shift, now}, now);
  }
  // One reading per wake-up, right after the edge(s), when a sample may follow.
  if (any && chrony_ != nullptr && (pending_chrony_ || may_allow_samples(quality_))) {
    read_offset(now);
    if (reading_ && gpio_ != nullptr) pair_gpio(reading_->transfer);
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

void Conductor::on_receiver(const ReceiverStatus& state) {
  const bool changed = !receiver_ || receiver_->mode != state.mode;
  receiver_ = state;
  // Survey progress, antenna, jamming: status only. The clock is read only for what reaches
  // the engine, so a recording holds one record per mode change (recording_recorder.hpp).
  if (!changed) return;
  const std::int64_t now = clocks_.mono_ns();
  if (options_.log_events) {
    const bool navigating = state.mode == d::ReceiverTimeMode::survey_in ||
                            state.mode == d::ReceiverTimeMode::navigation;
    log::notice("receiver time mode: {}{}", time_mode_name(state.mode),
                navigating ? " (navigation mode: accuracy limited by position)" : "");
  }
  feed(d::ReceiverModeChange{now, state.mode}, now);
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
    previous_read_.reset();
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

std::optional<phc::PhcReadings> Conductor::request_reads() {
  ++transfer_status_.read_requests;
  ++counters_.phc_reads;
  try {
    return clock_.read_system(kOffsetSamples);
  } catch (const phc::PhcReadError& e) {
    // One lost sample; a dead device throws a plain PhcError and ends the daemon as before.
    ++transfer_status_.read_errors;
    const std::uint64_t n = transfer_status_.read_errors;
    if (options_.log_events && (n & (n - 1)) == 0) {  // 1st, 2nd, 4th, …: no flood
      log::warning("PHC read failed ({} so far), no sample this pulse: {}", n, e.what());
    }
    return std::nullopt;
  }
}

void Conductor::read_offset(std::int64_t now) {
  reading_.reset();
  const std::optional<phc::PhcReadings> r = request_reads();
  if (!r) return;
  transfer_status_.reads += r->reads.size();
  const std::optional<transfer::Bracket> chosen = selector_.select(r->reads);
  transfer_status_.slow_rejected = selector_.counters().slow_rejected;
  if (!chosen) return;  // slow (or no valid read): no sample this pulse, the next brings one
  const transfer::Transfer t = transfer::transfer_of(*chosen, options_.latch_model);
  note_chosen(t);
  SampleTransfer st;
  st.method = r->method;
  st.transfer = t;
  st.system_ns = t.system_ns;
  reading_ = st;
  reading_mono_ns_ = now;
  reading_used_ = false;
}

void Conductor::note_chosen(const transfer::Transfer& t) {
  const auto width = static_cast<double>(t.bracket_ns);
  transfer_status_.bracket_ns = width;
  keep_recent(recent_widths_ns_, width);
  if (const auto usual = selector_.usual_width_ns()) transfer_status_.usual_bracket_ns = *usual;
  percentiles_stale_ = true;

  if (previous_read_) {
    const std::int64_t phc_span = t.phc_ns - previous_read_->phc_ns;
    const std::int64_t system_span = t.system_ns - previous_read_->system_ns;
    const double rate = phc_span > 0 ? static_cast<double>(system_span - phc_span) /
                                           static_cast<double>(phc_span)
                                     : INFINITY;
    if (std::abs(rate) > kRateSane) {
      previous_read_.reset();  // stepped (PHC or system clock): start a new baseline
    } else if (phc_span >= kRateBaselineNs) {
      system_rate_ = rate;
    }
  }
  // The anchor moves on only every kRatePoints reads: the baseline stays ≥ 16 s long.
  if (!previous_read_ || ++rate_anchor_count_ > kRatePoints) {
    previous_read_ = t;
    rate_anchor_count_ = 0;
  }
}

std::optional<double> Conductor::match_gpio(const pps::PpsTimestamp& edge,
                                            const transfer::Transfer& t) {
  std::optional<double> best;
  for (const std::int64_t edge_phc_ns : wake_edges_phc_ns_) {
    const auto d = transfer::gpio_difference_ns(edge.system_ns, edge_phc_ns, t, system_rate_);
    if (d && (!best || std::abs(*d) < std::abs(*best))) best = d;
  }
  if (!best || std::abs(*best) > kGpioPairWindowNs) return std::nullopt;
  return best;
}

void Conductor::pair_gpio(const transfer::Transfer& t) {
  std::optional<pps::PpsTimestamp> fetched;
  try {
    fetched = gpio_->latest_assert();
  } catch (const std::exception& e) {
    if (options_.log_events) log::warning("GPIO PPS {}: {}", gpio_->describe(), e.what());
    return;
  }
  const std::optional<pps::PpsTimestamp> edge = gpio_edges_.next(fetched);
  transfer_status_.gpio_missed = gpio_edges_.missed();
  if (!edge) return;
  const std::optional<double> d = match_gpio(*edge, t);
  if (!d) {
    ++transfer_status_.gpio_unmatched;  // a falling edge, or a pulse the PHC never saw
    return;
  }
  ++transfer_status_.gpio_pulses;
  gpio_check_->add(*d);
  keep_recent(recent_differences_ns_, *d);
  transfer_status_.gpio_difference_ns = *d;
  transfer_status_.gpio_min_difference_ns = gpio_check_->min_difference_ns();
  percentiles_stale_ = true;
}

void Conductor::note_alarm(const transfer::CheckedTransfer& c) {
  if (c.alarm) ++transfer_status_.alarms;
  transfer_status_.disagreement_ns = c.alarm ? c.disagreement_ns : 0;
  if (c.alarm == transfer_status_.alarm) return;
  transfer_status_.alarm = c.alarm;
  if (!options_.log_events) return;
  const double min_us = gpio_check_->min_difference_ns().value_or(NAN) * 1e-3;
  if (c.alarm) {
    log::warning("GPIO PPS and PHC disagree by {:.1f} µs: the smallest GPIO − PHC-path "
                 "difference of the last {} pulses is {:.1f} µs, outside the read bracket "
                 "[{:.1f}, {:.1f}] µs; the samples keep the bracket's bound",
                 std::abs(c.disagreement_ns) * 1e-3, gpio_check_->pulses(), min_us,
                 c.error_min_ns * 1e-3, c.error_max_ns * 1e-3);
  } else {
    log::notice("GPIO PPS and PHC agree again (smallest GPIO − PHC-path difference {:.1f} µs)",
                min_us);
  }
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
    if (!reading_) return;  // failed or slow read: no sample
  }
  SampleTransfer& st = *reading_;
  st.checked = gpio_check_->check(st.transfer, s.error_bound_ns);
  st.system_ns = st.transfer.system_ns + std::llround(st.checked.shift_ns);
  note_alarm(st.checked);
  transfer_status_.method = transfer::method_name(st.checked.method);
  transfer_status_.system_bound_ns = st.bound_ns();
  transfer_status_.shift_ns = st.checked.shift_ns;

  const double offset = chrony_offset_ns(st.transfer.phc_ns, st.system_ns, s);
  reading_used_ = true;
  last_chrony_offset_ns_ = offset;
  if (observer_ != nullptr) observer_->chrony_sample(s, st, offset, now);
  if (chrony_->send_time(st.system_ns, offset, to_chrony_leap(s.leap))) {
    ++counters_.chrony_sent;
  } else {
    ++counters_.chrony_not_delivered;
  }
}

}  // namespace nanotime::conductor
