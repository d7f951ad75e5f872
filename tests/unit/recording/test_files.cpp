// The daemon's recording files (phc-pps-sync/daemon/recording_files.hpp): rotation by age and
// size into readable files that name their part and origin, and the directory kept under
// total_max_mb by removing the oldest. A rotated simulated run replays as one chain
// (recording/chain.hpp) exactly as the same run recorded into one file; a missing, reordered
// or cut part is an error naming it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "conductor/recording_replay.hpp"
#include "daemon/recording_files.hpp"
#include "recording/chain.hpp"
#include "sim/profile.hpp"
#include "sim_recording.hpp"

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

namespace {

namespace sim = nanotime::sim;
namespace conductor = nanotime::conductor;
namespace discipline = nanotime::discipline;

sim::Profile chain_profile() {
  return sim::load_profile(std::string(NANOTIME_SOURCE_DIR) + "/sim/profiles/cm4-m8t-faults.toml");
}

conductor::ReplayResult replay(r::RecordSource& source, const sim::Profile& p,
                               const discipline::EngineConfig& ec) {
  return r::test::replay_source(source, p, ec);
}

// One simulated run recorded twice: into one file in memory, and through the daemon's
// rotating files with a small file_max_mb.
struct TwoRecordings {
  sim::Profile profile = chain_profile();
  discipline::EngineConfig ec = sim::engine_config(profile, "kalman");
  std::string whole;
  std::vector<r::Part> parts;  // in part order
};

TwoRecordings record_twice(const fs::path& dir) {
  TwoRecordings t;
  constexpr std::int64_t kDurationS = 1500;
  const r::Header h{{"origin", "start"}};
  r::test::FileSink one(h);
  r::test::record_simulation(t.profile, kDurationS, t.ec, one);
  t.whole = one.finish();
  RecordConfig c;
  c.directory = dir.string();
  c.file_max_mb = 0.04;  // ~40 kB: a 1500 s run of ~100 B/s makes ≥ 3 parts
  {
    RecordingFiles files(c, h);
    r::test::record_simulation(t.profile, kDurationS, t.ec, files);
  }
  for (const fs::path& p : recordings(dir)) t.parts.push_back({p.filename().string(), slurp(p)});
  std::sort(t.parts.begin(), t.parts.end(), [](const r::Part& a, const r::Part& b) {
    return std::stoi(r::Reader(a.bytes).header().at("part")) <
           std::stoi(r::Reader(b.bytes).header().at("part"));
  });
  return t;
}

std::string chain_error(std::vector<r::Part> parts) {
  try {
    r::Chain chain(std::move(parts));
    while (chain.next()) {
    }
  } catch (const r::ChainError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a rotated simulated run replays as one chain, as the run recorded whole") {
  TempDir dir;
  const TwoRecordings t = record_twice(dir.path);
  REQUIRE(t.parts.size() >= 3);
  // The unrotated run's replay: the reference.
  r::Reader whole(t.whole);
  const conductor::ReplayResult expected = replay(whole, t.profile, t.ec);
  REQUIRE(!expected.mismatch);
  REQUIRE(expected.commands > 100);
  // The chain holds the same records, in the same order.
  {
    r::Chain chain(t.parts);
    r::Reader again(t.whole);
    std::size_t n = 0;
    while (auto rec = chain.next()) {
      const auto ref = again.next();
      REQUIRE(ref);
      CHECK(*rec == *ref);
      ++n;
    }
    CHECK(!again.next());
    CHECK(chain.stop_message().empty());
    CHECK(n == expected.records);
  }
  r::Chain chain(t.parts);
  CHECK(chain.header().at("origin") == "start");
  const conductor::ReplayResult got = replay(chain, t.profile, t.ec);
  INFO((got.mismatch ? got.mismatch->recorded + " / " + got.mismatch->replayed : ""));
  CHECK(!got.mismatch);
  CHECK(got.records == expected.records);
  CHECK(got.commands == expected.commands);
  CHECK(got.chrony_samples == expected.chrony_samples);
  CHECK(got.quality_changes == expected.quality_changes);
  CHECK(got.last_mono_ns == expected.last_mono_ns);
  // One part alone (the first) is a shorter recording: it ends before the run does.
  r::Reader first(t.parts[0].bytes);
  CHECK(replay(first, t.profile, t.ec).records < expected.records);
}

TEST_CASE("a chain with a part missing, reordered or cut is an error naming the part") {
  // Recorded once for all the sections (the parts are held in memory).
  static const TwoRecordings t = [] {
    TempDir dir;
    return record_twice(dir.path);
  }();
  REQUIRE(t.parts.size() >= 3);
  const std::string& p0 = t.parts[0].name;
  const std::string& p1 = t.parts[1].name;
  const std::string& p2 = t.parts[2].name;
  SECTION("a missing middle part") {
    std::vector<r::Part> parts = t.parts;
    parts.erase(parts.begin() + 1);
    const std::string e = chain_error(parts);
    CHECK_THAT(e, Catch::Contains(p2 + " is part 2, but part 1 should follow " + p0) &&
                      Catch::Contains("part 1 is missing (it was written as " + p1 + ")"));
  }
  SECTION("two parts swapped") {
    std::vector<r::Part> parts = t.parts;
    std::swap(parts[1], parts[2]);
    const std::string e = chain_error(parts);
    CHECK_THAT(e, Catch::Contains(p2 + " is part 2, but part 1 should follow " + p0) &&
                      Catch::Contains("out of order (part 1 is " + p1 + ", given as file 3"));
  }
  SECTION("a later part first") {
    std::vector<r::Part> parts = t.parts;
    std::swap(parts[0], parts[1]);
    CHECK_THAT(chain_error(parts), Catch::Contains("out of order (part 2 is " + p2));
  }
  SECTION("a middle part cut short") {
    std::vector<r::Part> parts = t.parts;
    parts[1].bytes.resize(parts[1].bytes.size() - 10);
    const std::string e = chain_error(parts);
    CHECK_THAT(e, Catch::Contains(p1 + ": recording stops at byte offset") &&
                      Catch::Contains("the chain cannot go on to " + p2));
  }
  SECTION("a part of another run") {
    std::vector<r::Part> parts = t.parts;
    r::Header h = r::Reader(parts[1].bytes).header();
    h["run"] = "phc-pps-sync-20000101T000000Z";
    parts[1].bytes = r::encode_header(h);  // a part with no records, of another run
    CHECK_THAT(chain_error(parts), Catch::Contains(p1 + ": part of run \"phc-pps-sync-2000"));
  }
  SECTION("a part whose predecessor ends elsewhere") {
    std::vector<r::Part> parts = t.parts;
    r::Header h = r::Reader(parts[2].bytes).header();
    h["continues_mono_ns"] = "12345";
    parts[2].bytes = r::encode_header(h);
    CHECK_THAT(chain_error(parts),
               Catch::Contains(p2 + " continues a part that ends at mono 12345 ns, but " + p1));
  }
}
