#include "status/http_config.hpp"

#include <cmath>
#include <stdexcept>

#include <toml++/toml.h>

namespace nanotime::status {

config::Reader<std::string> listen_address() {
  return {"listen address", "\"host:port\" | \"[v6]:port\" | \"unix:/path\"",
          [](config::Table& t, const std::string& name, const std::string& def) {
            std::string v = t.get_string(name, def);
            try {
              parse_listen_address(v);
            } catch (const std::invalid_argument& e) {
              t.fail(name, e.what());
            }
            return v;
          },
          config::quote};
}

config::Reader<std::vector<std::string>> cidr_list() {
  return {"array of CIDRs", "",
          [](config::Table& t, const std::string& name, const std::vector<std::string>& def) {
            const toml::node* n = t.node(name);
            if (n == nullptr) return def;
            const toml::array* a = n->as_array();
            if (a == nullptr) {
              t.fail(name, "expected an array of CIDR strings, e.g. [\"192.168.1.0/24\"]");
            }
            std::vector<std::string> out;
            for (const toml::node& e : *a) {
              const auto* s = e.as_string();
              if (s == nullptr) t.fail(name, "expected an array of CIDR strings");
              try {
                parse_cidr(s->get());
              } catch (const std::invalid_argument& err) {
                t.fail(name, err.what());
              }
              out.push_back(s->get());
            }
            return out;
          },
          [](const std::vector<std::string>& v) {
            std::string out = "[";
            for (const auto& s : v) out += (out.size() > 1 ? ", " : "") + config::quote(s);
            return out + "]";
          }};
}

config::Reader<std::int64_t> seconds_as_ns(config::Range range_s) {
  const config::Reader<double> seconds = config::number(range_s);
  return {seconds.type, seconds.constraint,
          [read = seconds.read](config::Table& t, const std::string& name, const std::int64_t& def) {
            return static_cast<std::int64_t>(
                std::llround(read(t, name, static_cast<double>(def) * 1e-9) * 1e9));
          },
          [](const std::int64_t& ns) { return config::number_literal(static_cast<double>(ns) * 1e-9); }};
}

StatusConfig read_status_config(config::Table& table, std::string_view default_listen) {
  struct Holder {
    StatusConfig status;
  } h;
  h.status.http.listen = std::string(default_listen);
  for (const auto& k : status_keys(table.name(), &Holder::status)) k.read(table, h);
  table.finish();
  return h.status;
}

}  // namespace nanotime::status
