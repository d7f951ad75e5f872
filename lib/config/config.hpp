#pragma once
// Strictly validated TOML configuration. Every error names file:line, the table and the key;
// a daemon that gets one exits with kExitConfig (78, EX_CONFIG) before touching anything.
//
// Usage: load a Document, take a Table per section, read every key with its default and
// range, then call Table::finish(), which rejects any key that was not read (typos).

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace toml {
inline namespace v3 {
class node;
class table;
}  // namespace v3
}  // namespace toml

namespace nanotime::config {

inline constexpr int kExitConfig = 78;  // sysexits.h EX_CONFIG; systemd units do not restart on it

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A position in a source file, for messages: "file:line:column".
struct Where {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string str() const;
};

struct Range {
  double min;
  double max;
};

class Table {
 public:
  // `table` may be null: the section is absent and every key takes its default.
  Table(const toml::table* table, std::string file, std::string name);

  bool present() const { return table_ != nullptr; }
  const std::string& name() const { return name_; }

  bool get_bool(std::string_view key, bool def);
  std::int64_t get_int(std::string_view key, std::int64_t def, Range range);
  double get_double(std::string_view key, double def, Range range);  // integers accepted
  std::string get_string(std::string_view key, std::string def);
  // One of `choices`; the error lists them.
  std::string get_choice(std::string_view key, std::string def,
                         const std::vector<std::string>& choices);
  // An absolute path (or empty when `def` is empty and the key is absent).
  std::string get_path(std::string_view key, std::string def);
  std::vector<double> get_double_array(std::string_view key, std::vector<double> def, Range r);
  std::vector<std::int64_t> get_int_array(std::string_view key, std::vector<std::int64_t> def,
                                          Range r);

  // Raw access for keys with unusual shapes (e.g. `offset_s = 0.1` or `"auto"`).
  // Marks the key as known. Returns null when absent.
  const toml::node* node(std::string_view key);
  // A sub-table (`[a.b]` or inline). Absent → Table with present() == false.
  Table subtable(std::string_view key);
  // An array of tables (`[[a.b]]`, or an array of inline tables).
  std::vector<Table> table_array(std::string_view key);

  // Throws ConfigError naming the first key that was never read.
  void finish() const;

  // Throws ConfigError "file:line:col: [table] key: message" at the key's position.
  [[noreturn]] void fail(std::string_view key, std::string_view message) const;
  Where where(std::string_view key) const;

 private:
  const toml::node* find(std::string_view key);

  const toml::table* table_;
  std::string file_;
  std::string name_;
  std::vector<std::string> known_;
};

// The daemons' tables of nanotime.toml. Each daemon reads its own and checks that every other
// top-level name is one of these (a misspelt one is an error); a top-level [status], read by
// nothing, is an error that names the tables that are read.
inline constexpr const char* kNanotimeSections[] = {"gps-sock-bridge", "phc-pps-sync", "receiver"};
class Document;
void check_nanotime_sections(const Document& doc);

class Document {
 public:
  // Throws ConfigError with file:line on I/O or syntax errors.
  static Document load_file(const std::string& path);
  static Document load_string(std::string_view text, std::string file_name);

  Document(Document&&) noexcept;
  Document& operator=(Document&&) noexcept;
  ~Document();

  const std::string& file() const { return file_; }
  // The table `name` (dotted names are not split). Absent → Table with present() == false.
  Table table(std::string_view name) const;
  // Rejects top-level keys that are not among `known` (a misspelt section name).
  void check_top_level(const std::vector<std::string>& known) const;
  // Rejects the section `name` if present, with `why` at its file:line.
  void reject_section(std::string_view name, std::string_view why) const;

 private:
  Document(std::unique_ptr<toml::table> root, std::string file);
  std::unique_ptr<toml::table> root_;
  std::string file_;
};

}  // namespace nanotime::config
