#include "status/http_config.hpp"

#include <stdexcept>

#include <toml++/toml.h>

namespace nanotime::status {

StatusConfig read_status_config(config::Table& table, std::string_view default_listen) {
  StatusConfig c;
  c.enabled = table.get_bool("enabled", true);
  c.http.listen = table.get_string("listen", std::string(default_listen));
  try {
    parse_listen_address(c.http.listen);
  } catch (const std::invalid_argument& e) {
    table.fail("listen", e.what());
  }
  if (const toml::node* n = table.node("allow")) {
    const toml::array* a = n->as_array();
    if (a == nullptr) table.fail("allow", "expected an array of CIDR strings, e.g. [\"192.168.1.0/24\"]");
    for (const toml::node& e : *a) {
      const auto* s = e.as_string();
      if (s == nullptr) table.fail("allow", "expected an array of CIDR strings");
      try {
        parse_cidr(s->get());
      } catch (const std::invalid_argument& err) {
        table.fail("allow", err.what());
      }
      c.http.allow.push_back(s->get());
    }
  }
  c.http.max_connections =
      static_cast<std::size_t>(table.get_int("max_connections", 16, config::Range{1, 256}));
  c.http.deadline_ns = static_cast<std::int64_t>(
      table.get_double("deadline_s", 5.0, config::Range{0.1, 60}) * 1e9);
  table.finish();
  return c;
}

}  // namespace nanotime::status
