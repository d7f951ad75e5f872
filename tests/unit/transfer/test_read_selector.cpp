// ReadSelector: the narrowest read of a request, slow requests rejected once the usual width is
// known, and learnt again when the box changes for good.
#include <catch2/catch.hpp>

#include <vector>

#include "transfer/read_selector.hpp"

using namespace nanotime::transfer;

namespace {
Bracket read_of_width(std::int64_t width_ns, std::int64_t at_ns = 1'000'000) {
  return Bracket{at_ns, at_ns * 3, at_ns + width_ns};
}
std::vector<Bracket> request(std::initializer_list<std::int64_t> widths) {
  std::vector<Bracket> r;
  std::int64_t at = 1'000'000;
  for (auto w : widths) r.push_back(read_of_width(w, at += 100'000));
  return r;
}
void warm_up(ReadSelector& s, std::int64_t width_ns) {
  for (std::size_t i = 0; i < ReadSelector::kWarmup; ++i) REQUIRE(s.select(request({width_ns})));
}
}  // namespace

TEST_CASE("the narrowest valid read of a request is kept", "[unit]") {
  ReadSelector s;
  const auto reads = request({50600, 50450, -3, 59900});
  const auto best = s.select(reads);
  REQUIRE(best);
  CHECK(best->width_ns() == 50450);
  CHECK(best->before_ns == reads[1].before_ns);
  CHECK(s.counters().reads == 4);
  CHECK(s.counters().invalid_reads == 1);
  CHECK_FALSE(s.select(request({-1, -2})));
  CHECK_FALSE(s.select(std::vector<Bracket>{}));
}

TEST_CASE("during warm-up every request is used; then slow ones are rejected", "[unit]") {
  ReadSelector s;
  CHECK_FALSE(s.usual_width_ns());
  CHECK(s.select(request({60000})));  // slow, but nothing is known yet
  for (int i = 0; i < 8; ++i) REQUIRE(s.select(request({50500})));
  REQUIRE(s.usual_width_ns());
  CHECK(*s.usual_width_ns() == 50500);
  // The margin is max(1000 ns, 5 % of 50 500 ns = 2525 ns).
  CHECK(*s.slow_threshold_ns() == Approx(53025));
  CHECK(s.select(request({53000})));
  CHECK_FALSE(s.select(request({53100, 59900})));
  CHECK(s.counters().slow_rejected == 1);
  // A slow read is not learnt: the usual width stays.
  CHECK(*s.usual_width_ns() == 50500);
}

TEST_CASE("a narrow box uses the absolute margin", "[unit]") {
  ReadSelector s;
  warm_up(s, 4000);
  CHECK(*s.slow_threshold_ns() == Approx(5000));
  CHECK(s.select(request({4900})));
  CHECK_FALSE(s.select(request({5100})));
}

TEST_CASE("a lasting change of width is learnt again after a run of slow requests", "[unit]") {
  ReadSelector s;
  warm_up(s, 50500);
  for (std::size_t i = 1; i < ReadSelector::kRelearnAfter; ++i) {
    CHECK_FALSE(s.select(request({222000})));  // a CM5-like width after a kernel update
  }
  CHECK(s.select(request({222000})));  // the 16th in a row: the box has changed
  CHECK(s.counters().relearned == 1);
  CHECK(s.counters().slow_rejected == ReadSelector::kRelearnAfter - 1);
  for (std::size_t i = 1; i < ReadSelector::kWarmup; ++i) REQUIRE(s.select(request({222000})));
  CHECK(*s.usual_width_ns() == 222000);
  CHECK_FALSE(s.select(request({250000})));
}

TEST_CASE("a slow request between good ones does not start a relearn", "[unit]") {
  ReadSelector s;
  warm_up(s, 50500);
  for (int round = 0; round < 40; ++round) {
    CHECK_FALSE(s.select(request({59900})));
    CHECK(s.select(request({50500})));
  }
  CHECK(s.counters().relearned == 0);
  CHECK(s.counters().slow_rejected == 40);
}
