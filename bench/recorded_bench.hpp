#pragma once
// servo-bench --recording FILE: every servo re-run closed-loop on field recordings
// (sim/reservo.hpp), beside the profiles. A recording has no truth: its rows give what a
// recording can know (residuals against the qErr-corrected pulses, GPIO − PHC differences, lock
// time, holdover drift against the returning pulses), never a true error.

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace nanotime::bench {

struct RecordedRows {
  std::string json;  // a JSON array of sim::reservo_report_json objects
  int exit_status = 0;
};

// Reads each file, runs each servo on it, prints a table to `out`. A file that is not a
// readable recording is reported and gives exit status 65 (EX_DATAERR); the others still run.
RecordedRows run_recordings(const std::vector<std::string>& files,
                            const std::vector<std::string>& servos, std::FILE* out);

}  // namespace nanotime::bench
