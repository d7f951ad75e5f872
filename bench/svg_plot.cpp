#include "svg_plot.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace nanotime::bench {
namespace {

constexpr double kWidth = 960, kHeight = 420, kLeft = 70, kRight = 20, kTop = 40, kBottom = 50;
constexpr std::size_t kBinS = 60;
constexpr std::size_t kSkipS = 600;

double nice_ceiling(double v) {
  if (!(v > 0) || !std::isfinite(v)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= v) return m * p;
  }
  return 10 * p;
}

std::string colour(const std::string& name, std::size_t i) {
  if (name == "pi") return "#d62728";
  if (name == "kalman") return "#1f77b4";
  static const char* kOthers[] = {"#2ca02c", "#9467bd", "#8c564b", "#7f7f7f"};
  return kOthers[i % 4];
}

std::vector<double> bin_means(const std::vector<double>& v) {
  std::vector<double> out;
  for (std::size_t b = 0; b * kBinS < v.size(); ++b) {
    const std::size_t end = std::min(v.size(), (b + 1) * kBinS);
    double sum = 0;
    for (std::size_t k = b * kBinS; k < end; ++k) sum += v[k];
    out.push_back(sum / static_cast<double>(end - b * kBinS));
  }
  return out;
}

}  // namespace

std::string true_error_svg(const std::string& title, const std::vector<Series>& series) {
  // The y range: the largest 60 s mean after the first 10 minutes (the cold start is off the
  // chart; clipped values sit on the edge).
  std::size_t n = 0;
  double biggest = 0;
  std::vector<std::vector<double>> means;
  for (const auto& s : series) {
    n = std::max(n, s.values.size());
    means.push_back(bin_means(s.values));
    const std::size_t from = means.back().size() > 2 * (kSkipS / kBinS) ? kSkipS / kBinS : means.back().size() / 2;
    for (std::size_t b = from; b < means.back().size(); ++b) biggest = std::max(biggest, std::abs(means.back()[b]));
  }
  const double y_max = nice_ceiling(1.2 * biggest);
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  const double span_s = std::max<double>(1, static_cast<double>(n));
  auto px = [&](double t_s) { return kLeft + plot_w * t_s / span_s; };
  auto py = [&](double v) {
    const double c = std::clamp(v, -y_max, y_max);
    return kTop + plot_h * (1 - (c + y_max) / (2 * y_max));
  };

  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"22\" font-size=\"15\">{3}</text>\n",
      kWidth, kHeight, kLeft, title);
  // Grid and axes: 5 horizontal lines, a vertical line every few hours.
  for (int i = -2; i <= 2; ++i) {
    const double v = y_max * i / 2;
    out += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\"/>\n", kLeft,
                       py(v), kLeft + plot_w, py(v), i == 0 ? "#888" : "#ddd");
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:g} ns</text>\n", kLeft - 6,
                       py(v) + 4, v);
  }
  const double hours = span_s / 3600;
  const double step_h = hours > 12 ? 3 : hours > 3 ? 1 : hours > 0.5 ? 0.25 : 1.0 / 60;
  for (double h = 0; h <= hours + 1e-9; h += step_h) {
    out += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#eee\"/>\n",
                       px(h * 3600), kTop, kTop + plot_h);
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:g} h</text>\n", px(h * 3600),
                       kTop + plot_h + 18, std::round(h * 100) / 100);
  }
  out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">true time (60 s means)</text>\n",
                     kLeft + plot_w / 2, kHeight - 8);
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    std::string points;
    double sum2 = 0;
    std::size_t count = 0;
    for (std::size_t k = kSkipS; k < s.values.size(); ++k) {
      sum2 += s.values[k] * s.values[k];
      ++count;
    }
    for (std::size_t b = 0; b < means[i].size(); ++b) {
      const double mid = static_cast<double>(b * kBinS) + 0.5 * static_cast<double>(
          std::min(kBinS, s.values.size() - b * kBinS));
      points += fmt::format("{:.1f},{:.1f} ", px(mid), py(means[i][b]));
    }
    const double rms = count > 0 ? std::sqrt(sum2 / static_cast<double>(count)) : 0;
    out += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.2\" points=\"{}\"/>\n",
                       colour(s.name, i), points);
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" fill=\"{}\">{}: rms {:.2f} ns after 10 min</text>\n",
                       kLeft + 10 + 240 * static_cast<double>(i), kTop + 14, colour(s.name, i), s.name, rms);
  }
  out += "</svg>\n";
  return out;
}

}  // namespace nanotime::bench
