#include "sim/world.hpp"

#include "sim/receiver_mode.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <initializer_list>
#include <system_error>

#include "sim/simulation.hpp"
#include "util/units.hpp"

namespace nanotime::sim {
namespace {

using util::kNsPerS;
// A pulse measurement is matched to the edge whose PHC time, minus its label, gives the
// measured offset; qErr and cable corrections are far below this.
constexpr double kMatchToleranceNs = 1e6;
constexpr std::size_t kRecentEdges = 64;

std::int64_t to_ns(double s) { return std::llround(s * 1e9); }

}  // namespace

int ReadyFlag::fd() const {
  if (!fd_.valid()) {
    fd_.reset(eventfd(set_ ? 1 : 0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!fd_.valid()) throw std::system_error(errno, std::generic_category(), "eventfd");
  }
  return fd_.get();
}

void ReadyFlag::set() {
  if (set_) return;
  set_ = true;
  if (!fd_.valid()) return;
  const std::uint64_t one = 1;
  (void)!write(fd_.get(), &one, sizeof one);
}

void ReadyFlag::clear() {
  if (!set_) return;
  set_ = false;
  if (!fd_.valid()) return;
  std::uint64_t v = 0;
  (void)!read(fd_.get(), &v, sizeof v);
}

World::Anchor World::anchor(conductor::Clocks& clocks, const Profile& profile,
                            bool profile_epoch) {
  Anchor a;
  // realtime − mono from the narrowest of a few brackets (a preemption inside one would put
  // the whole run's system clock off by its length).
  std::int64_t mono = 0, width = std::numeric_limits<std::int64_t>::max();
  for (int i = 0; i < 5; ++i) {
    const std::int64_t before = clocks.realtime_ns();
    const std::int64_t m = clocks.mono_ns();
    const std::int64_t after = clocks.realtime_ns();
    if (after - before >= width) continue;
    width = after - before;
    mono = m;
    a.real_minus_mono_ns = before + width / 2 - m;
  }
  if (profile_epoch) {
    a.start_utc_s = profile.sim.start_utc_s;
    a.mono_t0_ns = mono;
    return a;
  }
  const std::int64_t true_utc = mono + a.real_minus_mono_ns + to_ns(profile.sim.system_offset_s);
  // A whole true second at least one second ahead: t = 0 is an edge of the simulated PPS.
  a.start_utc_s = true_utc / kNsPerS + 2;
  a.mono_t0_ns = mono + (a.start_utc_s * kNsPerS - true_utc);
  return a;
}

World::World(const Profile& profile, std::uint64_t seed, conductor::Clocks& clocks,
             WorldOptions options)
    : profile_(profile),
      clocks_(clocks),
      options_(options),
      anchor_(anchor(clocks, profile, options.profile_epoch)),
      ts_(anchor_.start_utc_s, profile.sim.tai_utc_s,
          options.profile_epoch ? profile.sim.leap_day_utc_s : std::nullopt),
      faults_(profile_.faults),
      temperature_(profile_.temperature, profile_.faults.temperature_step, seed),
      phc_(profile_.phc, seed, profile_.temperature.mean_c,
           [this](double t_s) { return temperature_.true_c(t_s); }),
      planner_(profile_, seed),
      read_model_(profile_.phc_read, seed),
      gpio_model_(profile_.pps_gpio, seed),
      has_temperature_(profile_.temperature.present || !profile_.faults.temperature_step.empty()),
      gpio_(*this),
      tod_(*this),
      link_(*this),
      temperature_source_(*this),
      receiver_watch_(*this) {
  // gpsd is there from the start, with a fix, as a healthy receiver would be.
  push_tod(0, gpsd::Connected{});
  push_tod(0, gpsd::FixState{3});
  schedule_faults();
  Queued g;
  g.t_ns = kTickPhaseNs;  // pulse 1 is generated half a second before its edge
  g.kind = Kind::generate;
  g.k = 1;
  push(g);
}

bool World::in_run(std::int64_t t_ns) const {
  return !options_.last_pulse || t_ns <= *options_.last_pulse * kNsPerS;
}

void World::schedule_faults() {
  for (const Window& w : profile_.faults.tod_outage) {
    // gpsd is back (with its fix) in time for the PPS report of the first pulse after the
    // window, which comes kPulseReportLeadNs before that pulse.
    const std::int64_t start = to_ns(w.start_s), end = to_ns(w.end_s()) - kPulseReportLeadNs;
    if (in_run(start)) push_tod(start, gpsd::Disconnected{"simulated gpsd outage"});
    if (!in_run(end)) continue;
    push_tod(end, gpsd::Connected{});
    push_tod(end, gpsd::FixState{3});
  }
  for (const Window& w : profile_.faults.carrier_loss) {
    Queued down;
    down.t_ns = to_ns(w.start_s);
    down.kind = Kind::carrier;
    if (!in_run(down.t_ns)) continue;
    push(down);
    Queued up = down;
    up.t_ns = to_ns(w.end_s());
    up.up = true;
    if (in_run(up.t_ns)) push(up);
    if (!profile_.extts.stale_duplicates) continue;
    const std::int64_t stop =
        std::min(up.t_ns, down.t_ns + to_ns(FaultSchedule::kStaleDuplicatesS));
    for (std::int64_t t = down.t_ns + kNsPerS / 4; t < stop && in_run(t); t += kNsPerS / 4) {
      Queued s;
      s.t_ns = t;
      s.kind = Kind::stale;
      push(s);
    }
  }
}

void World::push(Queued q) {
  q.seq = seq_++;
  queue_.push(std::move(q));
}

void World::push_tod(std::int64_t t_ns, gpsd::Event e) {
  Queued q;
  q.t_ns = t_ns;
  q.kind = Kind::tod;
  if (tod_free_.empty()) {
    q.tod_slot = static_cast<std::uint32_t>(tod_pool_.size());
    tod_pool_.push_back(std::move(e));
  } else {
    q.tod_slot = tod_free_.back();
    tod_free_.pop_back();
    tod_pool_[q.tod_slot] = std::move(e);
  }
  push(q);
}

std::optional<std::int64_t> World::next_event_mono_ns() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.top().t_ns + mono_t0_;
}

void World::sync() { sync_to(clocks_.mono_ns()); }

void World::sync_to(std::int64_t mono_ns) {
  const std::int64_t t_now = t_of(mono_ns);
  if (t_now < now_t_ns_) return;  // never backwards (and nothing before t = 0)
  while (!queue_.empty() && queue_.top().t_ns <= t_now) {
    const Queued q = queue_.top();
    queue_.pop();
    phc_.advance_to(q.t_ns);
    dispatch(q);
  }
  phc_.advance_to(t_now);
  now_t_ns_ = t_now;
}

void World::dispatch(const Queued& q) {
  switch (q.kind) {
    case Kind::generate: generate(q.k); break;
    case Kind::capture: capture(q); break;
    case Kind::deliver:
      if (deliver(Capture{q.phc_ns, q.tai_s, q.falling}) && !q.falling) ++counters_.pulses_seen;
      break;
    case Kind::stale:
      if (last_capture_) deliver(*last_capture_);
      break;
    case Kind::tod:
      tod_ready_.push_back(std::move(tod_pool_[q.tod_slot]));
      tod_free_.push_back(q.tod_slot);
      tod_flag_.set();
      break;
    case Kind::carrier:
      carrier_ = q.up;
      link_ready_ = q.up;
      link_flag_.set();
      break;
  }
}

// Pulse k's draws (PulsePlanner) become EXTTS captures and gpsd events. Carrier loss is checked
// at capture time; a pulse is counted lost here, when the world decides it.
void World::generate(std::int64_t k) {
  const SecondPlan plan = planner_.plan(k, ts_, faults_);
  const bool carrier_up = !faults_.carrier_loss(static_cast<double>(k));
  if (plan.rising && (!plan.rising->delivered || !carrier_up)) ++counters_.pulses_lost;
  if (plan.rising) timestamp_gpio(*plan.rising);
  for (const std::optional<PlannedCapture>& edge : {plan.rising, plan.falling}) {
    if (!edge) continue;
    Queued c;
    c.t_ns = edge->t_ns;
    c.kind = Kind::capture;
    c.k = k;
    c.extra_ns = edge->extra_ns;
    c.deliver = edge->delivered;
    c.falling = edge->falling;
    c.delay_ns = edge->delay_ns;
    push(c);
  }
  if (const auto& p = plan.pulse_report) {
    // gpsd's PPS report: the GNSS second, the system time of the edge, the qErr.
    push_tod(p->at_ns, gpsd::PulseReport{p->utc_s * kNsPerS, real_of_t(p->t_edge_ns), p->qerr_ns});
  }
  if (const auto& t = plan.time_report) {
    push_tod(t->at_ns, gpsd::LeapInfo{t->tai_utc_s - 19, t->leap_pending ? 1 : 0});
    push_tod(t->at_ns, gpsd::TimeReport{t->utc_s * kNsPerS, real_of_t(t->at_ns)});
  }
  if (options_.last_pulse && k >= *options_.last_pulse) return;
  Queued g;
  g.t_ns = (k + 1) * kNsPerS - kTickPhaseNs;
  g.kind = Kind::generate;
  g.k = k + 1;
  push(g);
}

// The GPIO shares the PHC pin's signal (so its cable delay and sub-ns part), not the PHY: a
// carrier loss or a lost EXTTS event does not touch it.
void World::timestamp_gpio(const PlannedCapture& rising) {
  const std::optional<double> latency = gpio_model_.latency_ns();
  if (!gpio_model_.present()) return;
  ++gpio_sequence_;
  if (!latency) {
    ++counters_.gpio_lost;
    return;
  }
  gpio_pending_.push_back({rising.t_ns + std::llround(rising.extra_ns + *latency), gpio_sequence_});
  ++counters_.gpio_pulses;
}

std::optional<pps::PpsTimestamp> World::Gpio::latest_assert() {
  w_.sync();
  // The system clock's reading at the timestamp: the host's, moved back by the time since (in
  // realtime chronyd steers it, so no anchor taken at the start would do).
  const std::int64_t mono_now = w_.clocks_.mono_ns();
  const std::int64_t real_now = w_.clocks_.realtime_ns();
  while (!w_.gpio_pending_.empty() && w_.gpio_pending_.front().visible_t_ns <= w_.now_t_ns_) {
    const GpioEdge& e = w_.gpio_pending_.front();
    const std::int64_t ago_ns = mono_now - (e.visible_t_ns + w_.mono_t0_);
    w_.gpio_latest_ = pps::PpsTimestamp{e.sequence, real_now - ago_ns};
    w_.gpio_pending_.pop_front();
  }
  return w_.gpio_latest_;
}

std::string simulated_clock_name(const Profile& profile) {
  if (profile.phc.precise_offset) return "simulated PHC (cross-timestamping)";
  if (profile.phc_read.present) return "BCM54210PE PHC (simulated CM4 PHY)";
  return "simulated PHC";
}

std::optional<std::int64_t> World::true_latch_system_ns(std::int64_t phc_ns) const {
  for (const auto& [phc, system] : last_latches_) {
    if (phc == phc_ns) return system;
  }
  return std::nullopt;
}

std::int64_t World::read_phc(std::int64_t t_ns, double extra_ns) const {
  return phc_.read_ns(ts_.tai_ns(t_ns), extra_ns);
}

void World::capture(const Queued& q) {
  if (faults_.carrier_loss(static_cast<double>(q.k))) return;  // link down: nothing captured
  if (!extts_enabled_ || !pin_extts_) return;                  // nobody asked for edges
  const Capture c{read_phc(q.t_ns, q.extra_ns), ts_.tai_s_of_pulse(q.k), q.falling};
  last_capture_ = c;
  if (!q.deliver) return;
  Queued d;
  d.t_ns = q.t_ns + q.delay_ns;
  d.kind = Kind::deliver;
  d.phc_ns = c.phc_ns;
  d.tai_s = c.tai_s;
  d.falling = c.falling;
  push(d);
}

bool World::deliver(const Capture& c) {
  if (!extts_enabled_) return false;
  extts_ready_.push_back(phc::ExttsRecord{0, c.phc_ns});
  extts_flag_.set();
  const std::int64_t eff = c.falling ? c.phc_ns - to_ns(profile_.phc.pulse_width_s) : c.phc_ns;
  recent_.push_back({eff, c.tai_s});
  if (recent_.size() > kRecentEdges) recent_.pop_front();
  return true;
}

std::optional<std::int64_t> World::true_tai_s_of(const discipline::PulseMeasurement& m) const {
  for (auto it = recent_.rbegin(); it != recent_.rend(); ++it) {
    const double implied = static_cast<double>(it->phc_eff_ns - m.tai_s * kNsPerS) - m.offset_ns;
    if (std::abs(implied) < kMatchToleranceNs) return it->tai_s;
  }
  return std::nullopt;
}

double World::utc_error_ns(std::int64_t system_ns, double claimed_offset_ns) const {
  const std::int64_t tai = ts_.tai_ns(system_ns - real_minus_mono_ - mono_t0_);
  // Integer parts first: the times are ~1.8e18 ns, beyond a double's exact range.
  auto error_with = [&](int tai_utc_s) {
    const std::int64_t true_utc = tai - static_cast<std::int64_t>(tai_utc_s) * kNsPerS;
    return std::abs(static_cast<double>(system_ns - true_utc) + claimed_offset_ns);
  };
  double err = error_with(ts_.tai_utc_at(tai));
  // UTC 23:59:60 has no POSIX name: either TAI − UTC is a fair claim during it.
  if (ts_.in_leap_second(tai)) err = std::min(err, error_with(profile_.sim.tai_utc_s));
  return err;
}

phc::PhcCaps World::caps() {
  phc::PhcCaps c;
  c.max_adj_ppb = static_cast<int>(std::min(profile_.phc.max_adj_ppb, 2e9));
  c.n_ext_ts = 1;
  c.n_per_out = 1;
  c.n_pins = 1;
  c.cross_timestamping = profile_.phc.precise_offset;
  return c;
}

void World::set_pin_function(unsigned pin, phc::PinFunction func, unsigned channel) {
  if (pin != 0 || channel != 0) {
    throw phc::PhcError(EINVAL, "simulated PHC: only pin 0 and channel 0 exist");
  }
  pin_extts_ = func == phc::PinFunction::extts;
}

void World::enable_extts(unsigned channel) {
  if (channel != 0) throw phc::PhcError(EINVAL, "simulated PHC: only EXTTS channel 0 exists");
  if (!pin_extts_) {
    throw phc::PhcError(EBUSY, "simulated PHC: pin 0 is not routed to EXTTS (as on the CM4 PHY)");
  }
  extts_enabled_ = true;
}

void World::disable_extts(unsigned) {
  extts_enabled_ = false;
  extts_ready_.clear();
  extts_flag_.clear();
}

std::size_t World::read_extts(std::vector<phc::ExttsRecord>& out) {
  sync();
  const std::size_t n = extts_ready_.size();
  out.insert(out.end(), extts_ready_.begin(), extts_ready_.end());
  extts_ready_.clear();
  extts_flag_.clear();
  return n;
}

double World::set_frequency_ppb(double freq_ppb) {
  sync();
  const double limit = std::min(options_.max_freq_ppb, profile_.phc.max_adj_ppb);
  return phc_.set_frequency(std::clamp(freq_ppb, -limit, limit));
}

void World::step_ns(std::int64_t delta_ns) {
  sync();
  phc_.step(delta_ns);
}

std::int64_t World::now_ns() {
  sync();
  return read_phc(now_t_ns_);
}

phc::PhcReadings World::read_system(unsigned reads) {
  // The simulated PHC is a function of the host's mono time: bracket that reading with two
  // system-clock readings, as PTP_SYS_OFFSET_EXTENDED brackets the PHC read, and widen it with
  // the drawn [phc_read] bracket around the latch. On virtual clocks the host's own bracket is
  // 0 ns wide; in realtime it adds the time between the clock_gettime calls.
  ++counters_.read_requests;
  const bool precise = profile_.phc.precise_offset;
  if (!precise && read_model_.request_fails()) {
    ++counters_.read_errors;
    throw phc::PhcReadError(ETIMEDOUT, "simulated PHC: PTP_SYS_OFFSET_EXTENDED failed: "
                                       "Connection timed out ([phc_read] error_probability)");
  }
  phc::PhcReadings r;
  r.method = precise ? phc::OffsetMethod::precise : phc::OffsetMethod::extended;
  last_latches_.clear();
  for (unsigned i = 0; i < std::max(reads, 1U); ++i) {
    const std::int64_t before = clocks_.realtime_ns();
    const std::int64_t mono = clocks_.mono_ns();
    const std::int64_t after = clocks_.realtime_ns();
    sync_to(mono);
    const std::int64_t phc_ns = read_phc(std::max(t_of(mono), now_t_ns_));
    // The host's system clock at the latch (in realtime chronyd steers it: no fixed anchor).
    const std::int64_t latch = before + (after - before) / 2;
    last_latches_.emplace_back(phc_ns, latch);
    if (precise) {  // a cross-timestamp: one exact read
      r.reads.push_back({latch, phc_ns, latch});
      break;
    }
    const DrawnBracket b = read_model_.draw();
    r.reads.push_back({before + b.before_ns, phc_ns, after + b.after_ns});
  }
  return r;
}

std::vector<gpsd::Event> World::Tod::read_events(std::int64_t) {
  w_.sync();
  std::vector<gpsd::Event> out;
  out.swap(w_.tod_ready_);
  w_.tod_flag_.clear();
  return out;
}

std::optional<bool> World::Link::read_change() {
  w_.sync();
  std::optional<bool> r;
  r.swap(w_.link_ready_);
  w_.link_flag_.clear();
  return r;
}

std::optional<double> World::Temperature::read_celsius() {
  w_.sync();
  return w_.temperature_.reading_c(static_cast<double>(w_.now_t_ns_) * 1e-9);
}

}  // namespace nanotime::sim

namespace nanotime::sim {

std::optional<std::int64_t> World::RxWatch::wake_mono_ns() const {
  return std::max(next_mono_ns_, w_.mono_t0_);
}

std::optional<conductor::ReceiverStatus> World::RxWatch::maintain(std::int64_t now_mono_ns) {
  if (now_mono_ns < next_mono_ns_) return std::nullopt;
  const std::int64_t t_ns = w_.t_of(now_mono_ns);
  next_mono_ns_ = w_.mono_t0_ + (t_ns / util::kNsPerS + 1) * util::kNsPerS;
  conductor::ReceiverStatus s =
      simulated_receiver_state(w_.profile_.receiver, static_cast<double>(t_ns) * 1e-9);
  if (last_ && *last_ == s) return std::nullopt;
  last_ = s;
  return s;
}

}  // namespace nanotime::sim
