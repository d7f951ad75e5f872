#include "sim/report.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/faults.hpp"

namespace nanotime::sim {
namespace {

std::string num(double v, int decimals = 3) {
  if (!std::isfinite(v)) return "null";
  std::string s = fmt::format("{:.{}f}", v, decimals);
  if (s == "-0.000" || s == "-0.0" || s == "-0") s.erase(0, 1);
  return s;
}

std::string stats_json(const ErrorStats& s) {
  return fmt::format(R"({{"rms": {}, "p95": {}, "max": {}, "n": {}}})", num(s.rms), num(s.p95),
                     num(s.max), s.n);
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::optional<std::int64_t> lock_time(const std::vector<double>& err, double limit_ns,
                                      std::int64_t hold_s) {
  std::int64_t run = 0;  // consecutive seconds below the limit ending at k
  for (std::size_t k = 0; k < err.size(); ++k) {
    run = std::abs(err[k]) < limit_ns ? run + 1 : 0;
    if (run == hold_s + 1) return static_cast<std::int64_t>(k) - hold_s;
  }
  return std::nullopt;
}

ErrorStats error_stats(std::vector<double> values) {
  ErrorStats s;
  s.n = values.size();
  if (values.empty()) return s;
  double sum2 = 0;
  for (double& v : values) {
    sum2 += v * v;
    v = std::abs(v);
  }
  s.rms = std::sqrt(sum2 / static_cast<double>(values.size()));
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(values.size())));
  s.p95 = values[std::max<std::size_t>(rank, 1) - 1];
  s.max = values.back();
  return s;
}

SystemStats system_stats(const std::vector<SystemSample>& samples) {
  SystemStats st;
  st.samples = samples.size();
  if (samples.empty()) return st;
  std::vector<double> errors, bounds;
  errors.reserve(samples.size());
  bounds.reserve(samples.size());
  std::uint64_t within = 0;
  for (const SystemSample& s : samples) {
    errors.push_back(s.error_ns);
    bounds.push_back(s.bound_ns);
    within += std::abs(s.error_ns) <= s.bound_ns ? 1 : 0;
    st.over_twice_bound += std::abs(s.error_ns) > 2 * s.bound_ns ? 1 : 0;
  }
  st.error_ns = error_stats(std::move(errors));
  std::sort(bounds.begin(), bounds.end());
  st.bound_median_ns = bounds[(bounds.size() + 1) / 2 - 1];
  st.bound_max_ns = bounds.back();
  st.within_bound_fraction = static_cast<double>(within) / static_cast<double>(samples.size());
  return st;
}

Report make_report(const SimResult& r, const Profile& profile) {
  Report rep;
  rep.profile = r.profile;
  rep.servo = r.servo;
  rep.seed = r.seed;
  rep.duration_s = r.duration_s;
  const FaultSchedule faults(profile.faults);
  const auto lock = lock_time(r.true_error_ns);
  if (lock) rep.lock_time_s = static_cast<double>(*lock);
  const std::int64_t from = std::max<std::int64_t>(1, lock.value_or(1));

  std::vector<double> errors;
  for (std::size_t k = static_cast<std::size_t>(from); k < r.true_error_ns.size(); ++k) {
    if (!faults.excluded(static_cast<double>(k))) errors.push_back(r.true_error_ns[k]);
  }
  rep.true_error_ns = error_stats(std::move(errors));
  std::vector<double> residuals;
  for (const auto& s : r.residuals) {
    if (s.k >= from && s.k <= r.duration_s && !faults.excluded(static_cast<double>(s.k))) {
      residuals.push_back(s.offset_ns);
    }
  }
  rep.residual_ns = error_stats(std::move(residuals));

  for (const Window& w : profile.faults.pps_outage) {
    HoldoverStats h;
    h.start_s = w.start_s;
    h.duration_s = w.duration_s;
    const auto first = static_cast<std::int64_t>(std::ceil(w.start_s));
    const auto last = std::min<std::int64_t>(static_cast<std::int64_t>(std::ceil(w.end_s())),
                                             static_cast<std::int64_t>(r.true_error_ns.size()));
    std::int64_t n = 0, within = 0, class7 = 0;
    for (std::int64_t k = first; k < last; ++k) {
      const auto i = static_cast<std::size_t>(k);
      const double e = std::abs(r.true_error_ns[i]);
      const double b = r.error_bound_ns[i];
      h.max_true_error_ns = std::max(h.max_true_error_ns, e);
      h.max_bound_ns = std::isnan(b) ? h.max_bound_ns : std::max(h.max_bound_ns, b);
      within += e <= b ? 1 : 0;
      class7 += r.clock_class[i] == 7 ? 1 : 0;
      ++n;
    }
    h.within_bound_fraction = n > 0 ? static_cast<double>(within) / static_cast<double>(n) : 1.0;
    h.class7_s = static_cast<double>(class7);
    rep.holdover.push_back(h);
  }
  rep.chrony_samples = r.chrony_samples;
  rep.chrony_samples_over_1us = r.chrony_over_1us;
  rep.pulses_seen = r.pulses_seen;
  rep.pulses_lost = r.pulses_lost;
  rep.outliers_rejected = r.outliers_rejected;
  rep.mislabelled = r.mislabelled;
  rep.steps = r.steps;
  rep.system = system_stats(r.system);
  rep.system.gpio_pulses = r.gpio_pulses;
  rep.system.gpio_alarms = r.gpio_alarms;
  rep.system.latch_model = r.latch_model;
  return rep;
}

std::string report_json(const Report& r) {
  std::string out = "{\n";
  out += fmt::format("  \"profile\": {}, \"servo\": {}, \"seed\": {}, \"duration_s\": {},\n",
                     json_string(r.profile), json_string(r.servo), r.seed, r.duration_s);
  out += fmt::format("  \"lock_time_s\": {},\n",
                     r.lock_time_s ? num(*r.lock_time_s, 1) : std::string("null"));
  out += fmt::format("  \"true_error_ns\": {},\n", stats_json(r.true_error_ns));
  out += fmt::format("  \"residual_ns\": {},\n", stats_json(r.residual_ns));
  out += "  \"holdover\": [";
  for (std::size_t i = 0; i < r.holdover.size(); ++i) {
    const auto& h = r.holdover[i];
    out += fmt::format(
        "{}\n    {{\"start_s\": {}, \"duration_s\": {}, \"max_true_error_ns\": {}, "
        "\"max_bound_ns\": {}, \"within_bound_fraction\": {}, \"class7_s\": {}}}",
        i == 0 ? "" : ",", num(h.start_s, 1), num(h.duration_s, 1), num(h.max_true_error_ns),
        num(h.max_bound_ns), num(h.within_bound_fraction, 6), num(h.class7_s, 1));
  }
  out += r.holdover.empty() ? "],\n" : "\n  ],\n";
  out += fmt::format("  \"chrony\": {{\"samples\": {}, \"samples_over_1us\": {}}},\n",
                     r.chrony_samples, r.chrony_samples_over_1us);
  out += fmt::format(
      "  \"pulses\": {{\"seen\": {}, \"lost\": {}, \"outliers_rejected\": {}, \"mislabelled\": {}}},\n",
      r.pulses_seen, r.pulses_lost, r.outliers_rejected, r.mislabelled);
  out += fmt::format("  \"steps\": {},\n", r.steps);
  const SystemStats& y = r.system;
  out += fmt::format(
      "  \"system\": {{\n    \"samples\": {},\n"
      "    \"error_ns\": {{\"rms\": {}, \"p95\": {}, \"max\": {}}},\n"
      "    \"bound_ns\": {{\"median\": {}, \"max\": {}}},\n"
      "    \"within_bound_fraction\": {},\n"
      "    \"pps_gpio\": {{\"pulses\": {}, \"alarms\": {}}}\n  }}\n}}\n",
      y.samples, num(y.error_ns.rms), num(y.error_ns.p95), num(y.error_ns.max),
      num(y.bound_median_ns), num(y.bound_max_ns), num(y.within_bound_fraction, 6),
      y.gpio_pulses, y.gpio_alarms);
  return out;
}

std::string report_summary(const Report& r) {
  std::string out = fmt::format("profile {} servo {} seed {} ({} s simulated)\n", r.profile,
                                r.servo, r.seed, r.duration_s);
  out += r.lock_time_s ? fmt::format("  lock time        {:.0f} s\n", *r.lock_time_s)
                       : std::string("  lock time        never (|true error| < 100 ns for 60 s)\n");
  out += fmt::format("  true error       rms {:.2f} ns, p95 {:.2f} ns, max {:.2f} ns ({} s)\n",
                     r.true_error_ns.rms, r.true_error_ns.p95, r.true_error_ns.max,
                     r.true_error_ns.n);
  out += fmt::format("  residual         rms {:.2f} ns, p95 {:.2f} ns\n", r.residual_ns.rms,
                     r.residual_ns.p95);
  for (const auto& h : r.holdover) {
    out += fmt::format(
        "  holdover at {:.0f} s for {:.0f} s: worst {:.1f} ns, bound {} ns, within {:.1f}%, "
        "class 7 for {:.0f} s\n",
        h.start_s, h.duration_s, h.max_true_error_ns, num(h.max_bound_ns, 1),
        100 * h.within_bound_fraction, h.class7_s);
  }
  out += fmt::format("  chrony samples   {} ({} more than 1 us off)\n", r.chrony_samples,
                     r.chrony_samples_over_1us);
  out += fmt::format("  pulses           {} seen, {} lost, {} outliers rejected, {} mislabelled\n",
                     r.pulses_seen, r.pulses_lost, r.outliers_rejected, r.mislabelled);
  out += fmt::format("  steps            {}\n", r.steps);
  const SystemStats& y = r.system;
  out += fmt::format("  system clock     {} samples ({}): error rms {:.0f} ns, max {:.0f} ns; "
                     "bound median {:.0f} ns; within bound {:.2f}%; GPIO {} pulses, {} alarms\n",
                     y.samples, y.latch_model.empty() ? "-" : y.latch_model, y.error_ns.rms,
                     y.error_ns.max, y.bound_median_ns, 100 * y.within_bound_fraction,
                     y.gpio_pulses, y.gpio_alarms);
  return out;
}

}  // namespace nanotime::sim
