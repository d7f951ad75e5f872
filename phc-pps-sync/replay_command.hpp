#pragma once
// `phc-pps-sync --replay FILE…`: a field recording (docs/recording.md) played back through the
// real Conductor and a fresh engine configured from its header, in virtual time; every command,
// chronyd sample and quality change compared with the recorded one. Exit 0 when identical,
// 1 at the first difference (both values and its time), 65 (EX_DATAERR) for a file that is not
// a replayable recording. Several FILEs are a rotated run's parts, in order (recording::Chain):
// replayed as one, or an error naming the part that is missing or out of place.
#include <optional>
#include <string>
#include <vector>

namespace nanotime::phc_pps_sync {

struct ReplayOptions {
  std::vector<std::string> paths;  // one file, or a rotated run's parts in order
  std::optional<std::string> servo;  // replay with another servo (a difference is expected)
};

int run_replay(const ReplayOptions& options);

}  // namespace nanotime::phc_pps_sync
