#pragma once
// A small JSON reader for `nanotime-status` (it reads the daemons' /status). Strict RFC 8259:
// no comments, no trailing commas; nesting is limited so hostile input cannot exhaust the stack.
// Errors throw JsonError naming the byte offset.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nanotime::status {

class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class JsonValue {
 public:
  enum class Kind { null, boolean, number, string, array, object };

  Kind kind = Kind::null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;  // in document order

  bool is_null() const { return kind == Kind::null; }
  // Object member, or nullptr (also when this is not an object).
  const JsonValue* get(std::string_view key) const;
  // Path of object keys: v.at_path({"metrics", "nanotime_clock_class", "value"}).
  const JsonValue* at_path(std::initializer_list<std::string_view> keys) const;
  // The number, or `def` when not a number (null, absent).
  double number_or(double def) const { return kind == Kind::number ? number : def; }
  std::string string_or(std::string def) const { return kind == Kind::string ? string : def; }
};

inline constexpr std::size_t kMaxJsonDepth = 64;

JsonValue parse_json(std::string_view text);

}  // namespace nanotime::status
