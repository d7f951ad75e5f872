#pragma once
// A rotated recording read as one (docs/recording.md#chains). The daemon's rotation splits a
// run into parts 0, 1, 2, …; each part after the first says which run it belongs to (`run`),
// its number (`part`), and the mono time of the last record of the part before it
// (`continues_mono_ns`). Given the parts in order, Chain checks that they join — the same run,
// consecutive numbers, each later part `continued`, each part before complete and ending where
// the next says it continues — and yields their records as one recording. A missing or
// misplaced part is a ChainError naming the part.

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "recording/file.hpp"

namespace nanotime::recording {

class ChainError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Part {
  std::string name;   // for messages: the path it was read from
  std::string bytes;  // the whole file
};

class Chain final : public RecordSource {
 public:
  // Reads every part's header. Throws ChainError naming the part for a part that is not a
  // readable recording (the reader's FormatError) or parts that are not one run's in order.
  explicit Chain(std::vector<Part> parts);
  ~Chain() override;
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;

  const Header& header() const;  // the first part's (the run's configuration)
  std::size_t parts() const { return parts_.size(); }
  // The next record of the chain. Throws ChainError when a part before the last stops early
  // (truncated or corrupt) or does not end where the next part continues.
  std::optional<Record> next() override;
  // Where the last part stops early, with its name (empty after a clean end).
  const std::string& stop_message() const { return stop_; }

 private:
  void check_headers() const;
  std::string misplaced(std::size_t i, std::int64_t expected) const;
  void check_join(std::size_t next_part) const;

  std::vector<Part> parts_;
  std::vector<std::unique_ptr<Reader>> readers_;
  std::size_t current_ = 0;
  std::optional<std::int64_t> last_mono_ns_;  // of the current part
  std::string stop_;
};

}  // namespace nanotime::recording
