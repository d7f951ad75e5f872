#include "status/exposition.hpp"

#include <cmath>

#include <fmt/format.h>

namespace nanotime::status {

namespace {

void append_labels(std::string& out, const Labels& labels) {
  if (labels.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    out += escape_label_value(v);
    out += '"';
  }
  out += '}';
}

void append_sample(std::string& out, std::string_view name, const Labels& labels,
                   std::string_view value) {
  out += name;
  append_labels(out, labels);
  out += ' ';
  out += value;
  out += '\n';
}

}  // namespace

std::string format_prometheus_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);  // shortest representation that reads back exactly
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_prometheus(const Registry& registry) {
  std::string out;
  for (const auto& f : registry.families()) {
    const std::string_view prom_type = f->type == MetricType::counter ? "counter" : "gauge";
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f->name, escape_help(f->help), f->name,
                       prom_type);
    switch (f->type) {
      case MetricType::gauge:
        for (const auto& g : f->gauges) {
          if (f->omit_unknown && std::isnan(g->value())) continue;
          append_sample(out, f->name, g->labels(), format_prometheus_value(g->value()));
        }
        break;
      case MetricType::counter:
        for (const auto& c : f->counters) {
          append_sample(out, f->name, c->labels(), fmt::format("{}", c->value()));
        }
        break;
      case MetricType::state_set: {
        const StateSet& s = *f->state_set;
        for (std::size_t i = 0; i < s.states().size(); ++i) {
          const bool current = s.known() && s.index() == i;
          append_sample(out, f->name, Labels{{"state", s.states()[i]}}, current ? "1" : "0");
        }
        break;
      }
      case MetricType::info:
        append_sample(out, f->name, f->info->labels(), "1");
        break;
    }
  }
  return out;
}

}  // namespace nanotime::status
