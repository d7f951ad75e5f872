#include "config/keys.hpp"

#include <fmt/format.h>

namespace nanotime::config {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        // Other control characters: \uXXXX is the escape TOML and JSON share.
        if (static_cast<unsigned char>(ch) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(ch));
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string number_literal(double v) { return fmt::format("{}", v); }

Reader<bool> boolean() {
  return {"boolean", "",
          [](Table& t, const std::string& name, const bool& def) { return t.get_bool(name, def); },
          [](const bool& v) { return std::string(v ? "true" : "false"); }};
}

Reader<double> number(Range range) {
  return {"number", fmt::format("{}..{}", number_literal(range.min), number_literal(range.max)),
          [range](Table& t, const std::string& name, const double& def) {
            return t.get_double(name, def, range);
          },
          number_literal};
}

Reader<std::string> string() {
  return {"string", "",
          [](Table& t, const std::string& name, const std::string& def) {
            return t.get_string(name, def);
          },
          quote};
}

Reader<std::string> choice(std::vector<std::string> choices) {
  std::string shown;
  for (const auto& c : choices) shown += (shown.empty() ? "" : " | ") + quote(c);
  return {"choice", shown,
          [choices](Table& t, const std::string& name, const std::string& def) {
            return t.get_choice(name, def, choices);
          },
          quote};
}

Reader<std::string> path(std::size_t max_len) {
  return {"path", "absolute, \"\" = off",
          [max_len](Table& t, const std::string& name, const std::string& def) {
            std::string v = t.get_string(name, def);
            if (v.empty()) return v;
            if (v.front() != '/') {
              t.fail(name, fmt::format("\"{}\" is not an absolute path (or \"\" for off)", v));
            }
            if (v.find('\0') != std::string::npos) t.fail(name, "path contains a NUL byte");
            if (v.size() > max_len) {
              t.fail(name, fmt::format("path is longer than {} bytes{}", max_len,
                                       max_len < 108 ? " (a Unix socket path limit)" : ""));
            }
            return v;
          },
          quote};
}

std::string man_header(const std::string& name, const std::string& type,
                       const std::string& constraint, const std::string& default_literal,
                       Apply apply) {
  const std::string text =
      fmt::format("{}{}{}, default {}{}", type, constraint.empty() ? "" : ", ", constraint,
                  default_literal, apply == Apply::restart ? "; restart" : "");
  // Inside a quoted troff argument: \ is \e, a minus sign \-, a quote "".
  std::string escaped;
  for (const char ch : text) {
    if (ch == '\\') escaped += "\\e";
    else if (ch == '-') escaped += "\\-";
    else if (ch == '"') escaped += "\"\"";
    else escaped += ch;
  }
  return fmt::format(".BR {} \" ({})\"", name, escaped);
}

}  // namespace nanotime::config
