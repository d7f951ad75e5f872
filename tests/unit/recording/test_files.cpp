// The daemon's recording files (phc-pps-sync/daemon/recording_files.hpp): rotation by age and
// size into readable files that name their part and origin, and the directory kept under
// total_max_mb by removing the oldest.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "daemon/recording_files.hpp"

namespace fs = std::filesystem;
namespace r = nanotime::recording;
using nanotime::ppsd::RecordConfig;
using nanotime::ppsd::RecordingFiles;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("nanotime-recording-files-" + std::to_string(std::random_device{}()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

std::vector<fs::path> recordings(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

constexpr std::int64_t kS = 1'000'000'000;

}  // namespace

TEST_CASE("files rotate by age; each reads back with its part and origin") {
  TempDir dir;
  RecordConfig c;
  c.directory = dir.path.string();
  c.file_max_age_s = 60;
  {
    RecordingFiles files(c, r::Header{{"origin", "start"}});
    for (std::int64_t t = 0; t < 150; ++t) files.write({t * kS, r::Tick{20.0 + static_cast<double>(t)}});
  }
  const auto paths = recordings(dir.path);
  REQUIRE(paths.size() == 3);  // 0–59 s, 60–119 s, 120–149 s
  std::int64_t next_t = 0;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    INFO(paths[i]);
    const std::string bytes = slurp(paths[i]);
    r::Reader rd(bytes);
    CHECK(rd.header().at("part") == std::to_string(i));
    CHECK(rd.header().at("origin") == (i == 0 ? "start" : "continued"));
    while (auto rec = rd.next()) {
      CHECK(rec->mono_ns == next_t * kS);  // nothing lost or repeated across files
      ++next_t;
    }
    CHECK(rd.stop_message().empty());
  }
  CHECK(next_t == 150);
}

TEST_CASE("files rotate by size, and the oldest go beyond total_max_mb") {
  TempDir dir;
  RecordConfig c;
  c.directory = dir.path.string();
  c.file_max_mb = 1;
  c.total_max_mb = 2;
  std::mt19937_64 rng(1);
  {
    RecordingFiles files(c, r::Header{{"origin", "start"}});
    // Incompressible records: ~5 MB of files.
    for (std::int64_t i = 0; i < 5000; ++i) {
      std::string noise(1024, '\0');
      for (char& ch : noise) ch = static_cast<char>(rng());
      files.write({i * 1'000'000, r::GpioFailure{noise}});
    }
  }
  const auto paths = recordings(dir.path);
  std::uintmax_t total = 0;
  for (const auto& p : paths) {
    total += fs::file_size(p);
    CHECK(fs::file_size(p) < 1'300'000u);  // closed soon after 1 MB
  }
  CHECK(total <= 3 * 1024 * 1024);  // total_max_mb + the file being written
  REQUIRE(paths.size() >= 2);
  // The oldest were removed: the first left is not part 0.
  const std::string first = slurp(paths.front());
  CHECK(r::Reader(first).header().at("part") != "0");
}

TEST_CASE("a recording into a file that cannot be created is an error naming it") {
  CHECK_THROWS_WITH(RecordingFiles("/nonexistent-dir/x.ntrec", r::Header{}),
                    Catch::Contains("/nonexistent-dir/x.ntrec"));
}
