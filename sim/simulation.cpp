#include "sim/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <queue>

#include "sim/faults.hpp"
#include "sim/phc.hpp"
#include "sim/pulse_plan.hpp"
#include "sim/temperature.hpp"
#include "sim/timescale.hpp"

namespace nanotime::sim {
namespace {

namespace d = nanotime::discipline;
constexpr std::int64_t kNs = 1000000000;
constexpr double kChronyLimitNs = 1000;
// A pulse measurement is matched to the edge whose PHC time, minus its label, gives the
// measured offset; qErr and cable corrections are far below this.
constexpr double kMatchToleranceNs = 1e6;
constexpr std::size_t kRecentEdges = 64;

std::int64_t to_ns(double s) { return std::llround(s * 1e9); }

enum class Kind : std::uint8_t { generate, record, capture, extts, engine, stale };

struct QueuedEvent {
  std::int64_t t_ns = 0;
  std::uint64_t seq = 0;
  Kind kind = Kind::engine;
  std::int64_t k = 0;           // pulse index
  bool falling = false;         // capture: the falling edge
  bool deliver = false;         // capture: delivered to user space
  double extra_ns = 0;          // capture: sub-ns part of the edge instant
  std::int64_t delay_ns = 0;    // capture: delivery delay
  std::int64_t phc_ns = 0;      // extts
  d::Event event;               // engine
};

struct Later {
  bool operator()(const QueuedEvent& a, const QueuedEvent& b) const {
    return a.t_ns != b.t_ns ? a.t_ns > b.t_ns : a.seq > b.seq;
  }
};

struct RecentEdge {
  std::int64_t phc_eff_ns = 0;   // PHC time of the rising edge it stands for
  std::int64_t tai_s = 0;        // the true TAI second of that edge
};

class Simulation {
 public:
  Simulation(const Profile& p, std::uint64_t seed, std::int64_t duration_s, d::Engine& engine)
      : p_(p),
        engine_(engine),
        duration_s_(duration_s),
        ts_(p.sim.start_utc_s, p.sim.tai_utc_s, p.sim.leap_day_utc_s),
        faults_(p.faults),
        temperature_(p.temperature, p.faults.temperature_step, seed),
        phc_(p.phc, seed, p.temperature.mean_c,
             [this](double t_s) { return temperature_.true_c(t_s); }),
        planner_(p, seed),
        send_temperature_(p.temperature.present || !p.faults.temperature_step.empty()) {}

  SimResult run() {
    res_.duration_s = duration_s_;
    res_.true_error_ns.assign(static_cast<std::size_t>(duration_s_) + 1, 0.0);
    res_.error_bound_ns.assign(res_.true_error_ns.size(), 0.0);
    res_.clock_class.assign(res_.true_error_ns.size(), 0);
    push_simple(0, Kind::record, 0);
    push_simple(kTickPhaseNs, Kind::generate, 1);
    schedule_carrier_faults();
    while (!queue_.empty()) {
      QueuedEvent e = queue_.top();
      queue_.pop();
      phc_.advance_to(e.t_ns);
      dispatch(e);
    }
    return std::move(res_);
  }

 private:
  void push(QueuedEvent e) {
    e.seq = seq_++;
    queue_.push(std::move(e));
  }
  void push_simple(std::int64_t t_ns, Kind kind, std::int64_t k) {
    QueuedEvent e;
    e.t_ns = t_ns;
    e.kind = kind;
    e.k = k;
    push(std::move(e));
  }
  void push_engine(std::int64_t t_ns, d::Event ev) {
    QueuedEvent e;
    e.t_ns = t_ns;
    e.kind = Kind::engine;
    e.event = std::move(ev);
    push(std::move(e));
  }
  void push_capture(std::int64_t k, const PlannedCapture& c, bool carrier_up) {
    QueuedEvent e;
    e.t_ns = c.t_ns;
    e.kind = Kind::capture;
    e.k = k;
    e.falling = c.falling;
    e.deliver = c.delivered && carrier_up;
    e.extra_ns = c.extra_ns;
    e.delay_ns = c.delay_ns;
    push(std::move(e));
  }
  std::int64_t mono(std::int64_t t_ns) const { return t_ns + kMonoOffsetNs; }
  std::int64_t end_ns() const { return duration_s_ * kNs; }

  void schedule_carrier_faults() {
    for (const Window& w : p_.faults.carrier_loss) {
      const std::int64_t start = to_ns(w.start_s);
      const std::int64_t end = to_ns(w.end_s());
      if (start > end_ns()) continue;
      push_engine(start, d::CarrierChange{mono(start), false});
      if (end <= end_ns()) push_engine(end, d::CarrierChange{mono(end), true});
      if (!p_.extts.stale_duplicates) continue;
      const std::int64_t stop = std::min(end, start + to_ns(FaultSchedule::kStaleDuplicatesS));
      for (std::int64_t t = start + kNs / 4; t < stop && t <= end_ns(); t += kNs / 4) {
        push_simple(t, Kind::stale, 0);
      }
    }
  }

  void dispatch(const QueuedEvent& e) {
    switch (e.kind) {
      case Kind::generate: generate(e.k); break;
      case Kind::record: record(e.k); break;
      case Kind::capture: capture(e); break;
      case Kind::extts: deliver_extts(e); break;
      case Kind::stale: stale(e.t_ns); break;
      case Kind::engine: feed(e.t_ns, e.event); break;
    }
  }

  // Draw everything about pulse k (PulsePlanner: each model once per second, faults or not) and
  // schedule it as engine events.
  void generate(std::int64_t k) {
    const double t_s = static_cast<double>(k);
    const SecondPlan plan = planner_.plan(k, ts_, faults_);
    const std::int64_t nominal = plan.nominal_ns;
    const double temperature_c = send_temperature_ ? temperature_.reading_c(t_s + 0.5) : 0.0;

    push_simple(nominal, Kind::record, k);
    // Carrier loss for the whole second: the edge is counted lost now (capture() drops it).
    const bool carrier_up = !faults_.carrier_loss(t_s);
    if (plan.rising) {
      if (!plan.rising->delivered || !carrier_up) ++res_.pulses_lost;
      push_capture(k, *plan.rising, carrier_up);
    }
    if (plan.falling) push_capture(k, *plan.falling, carrier_up);
    if (plan.pulse_report) {
      d::PulseReport r;
      r.utc_s = plan.pulse_report->utc_s;
      r.edge_mono_ns = mono(plan.pulse_report->t_edge_ns);
      r.qerr_ns = plan.pulse_report->qerr_ns;
      push_engine(plan.pulse_report->at_ns, r);
    }
    if (plan.time_report) {
      d::TimeReport r;
      r.utc_s = plan.time_report->utc_s;
      r.tai_utc_s = plan.time_report->tai_utc_s;
      r.leap = plan.time_report->leap_pending ? d::LeapWarning::insert : d::LeapWarning::none;
      r.arrival_mono_ns = mono(plan.time_report->at_ns);
      push_engine(plan.time_report->at_ns, r);
    }
    const std::int64_t tick = nominal + kTickPhaseNs;
    push_engine(tick, d::Tick{mono(tick)});
    if (send_temperature_) push_engine(tick, d::TemperatureReading{mono(tick), temperature_c});
    if (k + 1 <= duration_s_) push_simple((k + 1) * kNs - kTickPhaseNs, Kind::generate, k + 1);
  }

  void record(std::int64_t k) {
    const auto i = static_cast<std::size_t>(k);
    res_.true_error_ns[i] = phc_.error_ns();
    const d::EngineStatus st = engine_.status();
    res_.error_bound_ns[i] = st.error_bound_ns;
    res_.clock_class[i] = st.quality.clock_class;
  }

  void capture(const QueuedEvent& e) {
    const std::int64_t phc_ns = phc_.read_ns(ts_.tai_ns(e.t_ns), e.extra_ns);
    if (faults_.carrier_loss(static_cast<double>(e.k))) return;  // link down: nothing captured
    last_capture_ns_ = phc_ns;
    last_capture_tai_s_ = ts_.tai_s_of_pulse(e.k);
    last_capture_falling_ = e.falling;
    if (!e.deliver) return;
    QueuedEvent x;
    x.t_ns = e.t_ns + e.delay_ns;
    x.kind = Kind::extts;
    x.k = e.k;
    x.falling = e.falling;
    x.phc_ns = phc_ns;
    push(x);
  }

  void remember_edge(std::int64_t phc_ns, std::int64_t tai_s, bool falling) {
    const std::int64_t eff = falling ? phc_ns - to_ns(p_.phc.pulse_width_s) : phc_ns;
    recent_.push_back({eff, tai_s});
    if (recent_.size() > kRecentEdges) recent_.pop_front();
  }

  void deliver_extts(const QueuedEvent& e) {
    if (!e.falling) ++res_.pulses_seen;
    remember_edge(e.phc_ns, ts_.tai_s_of_pulse(e.k), e.falling);
    feed(e.t_ns, d::ExttsEvent{e.phc_ns, mono(e.t_ns)});
  }

  void stale(std::int64_t t_ns) {
    if (!last_capture_ns_) return;
    remember_edge(*last_capture_ns_, last_capture_tai_s_, last_capture_falling_);
    feed(t_ns, d::ExttsEvent{*last_capture_ns_, mono(t_ns)});
  }

  void feed(std::int64_t t_ns, const d::Event& ev) {
    const d::Output out = engine_.handle(ev);
    apply(t_ns, out);
  }

  void apply(std::int64_t t_ns, const d::Output& out) {
    if (out.step) {
      phc_.step(out.step->delta_ns);
      ++res_.steps;
    }
    if (out.frequency) {
      phc_.set_frequency(out.frequency->freq_ppb);
      ++res_.frequency_commands;
    }
    if (out.chrony) check_chrony(t_ns, *out.chrony);
    if (out.pulse) check_pulse(*out.pulse);
  }

  // The daemon reads the PHC right after the event and claims UTC = phc − phc_minus_tai − TAI−UTC.
  void check_chrony(std::int64_t t_ns, const d::ChronySample& s) {
    ++res_.chrony_samples;
    const std::int64_t tai = ts_.tai_ns(t_ns);
    const double phc_minus_true_tai = static_cast<double>(phc_.read_ns(tai) - tai);
    auto error_with = [&](int true_tai_utc) {
      return phc_minus_true_tai - s.phc_minus_tai_ns -
             static_cast<double>(s.tai_utc_s - true_tai_utc) * 1e9;
    };
    double err = std::abs(error_with(ts_.tai_utc_at(tai)));
    // UTC 23:59:60 has no POSIX name: either TAI − UTC is a fair claim during it.
    if (ts_.in_leap_second(tai)) err = std::min(err, std::abs(error_with(p_.sim.tai_utc_s)));
    res_.max_chrony_error_ns = std::max(res_.max_chrony_error_ns, err);
    if (err > kChronyLimitNs) ++res_.chrony_over_1us;
  }

  void check_pulse(const d::PulseMeasurement& m) {
    if (m.outlier) ++res_.outliers_rejected;
    std::optional<std::int64_t> true_tai_s;
    for (auto it = recent_.rbegin(); it != recent_.rend(); ++it) {
      const double implied =
          static_cast<double>(it->phc_eff_ns - m.tai_s * kNs) - m.offset_ns;
      if (std::abs(implied) < kMatchToleranceNs) {
        true_tai_s = it->tai_s;
        break;
      }
    }
    if (!m.used) return;
    if (!true_tai_s || *true_tai_s != m.tai_s) ++res_.mislabelled;
    const std::int64_t tai_s = true_tai_s.value_or(m.tai_s);
    res_.residuals.push_back({tai_s - ts_.start_tai_s(), m.offset_ns});
  }

  const Profile& p_;
  d::Engine& engine_;
  std::int64_t duration_s_;
  Timescale ts_;
  FaultSchedule faults_;
  TemperatureModel temperature_;
  SimulatedPhc phc_;
  PulsePlanner planner_;
  bool send_temperature_;

  std::priority_queue<QueuedEvent, std::vector<QueuedEvent>, Later> queue_;
  std::uint64_t seq_ = 0;
  std::optional<std::int64_t> last_capture_ns_;
  std::int64_t last_capture_tai_s_ = 0;
  bool last_capture_falling_ = false;
  std::deque<RecentEdge> recent_;
  SimResult res_;
};

}  // namespace

discipline::EngineConfig engine_config(const Profile& profile, const std::string& servo) {
  discipline::EngineConfig c;
  c.servo = servo;
  c.cable_delay_ns = profile.gnss.cable_delay_ns;
  c.max_freq_ppb = std::min(c.max_freq_ppb, profile.phc.max_adj_ppb);
  c.tai_utc_s = profile.sim.tai_utc_s;
  c.both_edges = profile.phc.both_edges;
  c.pulse_width_s = profile.phc.pulse_width_s;
  return c;
}

SimResult run_simulation(const Profile& profile, discipline::Engine& engine,
                         const std::string& servo, const RunOptions& options) {
  const std::uint64_t seed = options.seed.value_or(profile.sim.seed);
  const auto duration_s =
      static_cast<std::int64_t>(std::floor(options.duration_s.value_or(profile.sim.duration_s)));
  Simulation sim(profile, seed, std::max<std::int64_t>(duration_s, 1), engine);
  SimResult r = sim.run();
  r.profile = profile.name;
  r.servo = servo;
  r.seed = seed;
  return r;
}

}  // namespace nanotime::sim
