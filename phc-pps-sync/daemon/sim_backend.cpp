#include "daemon/sim_backend.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <system_error>

#include "sim/simulation.hpp"

namespace nanotime::ppsd {
namespace {

constexpr std::int64_t kNs = 1'000'000'000;

std::int64_t to_ns(double s) { return std::llround(s * 1e9); }

}  // namespace

ReadyFlag::ReadyFlag() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!fd_.valid()) throw std::system_error(errno, std::generic_category(), "eventfd");
}

void ReadyFlag::set() {
  if (set_) return;
  const std::uint64_t one = 1;
  (void)!write(fd_.get(), &one, sizeof one);
  set_ = true;
}

void ReadyFlag::clear() {
  if (!set_) return;
  std::uint64_t v = 0;
  (void)!read(fd_.get(), &v, sizeof v);
  set_ = false;
}

RealtimeSim::Anchor RealtimeSim::anchor(Clocks& clocks, double system_offset_s) {
  Anchor a;
  const std::int64_t before = clocks.realtime_ns();
  const std::int64_t mono = clocks.mono_ns();
  const std::int64_t real = before + (clocks.realtime_ns() - before) / 2;  // at `mono`
  a.real_minus_mono_ns = real - mono;
  const std::int64_t true_utc = real + to_ns(system_offset_s);
  // A whole true second at least one second ahead: t = 0 is an edge of the simulated PPS.
  a.start_utc_s = true_utc / kNs + 2;
  a.mono_t0_ns = mono + (a.start_utc_s * kNs - true_utc);
  return a;
}

RealtimeSim::RealtimeSim(const sim::Profile& profile, std::uint64_t seed, Clocks& clocks,
                         double max_freq_ppb)
    : profile_(profile),
      clocks_(clocks),
      max_freq_ppb_(max_freq_ppb),
      anchor_(anchor(clocks, profile.sim.system_offset_s)),
      ts_(anchor_.start_utc_s, profile.sim.tai_utc_s, std::nullopt),
      faults_(profile_.faults),
      temperature_(profile_.temperature, profile_.faults.temperature_step, seed),
      phc_(profile_.phc, seed, profile_.temperature.mean_c,
           [this](double t_s) { return temperature_.true_c(t_s); }),
      planner_(profile_, seed),
      has_temperature_(profile_.temperature.present || !profile_.faults.temperature_step.empty()),
      tod_(*this),
      link_(*this),
      temperature_source_(*this) {
  // gpsd is there from the start, with a fix and GPS − UTC, as a healthy receiver would be.
  push_tod(0, gpsd::Connected{});
  push_tod(0, gpsd::FixState{3});
  for (const sim::Window& w : profile_.faults.tod_outage) {
    push_tod(to_ns(w.start_s), gpsd::Disconnected{"simulated gpsd outage"});
    push_tod(to_ns(w.end_s()), gpsd::Connected{});
    push_tod(to_ns(w.end_s()), gpsd::FixState{3});
  }
  for (const sim::Window& w : profile_.faults.carrier_loss) {
    Queued down;
    down.t_ns = to_ns(w.start_s);
    down.kind = Kind::carrier;
    down.up = false;
    push(down);
    Queued up = down;
    up.t_ns = to_ns(w.end_s());
    up.up = true;
    push(up);
    if (!profile_.extts.stale_duplicates) continue;
    const std::int64_t stop =
        std::min(up.t_ns, down.t_ns + to_ns(sim::FaultSchedule::kStaleDuplicatesS));
    for (std::int64_t t = down.t_ns + kNs / 4; t < stop; t += kNs / 4) {
      Queued s;
      s.t_ns = t;
      s.kind = Kind::stale;
      push(s);
    }
  }
  Queued g;
  g.t_ns = sim::kTickPhaseNs;  // pulse 1 is generated half a second before its edge
  g.kind = Kind::generate;
  g.k = 1;
  push(g);
}

void RealtimeSim::push(Queued q) {
  q.seq = seq_++;
  queue_.push(std::move(q));
}

void RealtimeSim::push_tod(std::int64_t t_ns, gpsd::Event e) {
  Queued q;
  q.t_ns = t_ns;
  q.kind = Kind::tod;
  q.tod = std::move(e);
  push(std::move(q));
}

std::int64_t RealtimeSim::next_event_mono_ns() const {
  if (queue_.empty()) return std::numeric_limits<std::int64_t>::max();
  return queue_.top().t_ns + mono_t0_;
}

void RealtimeSim::sync() { sync_to(clocks_.mono_ns()); }

void RealtimeSim::sync_to(std::int64_t mono_ns) {
  const std::int64_t t_now = t_of(mono_ns);
  if (t_now < now_t_ns_) return;  // never backwards (and nothing before t = 0)
  while (!queue_.empty() && queue_.top().t_ns <= t_now) {
    Queued q = queue_.top();
    queue_.pop();
    phc_.advance_to(q.t_ns);
    dispatch(q);
  }
  phc_.advance_to(t_now);
  now_t_ns_ = t_now;
}

void RealtimeSim::dispatch(const Queued& q) {
  switch (q.kind) {
    case Kind::generate: generate(q.k); break;
    case Kind::capture: capture(q); break;
    case Kind::deliver: deliver(q.phc_ns); break;
    case Kind::stale:
      if (last_capture_ns_) deliver(*last_capture_ns_);
      break;
    case Kind::tod:
      tod_ready_.push_back(q.tod);
      tod_flag_.set();
      break;
    case Kind::carrier:
      carrier_ = q.up;
      link_ready_ = q.up;
      link_flag_.set();
      break;
  }
}

// The world's draws for pulse k are sim::PulsePlanner's, as in sim/simulation.cpp; here they
// become EXTTS captures and gpsd events. Carrier loss is checked at capture time (capture()).
void RealtimeSim::generate(std::int64_t k) {
  const sim::SecondPlan plan = planner_.plan(k, ts_, faults_);
  for (const std::optional<sim::PlannedCapture>& edge : {plan.rising, plan.falling}) {
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
    gpsd::PulseReport r;
    r.real_ns = p->utc_s * kNs;
    r.clock_ns = real_of_t(p->t_edge_ns);
    r.qerr_ns = p->qerr_ns;
    push_tod(p->at_ns, r);
  }
  if (const auto& t = plan.time_report) {
    push_tod(t->at_ns, gpsd::LeapInfo{t->tai_utc_s - 19});
    push_tod(t->at_ns, gpsd::TimeReport{t->utc_s * kNs, real_of_t(t->at_ns)});
  }
  Queued g;
  g.t_ns = (k + 1) * kNs - sim::kTickPhaseNs;
  g.kind = Kind::generate;
  g.k = k + 1;
  push(g);
}

void RealtimeSim::capture(const Queued& q) {
  if (faults_.carrier_loss(static_cast<double>(q.k))) return;  // link down: nothing captured
  if (!extts_enabled_ || !pin_extts_) return;                  // nobody asked for edges
  const std::int64_t phc_ns = phc_.read_ns(ts_.tai_ns(q.t_ns), q.extra_ns);
  last_capture_ns_ = phc_ns;
  if (!q.deliver) return;
  Queued d;
  d.t_ns = q.t_ns + q.delay_ns;
  d.kind = Kind::deliver;
  d.phc_ns = phc_ns;
  push(d);
}

void RealtimeSim::deliver(std::int64_t phc_ns) {
  if (!extts_enabled_) return;
  extts_ready_.push_back(phc::ExttsRecord{0, phc_ns});
  extts_flag_.set();
}

phc::PhcCaps RealtimeSim::caps() {
  phc::PhcCaps c;
  c.max_adj_ppb = static_cast<int>(std::min(profile_.phc.max_adj_ppb, 2e9));
  c.n_ext_ts = 1;
  c.n_per_out = 1;
  c.n_pins = 1;
  c.cross_timestamping = profile_.phc.precise_offset;
  return c;
}

void RealtimeSim::set_pin_function(unsigned pin, phc::PinFunction func, unsigned channel) {
  if (pin != 0 || channel != 0) {
    throw phc::PhcError(EINVAL, "simulated PHC: only pin 0 and channel 0 exist");
  }
  pin_extts_ = func == phc::PinFunction::extts;
}

void RealtimeSim::enable_extts(unsigned channel) {
  if (channel != 0) throw phc::PhcError(EINVAL, "simulated PHC: only EXTTS channel 0 exists");
  if (!pin_extts_) {
    throw phc::PhcError(EBUSY, "simulated PHC: pin 0 is not routed to EXTTS (as on the CM4 PHY)");
  }
  extts_enabled_ = true;
}

void RealtimeSim::disable_extts(unsigned) {
  extts_enabled_ = false;
  extts_ready_.clear();
  extts_flag_.clear();
}

std::size_t RealtimeSim::read_extts(std::vector<phc::ExttsRecord>& out) {
  sync();
  const std::size_t n = extts_ready_.size();
  out.insert(out.end(), extts_ready_.begin(), extts_ready_.end());
  extts_ready_.clear();
  extts_flag_.clear();
  return n;
}

double RealtimeSim::set_frequency_ppb(double freq_ppb) {
  sync();
  const double limit = std::min(max_freq_ppb_, profile_.phc.max_adj_ppb);
  return phc_.set_frequency(std::clamp(freq_ppb, -limit, limit));
}

void RealtimeSim::step_ns(std::int64_t delta_ns) {
  sync();
  phc_.step(delta_ns);
}

std::int64_t RealtimeSim::now_ns() {
  sync();
  return phc_.read_ns(ts_.tai_ns(now_t_ns_));
}

phc::SysOffset RealtimeSim::sys_offset(unsigned samples) {
  // The simulated PHC is a function of the host's mono time: bracket that reading with two
  // system-clock readings, as PTP_SYS_OFFSET_EXTENDED brackets the PHC read, and keep the
  // narrowest of `samples` brackets as the driver does — so neither the time between the
  // clock_gettime calls (hundreds of ns in a sanitizer build) nor a preemption is a bias.
  std::int64_t best_before = 0, best_mono = 0, best_width = std::numeric_limits<std::int64_t>::max();
  for (unsigned i = 0; i < std::max(samples, 1U); ++i) {
    const std::int64_t before = clocks_.realtime_ns();
    const std::int64_t mono = clocks_.mono_ns();
    const std::int64_t after = clocks_.realtime_ns();
    if (after - before < best_width) {
      best_width = after - before;
      best_before = before;
      best_mono = mono;
    }
  }
  sync_to(best_mono);
  phc::SysOffset r;
  r.phc_ns = phc_.read_ns(ts_.tai_ns(t_of(best_mono)));
  r.system_ns = best_before + best_width / 2;
  r.bracket_ns = best_width;
  r.method = profile_.phc.precise_offset ? phc::OffsetMethod::precise : phc::OffsetMethod::extended;
  return r;
}

std::vector<gpsd::Event> RealtimeSim::SimTod::read_events(std::int64_t) {
  s_.sync();
  std::vector<gpsd::Event> out;
  out.swap(s_.tod_ready_);
  s_.tod_flag_.clear();
  return out;
}

std::optional<bool> RealtimeSim::SimLink::read_change() {
  s_.sync();
  std::optional<bool> r;
  r.swap(s_.link_ready_);
  s_.link_flag_.clear();
  return r;
}

std::optional<double> RealtimeSim::SimTemperature::read_celsius() {
  s_.sync();
  return s_.temperature_.reading_c(static_cast<double>(s_.now_t_ns_) * 1e-9);
}

}  // namespace nanotime::ppsd
