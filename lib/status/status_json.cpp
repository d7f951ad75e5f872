#include "status/status_json.hpp"

#include <cmath>
#include <cstdlib>
#include <type_traits>
#include <variant>

#include "status/json_writer.hpp"

namespace nanotime::status {

namespace {

void write_labels(JsonWriter& w, const Labels& labels) {
  w.begin_object();
  for (const auto& [k, v] : labels) w.key(k).value(v);
  w.end_object();
}

template <typename Series>
void write_series(JsonWriter& w, const std::vector<std::unique_ptr<Series>>& series) {
  if (series.size() == 1 && series[0]->labels().empty()) w.key("value").value(series[0]->value());
  w.key("series").begin_array();
  for (const auto& s : series) {
    w.begin_object();
    w.key("labels");
    write_labels(w, s->labels());
    w.key("value").value(s->value());
    w.end_object();
  }
  w.end_array();
}

void write_state_set(JsonWriter& w, const StateSet& s) {
  w.key("states").begin_array();
  for (const auto& name : s.states()) w.value(name);
  w.end_array();
  w.key("state");
  if (s.known()) {
    w.value(s.state());
  } else {
    w.null();
  }
  w.key("since_s").value(s.since_s());
  w.key("timeline").begin_object();
  w.key("t").begin_array();
  for (std::size_t i = 0; i < s.timeline().size(); ++i) w.value(s.timeline()[i].t_s);
  w.end_array();
  w.key("state").begin_array();
  for (std::size_t i = 0; i < s.timeline().size(); ++i) {
    w.value(std::string_view(s.states()[s.timeline()[i].state]));
  }
  w.end_array();
  w.end_object();
}

void write_history(JsonWriter& w, const History& h, const StatusQuery& q) {
  w.begin_object();
  w.key("unit").value(h.unit());
  w.key("help").value(h.help());
  w.key("resolution_s").value(h.resolution_s());
  w.key("capacity").value(static_cast<std::uint64_t>(h.points().capacity()));
  if (q.since_s) w.key("since_s").value(*q.since_s);
  // Points are in time order: skip the old ones from the front.
  const auto& p = h.points();
  std::size_t first = q.histories ? 0 : p.size();
  if (q.since_s) {
    while (first < p.size() && !(p[first].t_s > *q.since_s)) ++first;
  }
  w.key("t").begin_array();
  for (std::size_t i = first; i < p.size(); ++i) w.value(p[i].t_s);
  w.end_array();
  w.key("v").begin_array();
  for (std::size_t i = first; i < p.size(); ++i) w.value(p[i].value);
  w.end_array();
  w.end_object();
}

void write_section(JsonWriter& w, const Section& s) {
  w.key(s.name()).begin_object();
  for (const auto& [key, value] : s.entries()) {
    w.key(key);
    std::visit(
        [&w](const auto& v) {
          if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) {
            w.null();
          } else if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) {
            w.value(std::string_view(v));
          } else {
            w.value(v);
          }
        },
        value);
  }
  w.end_object();
}

}  // namespace

std::optional<StatusQuery> parse_status_query(std::string_view query) {
  StatusQuery q;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    if (key == "history") {
      if (value != "0" && value != "1") return std::nullopt;
      q.histories = value == "1";
    } else if (key == "since") {
      const std::string text(value);
      char* end = nullptr;
      const double t = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(t)) return std::nullopt;
      q.since_s = t;
    }
  }
  return q;
}

std::string render_status_json(const Registry& registry, double now_s, const StatusQuery& query) {
  JsonWriter w;
  w.begin_object();
  w.key("time_s").value(now_s);
  w.key("metrics").begin_object();
  for (const auto& f : registry.families()) {
    w.key(f->name).begin_object();
    w.key("type").value(type_name(f->type));
    if (f->type == MetricType::gauge || f->type == MetricType::counter) w.key("unit").value(f->unit);
    w.key("help").value(f->help);
    switch (f->type) {
      case MetricType::gauge: write_series(w, f->gauges); break;
      case MetricType::counter: write_series(w, f->counters); break;
      case MetricType::state_set: write_state_set(w, *f->state_set); break;
      case MetricType::info:
        w.key("labels");
        write_labels(w, f->info->labels());
        break;
    }
    w.end_object();
  }
  w.end_object();
  for (const auto& s : registry.sections()) write_section(w, *s);
  w.key("histories").begin_object();
  for (const auto& h : registry.histories()) {
    w.key(h->name());
    write_history(w, *h, query);
  }
  w.end_object();
  w.end_object();
  return w.take();
}

}  // namespace nanotime::status
