#include "config/config.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace nanotime::config {
namespace {

Where where_of(const std::string& file, const toml::node* node) {
  Where w{file, 0, 0};
  if (node != nullptr) {
    w.line = node->source().begin.line;
    w.column = node->source().begin.column;
  }
  return w;
}

std::string_view type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::string format_range(Range r) {
  return fmt::format("between {} and {}", r.min, r.max);
}

}  // namespace

std::string Where::str() const {
  if (line == 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

Table::Table(const toml::table* table, std::string file, std::string name)
    : table_(table), file_(std::move(file)), name_(std::move(name)) {}

const toml::node* Table::find(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  if (table_ == nullptr) return nullptr;
  return table_->get(key);
}

Where Table::where(std::string_view key) const {
  const toml::node* n = table_ != nullptr ? table_->get(key) : nullptr;
  return where_of(file_, n != nullptr ? n : table_);
}

void Table::fail(std::string_view key, std::string_view message) const {
  throw ConfigError(fmt::format("{}: [{}] {}: {}", where(key).str(), name_, key, message));
}

const toml::node* Table::node(std::string_view key) { return find(key); }

bool Table::get_bool(std::string_view key, bool def) {
  const toml::node* n = find(key);
  if (n == nullptr) return def;
  if (!n->is_boolean()) fail(key, fmt::format("expected true or false, found {}", type_name(*n)));
  return n->as_boolean()->get();
}

std::int64_t Table::get_int(std::string_view key, std::int64_t def, Range range) {
  const toml::node* n = find(key);
  if (n == nullptr) return def;
  if (!n->is_integer()) fail(key, fmt::format("expected an integer, found {}", type_name(*n)));
  const std::int64_t v = n->as_integer()->get();
  if (static_cast<double>(v) < range.min || static_cast<double>(v) > range.max) {
    fail(key, fmt::format("{} is out of range: must be {}", v, format_range(range)));
  }
  return v;
}

double Table::get_double(std::string_view key, double def, Range range) {
  const toml::node* n = find(key);
  if (n == nullptr) return def;
  double v = 0;
  if (n->is_integer()) {
    v = static_cast<double>(n->as_integer()->get());
  } else if (n->is_floating_point()) {
    v = n->as_floating_point()->get();
  } else {
    fail(key, fmt::format("expected a number, found {}", type_name(*n)));
  }
  if (!std::isfinite(v) || v < range.min || v > range.max) {
    fail(key, fmt::format("{} is out of range: must be {}", v, format_range(range)));
  }
  return v;
}

std::string Table::get_string(std::string_view key, std::string def) {
  const toml::node* n = find(key);
  if (n == nullptr) return def;
  if (!n->is_string()) fail(key, fmt::format("expected a string, found {}", type_name(*n)));
  return n->as_string()->get();
}

std::string Table::get_choice(std::string_view key, std::string def,
                              const std::vector<std::string>& choices) {
  std::string v = get_string(key, std::move(def));
  if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
    fail(key, fmt::format("\"{}\" is not one of: {}", v, fmt::join(choices, ", ")));
  }
  return v;
}

std::string Table::get_path(std::string_view key, std::string def) {
  std::string v = get_string(key, std::move(def));
  if (table_ != nullptr && table_->get(key) != nullptr) {
    if (v.empty() || v.front() != '/') fail(key, fmt::format("\"{}\" is not an absolute path", v));
    if (v.find('\0') != std::string::npos) fail(key, "path contains a NUL byte");
  }
  return v;
}

std::vector<double> Table::get_double_array(std::string_view key, std::vector<double> def,
                                            Range r) {
  const toml::node* n = find(key);
  if (n == nullptr) return def;
  if (!n->is_array()) fail(key, fmt::format("expected an array, found {}", type_name(*n)));
  std::vector<double> out;
  for (const toml::node& e : *n->as_array()) {
    double v = 0;
    if (e.is_integer()) {
      v = static_cast<double>(e.as_integer()->get());
    } else if (e.is_floating_point()) {
      v = e.as_floating_point()->get();
    } else {
      fail(key, fmt::format("expected numbers, found {}", type_name(e)));
    }
    if (!std::isfinite(v) || v < r.min || v > r.max) {
      fail(key, fmt::format("element {} is out of range: must be {}", v, format_range(r)));
    }
    out.push_back(v);
  }
  return out;
}

std::vector<std::int64_t> Table::get_int_array(std::string_view key,
                                               std::vector<std::int64_t> def, Range r) {
  const toml::node* n = find(key);
  if (n == nullptr) return def;
  if (!n->is_array()) fail(key, fmt::format("expected an array, found {}", type_name(*n)));
  std::vector<std::int64_t> out;
  for (const toml::node& e : *n->as_array()) {
    if (!e.is_integer()) fail(key, fmt::format("expected integers, found {}", type_name(e)));
    const std::int64_t v = e.as_integer()->get();
    if (static_cast<double>(v) < r.min || static_cast<double>(v) > r.max) {
      fail(key, fmt::format("element {} is out of range: must be {}", v, format_range(r)));
    }
    out.push_back(v);
  }
  return out;
}

Table Table::subtable(std::string_view key) {
  const toml::node* n = find(key);
  const std::string name = fmt::format("{}.{}", name_, key);
  if (n == nullptr) return Table(nullptr, file_, name);
  if (!n->is_table()) fail(key, fmt::format("expected a table, found {}", type_name(*n)));
  return Table(n->as_table(), file_, name);
}

std::vector<Table> Table::table_array(std::string_view key) {
  const toml::node* n = find(key);
  std::vector<Table> out;
  if (n == nullptr) return out;
  if (!n->is_array()) fail(key, fmt::format("expected an array of tables, found {}", type_name(*n)));
  std::size_t i = 0;
  for (const toml::node& e : *n->as_array()) {
    if (!e.is_table()) fail(key, fmt::format("expected tables, found {}", type_name(e)));
    out.emplace_back(e.as_table(), file_, fmt::format("{}.{}[{}]", name_, key, i++));
  }
  return out;
}

void Table::finish() const {
  if (table_ == nullptr) return;
  for (const auto& [k, v] : *table_) {
    const std::string_view key = k.str();
    if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
      // Point at the key itself, not its value: that is what the user mistyped.
      const Where w{file_, k.source().begin.line, k.source().begin.column};
      (void)v;
      throw ConfigError(fmt::format("{}: [{}] {}: unknown key", w.str(), name_, key));
    }
  }
}

Document::Document(std::unique_ptr<toml::table> root, std::string file)
    : root_(std::move(root)), file_(std::move(file)) {}
Document::Document(Document&&) noexcept = default;
Document& Document::operator=(Document&&) noexcept = default;
Document::~Document() = default;

Document Document::load_string(std::string_view text, std::string file_name) {
  try {
    auto root = std::make_unique<toml::table>(toml::parse(text, file_name));
    return Document(std::move(root), std::move(file_name));
  } catch (const toml::parse_error& e) {
    throw ConfigError(fmt::format("{}:{}:{}: {}", file_name, e.source().begin.line,
                                  e.source().begin.column, e.description()));
  }
}

Document Document::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot open the configuration file", path));
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw ConfigError(fmt::format("{}: cannot read the configuration file", path));
  return load_string(buf.str(), path);
}

Table Document::table(std::string_view name) const {
  const toml::node* n = root_->get(name);
  if (n == nullptr) return Table(nullptr, file_, std::string(name));
  if (!n->is_table()) {
    throw ConfigError(fmt::format("{}: {}: expected a table, found {}", where_of(file_, n).str(),
                                  name, type_name(*n)));
  }
  return Table(n->as_table(), file_, std::string(name));
}

void Document::check_top_level(const std::vector<std::string>& known) const {
  for (const auto& [k, v] : *root_) {
    if (std::find(known.begin(), known.end(), k.str()) == known.end()) {
      throw ConfigError(fmt::format("{}: {}: unknown section (known: {})",
                                    where_of(file_, &v).str(), k.str(), fmt::join(known, ", ")));
    }
  }
}

void Document::reject_section(std::string_view name, std::string_view why) const {
  if (const toml::node* n = root_->get(name)) {
    throw ConfigError(fmt::format("{}: [{}]: {}", where_of(file_, n).str(), name, why));
  }
}

void check_nanotime_sections(const Document& doc) {
  doc.reject_section("status",
                     "no program reads a top-level [status]: the status servers are configured "
                     "in [phc-pps-sync.status] and [gps-sock-bridge.status]");
  doc.check_top_level({std::begin(kNanotimeSections), std::end(kNanotimeSections)});
}

}  // namespace nanotime::config
