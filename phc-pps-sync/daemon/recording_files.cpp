#include "daemon/recording_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "log/log.hpp"

namespace nanotime::ppsd {
namespace {

constexpr double kMb = 1024.0 * 1024.0;
constexpr const char* kSuffix = ".ntrec";

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

util::Fd create(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    throw std::runtime_error(fmt::format("cannot create the recording {}: {}", path,
                                         std::strerror(errno)));
  }
  return util::Fd(fd);
}

}  // namespace

RecordingFiles::RecordingFiles(const RecordConfig& config, recording::Header header)
    : rotate_(config), header_(std::move(header)) {
  std::error_code ec;
  std::filesystem::create_directories(config.directory, ec);  // StateDirectory= made it
  open_next();
}

RecordingFiles::RecordingFiles(std::string path, recording::Header header)
    : header_(std::move(header)), path_(std::move(path)) {
  fd_ = create(path_);
  writer_.emplace(header_);
  drain();
}

RecordingFiles::~RecordingFiles() {
  if (writer_ && !failed_) {
    writer_->close_block();
    drain();
  }
}

std::string RecordingFiles::on_demand_path(const std::string& directory) {
  return fmt::format("{}/phc-pps-sync-{}-on-demand{}", directory, utc_stamp(), kSuffix);
}

std::uint64_t RecordingFiles::bytes() const { return writer_ ? writer_->file_bytes() : 0; }

void RecordingFiles::open_next() {
  const std::string stem = fmt::format("phc-pps-sync-{}", utc_stamp());
  if (writer_) {
    writer_->close_block();
    drain();
    header_["origin"] = "continued";  // the engine's history is in the files before it
    // What a chain's reader checks the parts join by (docs/recording.md#chains).
    header_["continues_mono_ns"] = std::to_string(last_mono_ns_.value_or(0));
    header_["previous_part"] = std::filesystem::path(path_).filename().string();
  } else {
    header_["run"] = stem;  // every part names the run by part 0's name
  }
  header_["part"] = std::to_string(part_);
  path_ = fmt::format("{}/{}-{}{}", rotate_->directory, stem, part_, kSuffix);
  ++part_;
  fd_ = create(path_);
  writer_.emplace(header_);
  file_start_mono_ns_.reset();
  drain();
  prune();
}

void RecordingFiles::write(const recording::Record& r) {
  if (failed_) return;
  if (rotate_ && file_start_mono_ns_ &&
      (static_cast<double>(writer_->file_bytes()) >= rotate_->file_max_mb * kMb ||
       static_cast<double>(r.mono_ns - *file_start_mono_ns_) >= rotate_->file_max_age_s * 1e9)) {
    try {
      open_next();
    } catch (const std::exception& e) {
      log::error("recording stopped: {}", e.what());
      failed_ = true;
      return;
    }
  }
  if (!file_start_mono_ns_) file_start_mono_ns_ = r.mono_ns;
  last_mono_ns_ = r.mono_ns;
  writer_->append(r);
  drain();
}

void RecordingFiles::drain() {
  const std::string out = writer_->take();
  std::size_t done = 0;
  while (done < out.size() && !failed_) {
    const ssize_t n = ::write(fd_.get(), out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      log::error("recording stopped: writing {} failed: {} (the daemon goes on; the file holds "
                 "what was written before)",
                 path_, n < 0 ? std::strerror(errno) : "no progress");
      failed_ = true;
    } else {
      done += static_cast<std::size_t>(n);
    }
  }
}

// The oldest recordings go first; the one being written never does.
void RecordingFiles::prune() const {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::pair<std::string, std::uintmax_t>> files;
  for (const auto& entry : fs::directory_iterator(rotate_->directory, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(ec) || !name.ends_with(kSuffix)) continue;
    files.emplace_back(entry.path().string(), entry.file_size(ec));
  }
  std::sort(files.begin(), files.end());  // names start with the UTC time: oldest first
  double total = 0;
  for (const auto& f : files) total += static_cast<double>(f.second);
  for (const auto& [path, size] : files) {
    if (total <= rotate_->total_max_mb * kMb || path == path_) break;
    if (fs::remove(path, ec)) {
      log::info("recording {} removed (total_max_mb {})", path, rotate_->total_max_mb);
      total -= static_cast<double>(size);
    }
  }
}

}  // namespace nanotime::ppsd
