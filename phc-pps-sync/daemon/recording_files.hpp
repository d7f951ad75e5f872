#pragma once
// Where the daemon's recorder writes (docs/recording.md#files): one file at a time in the
// configured directory, named by its UTC start (phc-pps-sync-20261207T054000Z-0.ntrec), a new
// one begun past file_max_mb or file_max_age_s (part n + 1, origin "continued"), and the
// oldest *.ntrec of the directory removed past total_max_mb. Or one given file (`nanotime
// record --output`), which does not rotate.
//
// Never blocks the loop for long: records are buffered by the format's writer and reach the
// file a compressed block at a time (at least every second), with write(2) on a regular file.
// A failed write (a full disk) is logged once and ends the recording; the daemon goes on.

#include <cstdint>
#include <optional>
#include <string>

#include "conductor/recording_recorder.hpp"
#include "daemon/config.hpp"
#include "recording/file.hpp"
#include "util/fd.hpp"

namespace nanotime::ppsd {

class RecordingFiles final : public conductor::RecordSink {
 public:
  // Rotating files in config.directory. Throws std::runtime_error when the first cannot be
  // created (naming it and why).
  RecordingFiles(const RecordConfig& config, recording::Header header);
  // One file at `path`, no rotation.
  RecordingFiles(std::string path, recording::Header header);
  ~RecordingFiles() override;  // closes the open block into the file
  RecordingFiles(const RecordingFiles&) = delete;
  RecordingFiles& operator=(const RecordingFiles&) = delete;

  // Where an on-demand recording (`nanotime record`) goes: one file in `directory`.
  static std::string on_demand_path(const std::string& directory);

  void write(const recording::Record& r) override;
  bool failed() const { return failed_; }
  const std::string& path() const { return path_; }
  std::uint64_t bytes() const;  // of the current file so far

 private:
  void open_next();
  void drain();
  void prune() const;

  std::optional<RecordConfig> rotate_;  // none: a single given file
  recording::Header header_;
  std::string path_;
  util::Fd fd_;
  std::optional<recording::Writer> writer_;
  std::optional<std::int64_t> file_start_mono_ns_;
  std::optional<std::int64_t> last_mono_ns_;  // of the last record written
  unsigned part_ = 0;
  bool failed_ = false;
};

}  // namespace nanotime::ppsd
