#pragma once
// The status model: a registry of typed, documented metrics that a daemon updates from its
// (single-threaded) event loop, and that /metrics (Prometheus text), /status (JSON) and the
// dashboard render. Nothing here reads a clock: every time is passed in by the caller.
//
//   Registry reg;
//   Gauge& offset = reg.gauge("nanotime_phc_offset_seconds", "seconds", "PHC − TAI at the last edge");
//   Counter& seen = reg.counter("nanotime_pulses_total", "", "EXTTS edges", {{"result", "seen"}});
//   StateSet& lock = reg.state_set("nanotime_lock_state", "Lock state", {"acquiring", "tracking"});
//   History& h = reg.history("phc_offset_seconds", "seconds", "PHC − TAI", 3600, 1.0);
//   loop: offset.set(-3e-9); seen.inc(); lock.set("tracking", now_unix_s); h.push(now_unix_s, -3e-9);
//
// Naming follows the Prometheus conventions: snake_case, a `nanotime_` prefix, the base unit as
// the last word (seconds, ratio, celsius), counters end in `_total`, info metrics in `_info`.
// The registry enforces these so a typo cannot ship (std::invalid_argument at start-up).
//
// Handles returned by the registry stay valid for the registry's lifetime. Not thread-safe: the
// daemons update and render from the same event loop.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "status/ring_buffer.hpp"

namespace nanotime::status {

// Label pairs in the order given (which is the order they are rendered in).
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { gauge, counter, state_set, info };
std::string_view type_name(MetricType type);

// A value that can go up and down. Unset gauges are NaN ("no data yet"), never a fake 0.
class Gauge {
 public:
  explicit Gauge(Labels labels) : labels_(std::move(labels)) {}
  void set(double value) { value_ = value; }
  void set_bool(bool value) { value_ = value ? 1.0 : 0.0; }
  void clear() { value_ = std::numeric_limits<double>::quiet_NaN(); }
  double value() const { return value_; }
  const Labels& labels() const { return labels_; }

 private:
  Labels labels_;
  double value_ = std::numeric_limits<double>::quiet_NaN();
};

// A count of events since the process started. Only goes up; set() mirrors a counter kept
// elsewhere (e.g. the engine's pulses_seen) and ignores a smaller value.
class Counter {
 public:
  explicit Counter(Labels labels) : labels_(std::move(labels)) {}
  void inc(std::uint64_t n = 1) { value_ += n; }
  void set(std::uint64_t total) {
    if (total > value_) value_ = total;
  }
  std::uint64_t value() const { return value_; }
  const Labels& labels() const { return labels_; }

 private:
  Labels labels_;
  std::uint64_t value_ = 0;
};

// One change of a StateSet, kept in its timeline.
struct StateChange {
  double t_s = 0;           // caller's time axis (the daemons use Unix seconds)
  std::size_t state = 0;    // index into states()
};

// Exactly one of a fixed list of states (e.g. the lock state), with a timeline of changes.
// Rendered in Prometheus as one gauge series per state, {state="..."} 1 for the current one.
class StateSet {
 public:
  StateSet(std::vector<std::string> states, std::size_t timeline_capacity);
  // Unknown names throw std::invalid_argument. A change is appended to the timeline; setting
  // the current state again is not a change.
  void set(std::string_view state, double t_s);
  void set_index(std::size_t index, double t_s);
  // False until the first set(): then no state is current (all series 0).
  bool known() const { return known_; }
  std::size_t index() const { return index_; }
  std::string_view state() const;  // "" while unknown
  double since_s() const { return since_s_; }
  const std::vector<std::string>& states() const { return states_; }
  const RingBuffer<StateChange>& timeline() const { return timeline_; }

 private:
  std::vector<std::string> states_;
  RingBuffer<StateChange> timeline_;
  std::size_t index_ = 0;
  bool known_ = false;
  double since_s_ = std::numeric_limits<double>::quiet_NaN();
};

// Text facts as labels (version, selected chrony source, ...). Rendered as `name{...} 1`.
class Info {
 public:
  explicit Info(Labels labels) : labels_(std::move(labels)) {}
  // Changes the value of a label given at registration (std::invalid_argument otherwise).
  void set(std::string_view key, std::string value);
  std::string_view get(std::string_view key) const;
  const Labels& labels() const { return labels_; }

 private:
  Labels labels_;
};

struct HistoryPoint {
  double t_s = 0;
  double value = 0;
};

// A bounded time series for the dashboard and /status (not exported to Prometheus, which keeps
// its own history). Points closer together than resolution_s are averaged into one, so a 1 Hz
// series over an hour is exactly 3600 points whatever the caller's update rate. Values may be
// ±Inf/NaN ("unknown", e.g. an error bound): such a slot keeps its latest value, and /status
// shows it as null (a gap in the plot).
class History {
 public:
  History(std::string name, std::string unit, std::string help, std::size_t capacity,
          double resolution_s);
  // Times must not go backwards by more than the resolution; a point older than the newest slot
  // is dropped (a stepped wall clock must not scramble the plot) and counted.
  void push(double t_s, double value);
  const std::string& name() const { return name_; }
  const std::string& unit() const { return unit_; }
  const std::string& help() const { return help_; }
  double resolution_s() const { return resolution_s_; }
  const RingBuffer<HistoryPoint>& points() const { return points_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  std::string name_;
  std::string unit_;
  std::string help_;
  double resolution_s_;
  RingBuffer<HistoryPoint> points_;
  double slot_start_s_ = 0;    // first time in the newest point's slot
  std::uint64_t slot_n_ = 0;   // samples averaged into the newest point
  std::uint64_t dropped_ = 0;
};

// All series sharing one metric name.
struct Family {
  std::string name;
  std::string unit;  // "" when dimensionless or a count
  std::string help;
  MetricType type = MetricType::gauge;
  std::vector<std::unique_ptr<Gauge>> gauges;
  std::vector<std::unique_ptr<Counter>> counters;
  std::unique_ptr<StateSet> state_set;
  std::unique_ptr<Info> info;
  // Gauges of this family with no value (NaN) are left out of /metrics rather than shown as
  // NaN: for figures that exist only while their source answers (chronyd's view), so a scraper
  // sees them vanish instead of a stale or fake value.
  bool omit_unknown = false;
};

// A top-level object of /status beside "metrics": facts a client reads together, text among
// them, that are not Prometheus series (e.g. "system", the NTP half's transfer). Keys keep the
// order of their first set; units are in the key names ("bound_ns").
class Section {
 public:
  using Value = std::variant<std::monostate, double, std::uint64_t, bool, std::string>;
  explicit Section(std::string name) : name_(std::move(name)) {}
  // Named setters: one overloaded set() would take a string literal as a bool.
  void set_number(std::string_view key, std::optional<double> v);  // nullopt, NaN: null
  void set_count(std::string_view key, std::uint64_t v) { put(key, v); }
  void set_flag(std::string_view key, bool v) { put(key, v); }
  void set_text(std::string_view key, std::string v) { put(key, std::move(v)); }
  const std::string& name() const { return name_; }
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
  const Value* find(std::string_view key) const;

 private:
  void put(std::string_view key, Value v);
  std::string name_;
  std::vector<std::pair<std::string, Value>> entries_;
};

class Registry {
 public:
  // Registering an existing name adds a series to its family: type, unit and help must match
  // and the label set must be new. Violations of the naming rules throw std::invalid_argument.
  Gauge& gauge(std::string_view name, std::string_view unit, std::string_view help,
               Labels labels = {});
  Counter& counter(std::string_view name, std::string_view unit, std::string_view help,
                   Labels labels = {});
  StateSet& state_set(std::string_view name, std::string_view help,
                      std::vector<std::string> states, std::size_t timeline_capacity = 256);
  Info& info(std::string_view name, std::string_view help, Labels labels);
  History& history(std::string_view name, std::string_view unit, std::string_view help,
                   std::size_t capacity, double resolution_s);
  // A /status section (a snake_case name other than "time_s", "metrics", "histories").
  Section& section(std::string_view name);

  const std::vector<std::unique_ptr<Family>>& families() const { return families_; }
  const std::vector<std::unique_ptr<History>>& histories() const { return histories_; }
  const std::vector<std::unique_ptr<Section>>& sections() const { return sections_; }
  const Family* find(std::string_view name) const;
  // Sets Family::omit_unknown of a registered family (std::invalid_argument if there is none).
  void omit_when_unknown(std::string_view name);
  const History* find_history(std::string_view name) const;

 private:
  Family& family(std::string_view name, std::string_view unit, std::string_view help,
                 MetricType type);

  std::vector<std::unique_ptr<Family>> families_;
  std::vector<std::unique_ptr<History>> histories_;
  std::vector<std::unique_ptr<Section>> sections_;
};

// Naming rules, exposed for tests and for the daemons' own checks.
bool valid_metric_name(std::string_view name);  // [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_label_name(std::string_view name);   // [a-zA-Z_][a-zA-Z0-9_]*, not "__..."

}  // namespace nanotime::status
