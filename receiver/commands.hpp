#pragma once
// The subcommands of nanotime-receiver over an identified receiver. Each returns the exit
// status: 0 done / nothing to change, 1 partly applied or failed, 3 no answer.

#include <optional>
#include <string>
#include <vector>

#include "receiver_config.hpp"
#include "link.hpp"

namespace nanotime::rcv {

inline constexpr int kExitOk = 0, kExitPartial = 1, kExitUsage = 2, kExitNoReceiver = 3;

struct Context {
  Link& link;
  Identity id;
  receiver::Generation gen;
  receiver::Timing timing;
  ReceiverConfig config;
};

// The receiver's view of `settings`; those it refuses to read (unknown to its firmware) are
// moved to `unsupported` and left alone.
struct ConfigReadback {
  receiver::Readback rb;
  std::vector<receiver::Setting> usable;
  std::vector<std::string> unsupported;
  std::size_t answered = 0;
};
ConfigReadback read_back(Context& c, const std::vector<receiver::Setting>& settings);

// Reads the settings back, prints the differences; unless dry_run, applies them and prints the
// per-setting report.
int configure(Context& c, const receiver::ReceiverSettings& desired, bool dry_run);
// survey: survey-in with the configured limits (--restart: through "disabled" first), then the
// progress; fix-position: fixed mode at `llh`/`ecef`, or at the surveyed mean position.
int survey(Context& c, bool restart, bool dry_run);
int fix_position(Context& c, std::optional<receiver::Llh> llh, std::optional<receiver::Ecef> ecef,
                 bool from_survey, bool force, bool dry_run);
int save(Context& c);
int status(Context& c, bool json);

}  // namespace nanotime::rcv
