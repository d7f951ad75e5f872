#pragma once
// A small streaming JSON writer (no dependency): objects, arrays, strings, numbers, booleans.
// Numbers are written in their shortest round-trip form; NaN and ±Inf have no JSON spelling
// and are written as null ("no value"), which is what they mean in the status model.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nanotime::status {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);  // inside an object, before each value
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(double d);
  JsonWriter& value(std::uint64_t u);
  JsonWriter& value(std::int64_t i);
  JsonWriter& value(bool b);
  JsonWriter& null();

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void before_value();

  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

std::string json_escape(std::string_view s);  // with the surrounding quotes

}  // namespace nanotime::status
