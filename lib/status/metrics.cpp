#include "status/metrics.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace nanotime::status {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_alpha_(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

[[noreturn]] void bad(std::string_view name, std::string_view why) {
  throw std::invalid_argument(fmt::format("status metric {}: {}", name, why));
}

void check_labels(std::string_view name, const Labels& labels) {
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (!valid_label_name(labels[i].first)) bad(name, fmt::format("bad label name '{}'", labels[i].first));
    for (std::size_t j = 0; j < i; ++j) {
      if (labels[j].first == labels[i].first) bad(name, fmt::format("label '{}' twice", labels[i].first));
    }
  }
}

// The unit is the last word of the name (before _total/_info): nanotime_phc_offset_seconds.
void check_unit(std::string_view name, std::string_view unit, MetricType type) {
  std::string_view base = name;
  if (type == MetricType::counter) base = base.substr(0, base.size() - 6);
  if (!unit.empty() && !ends_with(base, fmt::format("_{}", unit))) {
    bad(name, fmt::format("the name must end with its unit '_{}'", unit));
  }
}

}  // namespace

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::gauge: return "gauge";
    case MetricType::counter: return "counter";
    case MetricType::state_set: return "stateset";
    case MetricType::info: return "info";
  }
  return "unknown";
}

bool valid_metric_name(std::string_view name) {
  if (name.empty() || !(is_alpha_(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!(is_alpha_(c) || is_digit(c) || c == ':')) return false;
  }
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || !is_alpha_(name[0]) || name.starts_with("__")) return false;
  for (char c : name) {
    if (!(is_alpha_(c) || is_digit(c))) return false;
  }
  return true;
}

// ---- StateSet --------------------------------------------------------------------------------

StateSet::StateSet(std::vector<std::string> states, std::size_t timeline_capacity)
    : states_(std::move(states)), timeline_(timeline_capacity) {}

void StateSet::set(std::string_view state, double t_s) {
  for (std::size_t i = 0; i < states_.size(); ++i) {
    if (states_[i] == state) return set_index(i, t_s);
  }
  throw std::invalid_argument(fmt::format("unknown state '{}'", state));
}

void StateSet::set_index(std::size_t index, double t_s) {
  if (index >= states_.size()) throw std::invalid_argument("state index out of range");
  if (known_ && index == index_) return;
  known_ = true;
  index_ = index;
  since_s_ = t_s;
  timeline_.push(StateChange{t_s, index});
}

std::string_view StateSet::state() const { return known_ ? std::string_view(states_[index_]) : ""; }

// ---- Info ------------------------------------------------------------------------------------

void Info::set(std::string_view key, std::string value) {
  for (auto& [k, v] : labels_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  throw std::invalid_argument(fmt::format("info: unknown label '{}'", key));
}

std::string_view Info::get(std::string_view key) const {
  for (const auto& [k, v] : labels_) {
    if (k == key) return v;
  }
  return {};
}

// ---- History ---------------------------------------------------------------------------------

History::History(std::string name, std::string unit, std::string help, std::size_t capacity,
                 double resolution_s)
    : name_(std::move(name)),
      unit_(std::move(unit)),
      help_(std::move(help)),
      resolution_s_(resolution_s),
      points_(capacity) {
  if (!(resolution_s >= 0)) throw std::invalid_argument("history resolution must be >= 0");
}

void History::push(double t_s, double value) {
  if (!std::isfinite(t_s)) {
    ++dropped_;
    return;
  }
  // Slots are aligned to multiples of the resolution so two daemons' series line up.
  const double slot = resolution_s_ > 0 ? std::floor(t_s / resolution_s_) * resolution_s_ : t_s;
  if (!points_.empty()) {
    if (slot < slot_start_s_) {
      ++dropped_;
      return;
    }
    if (resolution_s_ > 0 && slot == slot_start_s_) {
      HistoryPoint& last = points_.back();
      ++slot_n_;
      // An unknown (±Inf, NaN) value cannot be averaged: the latest one stands for the slot.
      if (std::isfinite(value) && std::isfinite(last.value)) {
        last.value += (value - last.value) / static_cast<double>(slot_n_);
      } else {
        last.value = value;
      }
      last.t_s = t_s;
      return;
    }
  }
  points_.push(HistoryPoint{t_s, value});
  slot_start_s_ = slot;
  slot_n_ = 1;
}

// ---- Registry --------------------------------------------------------------------------------

Family& Registry::family(std::string_view name, std::string_view unit, std::string_view help,
                         MetricType type) {
  for (auto& f : families_) {
    if (f->name != name) continue;
    if (f->type != type || f->unit != unit || f->help != help) {
      bad(name, "registered again with another type, unit or help");
    }
    return *f;
  }
  if (!valid_metric_name(name)) bad(name, "not a valid Prometheus metric name");
  if (!name.starts_with("nanotime_")) bad(name, "must start with nanotime_");
  if (help.empty()) bad(name, "help text missing");
  if (type == MetricType::counter && !ends_with(name, "_total")) bad(name, "counters end in _total");
  if (type != MetricType::counter && ends_with(name, "_total")) bad(name, "only counters end in _total");
  if (type == MetricType::info && !ends_with(name, "_info")) bad(name, "info metrics end in _info");
  check_unit(name, unit, type);
  auto f = std::make_unique<Family>();
  f->name = name;
  f->unit = unit;
  f->help = help;
  f->type = type;
  families_.push_back(std::move(f));
  return *families_.back();
}

Gauge& Registry::gauge(std::string_view name, std::string_view unit, std::string_view help,
                       Labels labels) {
  check_labels(name, labels);
  Family& f = family(name, unit, help, MetricType::gauge);
  for (const auto& g : f.gauges) {
    if (g->labels() == labels) bad(name, "series registered twice");
  }
  f.gauges.push_back(std::make_unique<Gauge>(std::move(labels)));
  return *f.gauges.back();
}

Counter& Registry::counter(std::string_view name, std::string_view unit, std::string_view help,
                           Labels labels) {
  check_labels(name, labels);
  Family& f = family(name, unit, help, MetricType::counter);
  for (const auto& c : f.counters) {
    if (c->labels() == labels) bad(name, "series registered twice");
  }
  f.counters.push_back(std::make_unique<Counter>(std::move(labels)));
  return *f.counters.back();
}

StateSet& Registry::state_set(std::string_view name, std::string_view help,
                              std::vector<std::string> states, std::size_t timeline_capacity) {
  if (find(name)) bad(name, "a state set is registered once");
  if (states.empty()) bad(name, "no states");
  for (std::size_t i = 0; i < states.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (states[i] == states[j]) bad(name, fmt::format("state '{}' twice", states[i]));
    }
  }
  Family& f = family(name, "", help, MetricType::state_set);
  f.state_set = std::make_unique<StateSet>(std::move(states), timeline_capacity);
  return *f.state_set;
}

Info& Registry::info(std::string_view name, std::string_view help, Labels labels) {
  if (find(name)) bad(name, "an info metric is registered once");
  check_labels(name, labels);
  Family& f = family(name, "", help, MetricType::info);
  f.info = std::make_unique<Info>(std::move(labels));
  return *f.info;
}

History& Registry::history(std::string_view name, std::string_view unit, std::string_view help,
                           std::size_t capacity, double resolution_s) {
  if (!valid_label_name(name)) bad(name, "history names are snake_case identifiers");
  if (find_history(name)) bad(name, "history registered twice");
  if (!unit.empty() && !ends_with(name, fmt::format("_{}", unit))) {
    bad(name, fmt::format("the name must end with its unit '_{}'", unit));
  }
  histories_.push_back(std::make_unique<History>(std::string(name), std::string(unit),
                                                 std::string(help), capacity, resolution_s));
  return *histories_.back();
}

Section& Registry::section(std::string_view name) {
  if (!valid_label_name(name) || name == "time_s" || name == "metrics" || name == "histories") {
    bad(name, "a section name is a snake_case identifier other than the /status keys");
  }
  for (const auto& s : sections_) {
    if (s->name() == name) bad(name, "section registered twice");
  }
  sections_.push_back(std::make_unique<Section>(std::string(name)));
  return *sections_.back();
}

// ---- Section ---------------------------------------------------------------------------------

void Section::set_number(std::string_view key, std::optional<double> v) {
  if (v && std::isfinite(*v)) {
    put(key, *v);
  } else {
    put(key, std::monostate{});
  }
}

const Section::Value* Section::find(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) return &v;
  }
  return nullptr;
}

void Section::put(std::string_view key, Value v) {
  for (auto& [k, old] : entries_) {
    if (k == key) {
      old = std::move(v);
      return;
    }
  }
  entries_.emplace_back(std::string(key), std::move(v));
}

const Family* Registry::find(std::string_view name) const {
  for (const auto& f : families_) {
    if (f->name == name) return f.get();
  }
  return nullptr;
}

void Registry::omit_when_unknown(std::string_view name) {
  for (auto& f : families_) {
    if (f->name == name) {
      f->omit_unknown = true;
      return;
    }
  }
  throw std::invalid_argument("omit_when_unknown: no metric " + std::string(name));
}

const History* Registry::find_history(std::string_view name) const {
  for (const auto& h : histories_) {
    if (h->name() == name) return h.get();
  }
  return nullptr;
}

}  // namespace nanotime::status
