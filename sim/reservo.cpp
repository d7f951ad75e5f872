#include "sim/reservo.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "conductor/conductor.hpp"
#include "discipline/edge_corrections.hpp"
#include "recording/file.hpp"
#include "transfer/latch_model.hpp"

namespace nanotime::sim {
namespace {

namespace r = nanotime::recording;
constexpr std::int64_t kNs = 1'000'000'000;
// A port's answer recorded this close after the instant the Conductor asks belongs to that
// request (a real recorder stamps a read a few µs after the EXTTS record it follows).
constexpr std::int64_t kSameRequestNs = 50'000'000;
// Clock adjustments go through clock_adjtime's scaled ppm: 1/65.536 ppb steps.
constexpr double kScaledPpmPerPpb = 65.536;
// Free-running rate from consecutive pulses: exponential average over ~20 pulses.
constexpr double kRateAlpha = 0.05;

struct ReadAt {
  std::int64_t mono_ns = 0;
  const r::PhcReadings* ok = nullptr;    // else a failure
  const r::PhcFailure* failed = nullptr;
};

struct GpioAt {
  std::int64_t mono_ns = 0;
  std::optional<pps::PpsTimestamp> edge;
};

// The recorded answer of `list` that a request at `now` gets: one stamped just after it, else
// the latest before it; nullptr when there is none.
template <class T>
const T* answer_at(const std::vector<T>& list, std::int64_t now) {
  auto it = std::lower_bound(list.begin(), list.end(), now,
                             [](const T& a, std::int64_t m) { return a.mono_ns < m; });
  if (it != list.end() && it->mono_ns - now <= kSameRequestNs) return &*it;
  if (it == list.begin()) return nullptr;
  return &*std::prev(it);
}

double quantise(double ppb) { return std::round(ppb * kScaledPpmPerPpb) / kScaledPpmPerPpb; }

}  // namespace

// ---- Steering ----

void Steering::frequency(std::int64_t mono_ns, double applied_ppb) {
  segments_.push_back({mono_ns, at(mono_ns), applied_ppb});
}

void Steering::step(std::int64_t mono_ns, std::int64_t delta_ns) {
  const double ppb = segments_.empty() ? 0 : segments_.back().ppb;
  Phase p = at(mono_ns);
  p.steps_ns += delta_ns;
  segments_.push_back({mono_ns, p, ppb});
}

Steering::Phase Steering::at(std::int64_t mono_ns) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), mono_ns,
                             [](std::int64_t m, const Segment& s) { return m < s.mono_ns; });
  if (it == segments_.begin()) return {};
  const Segment& s = *std::prev(it);
  return {s.phase.steps_ns,
          s.phase.frequency_ns + s.ppb * static_cast<double>(mono_ns - s.mono_ns) * 1e-9};
}

double Steering::minus(const Steering& other, std::int64_t mono_ns) const {
  const Phase a = at(mono_ns), b = other.at(mono_ns);
  return static_cast<double>(a.steps_ns - b.steps_ns) + (a.frequency_ns - b.frequency_ns);
}

// ---- reading the tape ----

Reconstruction reconstruct(std::string_view file) {
  r::Reader reader(file);
  Reconstruction rec;
  rec.header = reader.header();
  discipline::TickGcd tick;  // as the engine learns it
  while (std::optional<r::Record> record = reader.next()) {
    if (rec.records.empty()) rec.first_mono_ns = record->mono_ns;
    rec.last_mono_ns = record->mono_ns;
    if (const auto* f = std::get_if<r::Frequency>(&record->body)) {
      rec.recorded.frequency(record->mono_ns, f->applied_ppb);
    } else if (const auto* s = std::get_if<r::Step>(&record->body)) {
      rec.recorded.step(record->mono_ns, s->delta_ns);
    } else if (const auto* c = std::get_if<r::Caps>(&record->body)) {
      rec.caps = c->caps;
    } else if (const auto* e = std::get_if<r::ExttsRead>(&record->body)) {
      for (const phc::ExttsRecord& x : e->records) tick.add(x.phc_ns);
    }
    rec.records.push_back(std::move(*record));
  }
  rec.tick_ns = tick.tick_ns();
  rec.stop_message = reader.stop_message();
  return rec;
}

discipline::EngineConfig recorded_engine_config(const r::Header& h, const std::string& servo) {
  discipline::EngineConfig e;
  e.servo = servo;
  const auto number = [&](const char* key, double& out) {
    const auto it = h.find(key);
    if (it == h.end()) return;
    try {
      out = std::stod(it->second);
    } catch (const std::exception&) {
      // a malformed value keeps the default: the header is advisory here
    }
  };
  number("engine.cable_delay_ns", e.cable_delay_ns);
  number("engine.holdover_limit_ns", e.holdover_limit_ns);
  number("engine.max_freq_ppb", e.max_freq_ppb);
  number("engine.pulse_width_s", e.pulse_width_s);
  number("engine.step_threshold_ns", e.step_threshold_ns);
  double tai_utc = e.tai_utc_s;
  number("engine.tai_utc_s", tai_utc);
  e.tai_utc_s = static_cast<int>(tai_utc);
  if (const auto it = h.find("engine.both_edges"); it != h.end()) e.both_edges = it->second == "1";
  return e;
}

// ---- the reconstructed world ----

namespace {

// The mono instant at which the recorded PHC showed `edge_phc_ns`: from the PHC read next to
// it (the Conductor reads right after each EXTTS event), moving back by the free-running PHC
// time between them (the recorded steering between the two taken out; the oscillator's own
// rate, ppm, is far below what matters for the steering's integral).
std::int64_t capture_mono(const std::vector<ReadAt>& reads, const Steering& recorded,
                          std::int64_t now, std::int64_t edge_phc_ns) {
  const ReadAt* read = answer_at(reads, now);
  while (read != nullptr && read->ok == nullptr) {
    read = read == reads.data() ? nullptr : read - 1;
  }
  if (read == nullptr) return now;
  const std::int64_t read_phc = read->ok->readings.reads.front().phc_ns;
  const Steering::Phase read_s = recorded.at(read->mono_ns);
  std::int64_t capture = now;
  for (int i = 0; i < 3; ++i) {
    const Steering::Phase cap_s = recorded.at(capture);
    const double free_diff = static_cast<double>(edge_phc_ns - read_phc -
                                                 (cap_s.steps_ns - read_s.steps_ns)) -
                             (cap_s.frequency_ns - read_s.frequency_ns);
    capture = std::clamp<std::int64_t>(read->mono_ns + std::llround(free_diff), now - 2 * kNs, now);
  }
  return capture;
}

std::vector<ReadAt> index_reads(const Reconstruction& rec) {
  std::vector<ReadAt> reads;
  for (const r::Record& x : rec.records) {
    if (const auto* ok = std::get_if<r::PhcReadings>(&x.body)) {
      if (!ok->readings.reads.empty()) reads.push_back({x.mono_ns, ok, nullptr});
    } else if (const auto* f = std::get_if<r::PhcFailure>(&x.body)) {
      reads.push_back({x.mono_ns, nullptr, f});
    }
  }
  return reads;
}

class ReservoWorld final : public phc::PtpClock,
                           public conductor::Clocks,
                           public conductor::GpioPpsSource {
 public:
  ReservoWorld(const Reconstruction& rec, Steering& steering)
      : rec_(rec), new_(steering), now_(rec.first_mono_ns), reads_(index_reads(rec)) {
    for (const r::Record& x : rec.records) {
      if (const auto* g = std::get_if<r::GpioFetch>(&x.body)) {
        gpio_.push_back({x.mono_ns, g->edge});
      } else if (const auto* rt = std::get_if<r::RealRead>(&x.body)) {
        if (!real_minus_mono_) real_minus_mono_ = rt->ns - x.mono_ns;
      }
    }
  }

  void at(std::int64_t mono_ns) { now_ = std::max(now_, mono_ns); }
  void real_read(std::int64_t mono_ns, std::int64_t real_ns) { real_minus_mono_ = real_ns - mono_ns; }

  // The recorded EXTTS events of one read, moved onto the new servo's PHC. Returns how many.
  std::size_t arrive(const std::vector<phc::ExttsRecord>& events) {
    for (const phc::ExttsRecord& e : events) {
      const std::int64_t capture = capture_mono(e.phc_ns);
      note_free(e.phc_ns, rec_.recorded.at(capture));
      pending_.push_back({e.channel, e.phc_ns + std::llround(new_.minus(rec_.recorded, capture))});
    }
    return events.size();
  }

  // ---- conductor::Clocks ----
  std::int64_t mono_ns() override { return now_; }
  std::int64_t realtime_ns() override { return now_ + real_minus_mono_.value_or(0); }

  // ---- phc::PtpClock ----
  phc::PhcCaps caps() override {
    if (rec_.caps) return *rec_.caps;
    phc::PhcCaps c;
    c.max_adj_ppb = 100000000;
    c.n_ext_ts = 1;
    c.n_pins = 1;
    return c;
  }
  void set_pin_function(unsigned, phc::PinFunction, unsigned) override {}
  void enable_extts(unsigned) override {}
  void disable_extts(unsigned) override {}
  std::size_t read_extts(std::vector<phc::ExttsRecord>& out) override {
    const std::size_t n = pending_.size();
    out.insert(out.end(), pending_.begin(), pending_.end());
    pending_.clear();
    return n;
  }
  double set_frequency_ppb(double freq_ppb) override {
    const double limit = std::max(1, caps().max_adj_ppb);
    const double applied = quantise(std::clamp(freq_ppb, -limit, limit));
    new_.frequency(now_, applied);
    return applied;
  }
  void step_ns(std::int64_t delta_ns) override { new_.step(now_, delta_ns); }
  std::int64_t now_ns() override {
    throw phc::PhcError(EOPNOTSUPP, "re-servo: a PHC time read without a system bracket");
  }
  phc::PhcReadings read_system(unsigned) override;
  int poll_fd() const override { return -1; }

  // ---- conductor::GpioPpsSource ----
  std::optional<pps::PpsTimestamp> latest_assert() override {
    const GpioAt* g = answer_at(gpio_, now_);
    return g != nullptr ? g->edge : std::nullopt;
  }
  std::string describe() const override { return "recorded GPIO PPS"; }

 private:
  std::int64_t capture_mono(std::int64_t edge_phc_ns) const {
    return sim::capture_mono(reads_, rec_.recorded, now_, edge_phc_ns);
  }
  void note_free(std::int64_t phc_ns, Steering::Phase old_s);

  const Reconstruction& rec_;
  Steering& new_;
  std::int64_t now_;
  std::optional<std::int64_t> real_minus_mono_;
  std::vector<ReadAt> reads_;
  std::vector<GpioAt> gpio_;
  std::vector<phc::ExttsRecord> pending_;
  std::optional<std::pair<std::int64_t, Steering::Phase>> last_free_;  // (recorded phc, S_old) of an edge
  double free_rate_ppb_ = 0;
  bool rate_known_ = false;
};

// The free-running rate, from edges a whole number of seconds apart.
void ReservoWorld::note_free(std::int64_t phc_ns, Steering::Phase old_s) {
  if (last_free_) {
    const double d =
        static_cast<double>(phc_ns - last_free_->first - (old_s.steps_ns - last_free_->second.steps_ns)) -
        (old_s.frequency_ns - last_free_->second.frequency_ns);
    const double n = std::round(d / 1e9);
    const double frac = d - n * 1e9;
    if (n >= 1 && n <= 10 && std::abs(frac) < 1e6 * n) {
      const double y = frac / n;
      free_rate_ppb_ = rate_known_ ? free_rate_ppb_ + kRateAlpha * (y - free_rate_ppb_) : y;
      rate_known_ = true;
    }
  }
  last_free_ = {phc_ns, old_s};
}

phc::PhcReadings ReservoWorld::read_system(unsigned) {
  const ReadAt* read = answer_at(reads_, now_);
  if (read == nullptr) throw phc::PhcReadError(ENODATA, "re-servo: no PHC read recorded yet");
  if (read->failed != nullptr && std::abs(read->mono_ns - now_) <= kSameRequestNs) {
    if (read->failed->read_error) {
      throw phc::PhcReadError(read->failed->error_number, read->failed->message);
    }
    throw phc::PhcError(read->failed->error_number, read->failed->message);
  }
  while (read != nullptr && read->ok == nullptr) {
    read = read == reads_.data() ? nullptr : read - 1;
  }
  if (read == nullptr) throw phc::PhcReadError(ENODATA, "re-servo: no PHC read recorded yet");
  const std::int64_t dt = now_ - read->mono_ns;
  // free(now) = free(read) + dt·(1 + rate);  new PHC(now) = free(now) + S_new(now).
  const Steering::Phase old_s = rec_.recorded.at(read->mono_ns), new_s = new_.at(now_);
  const double moved = static_cast<double>(dt) * free_rate_ppb_ * 1e-9 +
                       static_cast<double>(new_s.steps_ns - old_s.steps_ns) +
                       (new_s.frequency_ns - old_s.frequency_ns);
  phc::PhcReadings out = read->ok->readings;
  for (phc::PhcRead& x : out.reads) {
    x.before_ns += dt;
    x.after_ns += dt;
    x.phc_ns += dt + std::llround(moved);
  }
  return out;
}

class CountingChrony final : public conductor::ChronySink {
 public:
  bool send_time(std::int64_t, double, refclock::Leap) override { return true; }
};

// What the re-run Conductor did: its pulses (residuals, gaps) and its GPIO pairs.
class Watcher final : public conductor::ConductorObserver {
 public:
  Watcher(ReservoResult& res, std::int64_t first_mono_ns) : res_(res), first_(first_mono_ns) {}
  void attach(const conductor::Conductor& c) { conductor_ = &c; }
  void applied(const discipline::Output& out, std::int64_t now) override {
    if (!out.pulse) return;
    if (out.pulse->outlier) ++res_.outliers_rejected;
    if (!out.pulse->used) return;
    const double since_s = static_cast<double>(now - first_) * 1e-9;
    if (last_used_s_ && since_s - *last_used_s_ >= kHoldoverGapS) {
      res_.holdovers.push_back({*last_used_s_, since_s - *last_used_s_, out.pulse->offset_ns});
    }
    last_used_s_ = since_s;
    res_.residuals.push_back({std::llround(since_s), out.pulse->offset_ns});
  }
  void chrony_sample(const discipline::ChronySample&, const conductor::SampleTransfer&, double,
                     std::int64_t) override {
    ++res_.chrony_samples;
    const conductor::TransferStatus& t = conductor_->transfer_status();
    if (t.gpio_pulses > gpio_seen_ && t.gpio_difference_ns) {
      res_.gpio_difference_ns.push_back(*t.gpio_difference_ns);
    }
    gpio_seen_ = t.gpio_pulses;
  }

 private:
  ReservoResult& res_;
  std::int64_t first_;
  const conductor::Conductor* conductor_ = nullptr;
  std::optional<double> last_used_s_;
  std::uint64_t gpio_seen_ = 0;
};

}  // namespace

// The Conductor ignores EXTTS events of another channel than its own: take the recorded one.
conductor::ConductorOptions recorded_conductor_options(const r::Header& h) {
  conductor::ConductorOptions co;
  const auto get = [&](const char* key) -> std::optional<double> {
    const auto it = h.find(key);
    if (it == h.end()) return std::nullopt;
    try {
      return std::stod(it->second);
    } catch (const std::exception&) {
      return std::nullopt;  // advisory: a malformed value keeps the default
    }
  };
  if (const auto v = get("conductor.pin"); v && *v >= 0) co.pin = static_cast<unsigned>(*v);
  if (const auto v = get("conductor.channel"); v && *v >= 0) co.channel = static_cast<unsigned>(*v);
  if (const auto v = get("conductor.cable_delay_shift_ns")) co.cable_delay_shift_ns = *v;
  if (const auto v = get("conductor.gpio_latency_floor_max_ns")) co.gpio_check.latency_floor_max_ns = *v;
  return co;
}

namespace {

const transfer::LatchModel& latch_model_for(const Reconstruction& rec, const std::string& name) {
  std::string want = name;
  if (want == "auto") {
    // The model the recorded daemon resolved; else the one its PHC driver implies.
    const auto it = rec.header.find("conductor.latch_model");
    want = it != rec.header.end() ? it->second : "auto";
  }
  if (want == "auto") {
    const auto it = rec.header.find("hardware.clock_name");
    return transfer::model_for_driver(it != rec.header.end() ? it->second : "",
                                      rec.caps && rec.caps->cross_timestamping);
  }
  if (const transfer::LatchModel* m = transfer::find_latch_model(want)) return *m;
  throw std::invalid_argument("unknown latch model '" + want + "' (one of " +
                              transfer::latch_model_choices() + ")");
}

}  // namespace

std::vector<FreeEdge> free_running_edges(const Reconstruction& rec) {
  const std::vector<ReadAt> reads = index_reads(rec);
  std::vector<FreeEdge> out;
  for (const r::Record& x : rec.records) {
    const auto* e = std::get_if<r::ExttsRead>(&x.body);
    if (e == nullptr) continue;
    for (const phc::ExttsRecord& edge : e->records) {
      const std::int64_t capture = capture_mono(reads, rec.recorded, x.mono_ns, edge.phc_ns);
      out.push_back({capture, edge.phc_ns, rec.recorded.at(capture)});
    }
  }
  return out;
}

ReservoResult run_reservo(const Reconstruction& rec, discipline::EngineConfig config,
                          const ReservoOptions& options) {
  if (config.extts_tick_ns <= 0) config.extts_tick_ns = rec.tick_ns;
  const std::unique_ptr<discipline::Engine> engine = discipline::make_engine(config);
  ReservoResult res;
  res.servo = config.servo;
  res.duration_s = static_cast<double>(rec.last_mono_ns - rec.first_mono_ns) * 1e-9;
  ReservoWorld world(rec, res.steering);
  CountingChrony chrony;
  Watcher watcher(res, rec.first_mono_ns);
  conductor::ConductorOptions co = recorded_conductor_options(rec.header);
  co.log_events = false;
  co.latch_model = latch_model_for(rec, options.latch_model);
  res.latch_model = std::string(co.latch_model.name);
  conductor::Conductor c(*engine, world, world, &chrony, nullptr, co);
  watcher.attach(c);
  c.set_observer(&watcher);
  const bool has_gpio = std::any_of(rec.records.begin(), rec.records.end(), [](const auto& x) {
    return std::holds_alternative<r::GpioFetch>(x.body);
  });
  if (options.gpio_wire && has_gpio) c.set_gpio_pps(&world);
  c.start();
  for (const r::Record& x : rec.records) {
    world.at(x.mono_ns);
    if (const auto* rt = std::get_if<r::RealRead>(&x.body)) {
      world.real_read(x.mono_ns, rt->ns);
    } else if (const auto* e = std::get_if<r::ExttsRead>(&x.body)) {
      if (world.arrive(e->records) == 0) continue;
      res.pulses += e->records.size();
      c.on_extts_readable();
    } else if (const auto* t = std::get_if<r::TodEvents>(&x.body)) {
      c.on_tod_events(t->events);
    } else if (const auto* k = std::get_if<r::Tick>(&x.body)) {
      c.on_tick(k->temperature_c);
    } else if (const auto* l = std::get_if<r::Carrier>(&x.body)) {
      c.on_carrier(l->up);
    }
  }
  res.steps = c.counters().steps;
  res.frequency_commands = c.counters().frequency_commands;
  return res;
}

// ---- the report ----

ReservoReport make_reservo_report(const ReservoResult& r, const std::string& recording_name) {
  ReservoReport rep;
  rep.recording = recording_name;
  rep.servo = r.servo;
  rep.duration_s = r.duration_s;
  // Lock: the first used pulse from which every used pulse of the next 60 s is within 100 ns.
  std::size_t from = r.residuals.size();
  for (std::size_t i = 0, run_start = 0; i < r.residuals.size(); ++i) {
    if (std::abs(r.residuals[i].offset_ns) >= kLockLimitNs) {
      run_start = i + 1;
      continue;
    }
    if (r.residuals[i].k - r.residuals[run_start].k >= kLockHoldS) {
      from = run_start;
      break;
    }
  }
  std::vector<double> residuals;
  if (from < r.residuals.size()) {
    rep.lock_time_s = static_cast<double>(r.residuals[from].k);
    for (std::size_t i = from; i < r.residuals.size(); ++i) {
      residuals.push_back(r.residuals[i].offset_ns);
    }
  }
  rep.residual_ns = error_stats(std::move(residuals));
  rep.gpio_difference_ns = error_stats(r.gpio_difference_ns);
  rep.holdover = r.holdovers;
  rep.pulses = r.pulses;
  rep.steps = r.steps;
  rep.frequency_commands = r.frequency_commands;
  rep.chrony_samples = r.chrony_samples;
  rep.outliers_rejected = r.outliers_rejected;
  return rep;
}

namespace {
std::string fixed(double v, int decimals = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}
std::string stats(const ErrorStats& s) {
  return "{\"rms\": " + fixed(s.rms) + ", \"p95\": " + fixed(s.p95) + ", \"max\": " +
         fixed(s.max) + ", \"n\": " + std::to_string(s.n) + "}";
}
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) continue;
    out += ch;
  }
  return out + "\"";
}
}  // namespace

std::string reservo_report_json(const ReservoReport& r) {
  std::string out = "{\"recording\": " + quoted(r.recording) + ", \"servo\": " + quoted(r.servo) +
                    ", \"truth\": false, \"duration_s\": " + fixed(r.duration_s, 0) +
                    ", \"lock_time_s\": " + (r.lock_time_s ? fixed(*r.lock_time_s, 0) : "null") +
                    ", \"true_error_ns\": null, \"residual_ns\": " + stats(r.residual_ns) +
                    ", \"gpio_difference_ns\": " + stats(r.gpio_difference_ns) + ", \"holdover\": [";
  for (std::size_t i = 0; i < r.holdover.size(); ++i) {
    const HoldoverDrift& h = r.holdover[i];
    out += (i ? ", " : "") + std::string("{\"start_s\": ") + fixed(h.start_s, 0) +
           ", \"duration_s\": " + fixed(h.duration_s, 0) + ", \"drift_ns\": " + fixed(h.drift_ns) + "}";
  }
  out += "], \"pulses\": " + std::to_string(r.pulses) + ", \"steps\": " + std::to_string(r.steps) +
         ", \"frequency_commands\": " + std::to_string(r.frequency_commands) +
         ", \"chrony_samples\": " + std::to_string(r.chrony_samples) +
         ", \"outliers_rejected\": " + std::to_string(r.outliers_rejected) + "}";
  return out;
}

std::string reservo_report_summary(const ReservoReport& r) {
  std::string s = r.recording + " (recorded, no truth) with " + r.servo + ": " +
                  fixed(r.duration_s, 0) + " s, lock " +
                  (r.lock_time_s ? fixed(*r.lock_time_s, 0) + " s" : std::string("never")) +
                  "; residual vs qErr-corrected pulses rms " + fixed(r.residual_ns.rms, 2) +
                  " ns p95 " + fixed(r.residual_ns.p95, 2) + " ns";
  if (r.gpio_difference_ns.n > 0) {
    s += "; GPIO-PHC rms " + fixed(r.gpio_difference_ns.rms, 0) + " ns";
  }
  for (const HoldoverDrift& h : r.holdover) {
    s += "; holdover " + fixed(h.duration_s, 0) + " s at " + fixed(h.start_s, 0) + " s: drift " +
         fixed(h.drift_ns, 1) + " ns";
  }
  return s + "\n";
}

}  // namespace nanotime::sim
