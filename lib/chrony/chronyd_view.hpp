#pragma once
// What phc-pps-sync exports of chronyd: one batch `chronyc -c -n` run fed "tracking" and
// "sources" on its stdin prints the tracking line first, then one line per source. Pure.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chrony/chronyc_parse.hpp"

namespace nanotime::chrony {

// The commands a query feeds chronyc (one process for both: half the forks).
inline constexpr std::string_view kQueryCommands = "tracking\nsources\n";

struct ChronydView {
  bool reachable = false;          // chronyd answered `tracking`
  std::optional<ChronyTracking> tracking;
  std::vector<ChronySource> sources;
  // Derived for the refclock named `phc_refid`:
  bool phc_selected = false;       // chronyd's selected source ('*') is that refclock
  std::optional<int> phc_reach;    // its reach register; nullopt when chronyd has no such source
};

// The view from a finished query's stdout. An output without a parsable tracking line (chronyc
// could not talk to chronyd, or printed something else) is "not reachable".
ChronydView view_from_output(std::string_view stdout_text, std::string_view phc_refid);

// The selected source's name ("" when none).
std::string selected_source(const std::vector<ChronySource>& sources);

}  // namespace nanotime::chrony
