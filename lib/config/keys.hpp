#pragma once
// A daemon's key table: every configuration key declared once, with its table, type, range or
// choices, live/restart and one doc line, bound to a field of the daemon's config struct.
// The default is that field's initializer in the struct (the one place it is written).
//
// From the table come the parse (with config::Table's file:line errors), the --check-config
// summary, the SIGHUP restart diff and copy-back, and --print-config's JSON. Tests compare it
// with etc/nanotime.toml and the man pages.
//
//   const KeyTable<MyConfig> keys{"my-daemon", {
//       key("my-daemon", "port", &MyConfig::port, integer<int>({1, 65535}), Apply::live,
//           "TCP port to listen on"),
//   }};

#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "config/config.hpp"

namespace nanotime::config {

// live: a SIGHUP applies a change; restart: the running value stays until a restart.
enum class Apply { live, restart };

// How values of type T are read and written back as TOML (every literal is also valid JSON).
template <class T>
struct Reader {
  std::string type;        // "integer", "number", "boolean", "string", "path", ...
  std::string constraint;  // "0..63", "\"kalman\" | \"pi\"", or "" (any)
  // Reads `name` from the table; `def` is the value when the key is absent.
  std::function<T(Table&, const std::string& name, const T& def)> read;
  std::function<std::string(const T&)> literal;
};

// A TOML/JSON string literal.
std::string quote(std::string_view s);
// A number as TOML/JSON ("0.1", "500000").
std::string number_literal(double v);

Reader<bool> boolean();
Reader<double> number(Range range);
Reader<std::string> string();
Reader<std::string> choice(std::vector<std::string> choices);
// "" (off) or an absolute path of at most `max_len` bytes (107: a Unix socket path).
Reader<std::string> path(std::size_t max_len = 4096);

template <class Int>
Reader<Int> integer(Range range) {
  return {"integer", fmt::format("{}..{}", number_literal(range.min), number_literal(range.max)),
          [range](Table& t, const std::string& name, const Int& def) {
            return static_cast<Int>(t.get_int(name, static_cast<std::int64_t>(def), range));
          },
          [](const Int& v) { return fmt::format("{}", v); }};
}

template <class C>
struct Key {
  std::string table;  // "phc-pps-sync" or "phc-pps-sync.status"
  std::string name;
  std::string type;
  std::string constraint;
  Apply apply = Apply::restart;
  std::string doc;
  std::function<void(Table&, C&)> read;  // absent: the field keeps its value
  std::function<bool(const C&, const C&)> same;
  std::function<void(const C& from, C& to)> copy;
  std::function<std::string(const C&)> literal;

  std::string full_name() const { return table + "." + name; }
};

// A key bound to the field that `field(c)` returns.
template <class C, class T>
Key<C> key(std::string table, std::string name, std::function<T&(C&)> field, Reader<T> reader,
           Apply apply, std::string doc) {
  // Reading a const C goes through the same accessor: it only names a field.
  const auto get = [field](const C& c) -> const T& { return field(const_cast<C&>(c)); };
  Key<C> k;
  k.table = std::move(table);
  k.name = std::move(name);
  k.type = reader.type;
  k.constraint = reader.constraint;
  k.apply = apply;
  k.doc = std::move(doc);
  k.read = [field, r = reader.read, n = k.name](Table& t, C& c) { field(c) = r(t, n, field(c)); };
  k.same = [get](const C& a, const C& b) { return get(a) == get(b); };
  k.copy = [field, get](const C& from, C& to) { field(to) = get(from); };
  k.literal = [get, lit = reader.literal](const C& c) { return lit(get(c)); };
  return k;
}

template <class C, class T>
Key<C> key(std::string table, std::string name, T C::*member,
           std::type_identity_t<Reader<T>> reader, Apply apply, std::string doc) {
  return key<C, T>(std::move(table), std::move(name),
                   std::function<T&(C&)>([member](C& c) -> T& { return c.*member; }),
                   std::move(reader), apply, std::move(doc));
}

// How a man page's CONFIGURATION introduces `k` (a test holds the pages to it), e.g.
//   .BR pin " (integer, 0..63, default 0; restart)"
std::string man_header(const std::string& name, const std::string& type,
                       const std::string& constraint, const std::string& default_literal,
                       Apply apply);

template <class C>
std::string man_header(const Key<C>& k, const C& defaults) {
  return man_header(k.name, k.type, k.constraint, k.literal(defaults), k.apply);
}

template <class C>
class KeyTable {
 public:
  KeyTable(std::string program, std::vector<Key<C>> keys)
      : program_(std::move(program)), keys_(std::move(keys)) {}

  const std::string& program() const { return program_; }  // also the main table's name
  const std::vector<Key<C>>& keys() const { return keys_; }

  // Reads every key of the program's table and its sub-tables ("program.sub") into `c`, whose
  // values are the defaults. Finishes the sub-tables (unknown keys are errors); the caller
  // finishes `main` after reading anything else from it.
  void read(Table& main, C& c) const {
    std::vector<Table> subs;
    for (const Key<C>& k : keys_) {
      if (k.table == program_) {
        k.read(main, c);
        continue;
      }
      Table& sub = subtable(main, subs, k.table);
      k.read(sub, c);
    }
    for (const Table& s : subs) s.finish();
  }

  // The keys ("table.key" for sub-tables, else "key") that a reload cannot apply and differ.
  std::vector<std::string> restart_diff(const C& running, const C& loaded) const {
    std::vector<std::string> out;
    for (const Key<C>& k : keys_) {
      if (k.apply == Apply::restart && !k.same(running, loaded)) out.push_back(display(k));
    }
    return out;
  }

  // `loaded` with the running value of every restart key: what the daemon now runs with.
  C keep_restart_values(const C& running, C loaded) const {
    for (const Key<C>& k : keys_) {
      if (k.apply == Apply::restart) k.copy(running, loaded);
    }
    return loaded;
  }

  // --check-config's summary: one "key = value" line per key, grouped by table.
  std::string summary(const C& c) const {
    std::string out;
    std::string table;
    for (const Key<C>& k : keys_) {
      if (k.table != table) out += fmt::format("[{}]\n", table = k.table);
      out += fmt::format("  {} = {}\n", k.name, k.literal(c));
    }
    return out;
  }

  // --print-config: {"program": ..., "keys": [{table, key, type, constraint, default, value,
  // apply, doc}, ...]}; `defaults` is C{} and `effective` what the file makes of it.
  std::string json(const C& defaults, const C& effective) const {
    std::string out = fmt::format("{{\n  \"program\": {},\n  \"keys\": [", quote(program_));
    const char* sep = "\n";
    for (const Key<C>& k : keys_) {
      out += fmt::format(
          "{}    {{\"table\": {}, \"key\": {}, \"type\": {}, \"constraint\": {}, "
          "\"default\": {}, \"value\": {}, \"apply\": {}, \"doc\": {}}}",
          sep, quote(k.table), quote(k.name), quote(k.type), quote(k.constraint),
          k.literal(defaults), k.literal(effective),
          quote(k.apply == Apply::live ? "live" : "restart"), quote(k.doc));
      sep = ",\n";
    }
    return out + "\n  ]\n}\n";
  }

 private:
  std::string display(const Key<C>& k) const {
    return k.table == program_ ? k.name : k.table.substr(program_.size() + 1) + "." + k.name;
  }

  Table& subtable(Table& main, std::vector<Table>& subs, const std::string& table) const {
    for (Table& s : subs) {
      if (s.name() == table) return s;
    }
    return subs.emplace_back(main.subtable(table.substr(program_.size() + 1)));
  }

  std::string program_;
  std::vector<Key<C>> keys_;
};

}  // namespace nanotime::config
