// The latch models and the bound rule: wherever the driver really latched inside the bracket, the
// truth is inside the published interval, and no model makes the bound narrower than half the
// bracket.
#include <catch2/catch.hpp>

#include <random>

#include "transfer/latch_model.hpp"

using namespace nanotime::transfer;

TEST_CASE("the models by name, and the one for a driver", "[unit]") {
  REQUIRE(find_latch_model("bcm-phy-ptp") != nullptr);
  CHECK(find_latch_model("bcm-phy-ptp")->fraction == 0.985);
  CHECK(find_latch_model("midpoint")->fraction == 0.5);
  CHECK(find_latch_model("precise") != nullptr);
  CHECK(find_latch_model("auto") == nullptr);  // resolved by model_for_driver, not a model
  CHECK(find_latch_model("end") == nullptr);
  CHECK(latch_model_choices() == "auto, bcm-phy-ptp, midpoint, precise");
  CHECK(model_for_driver("BCM54210PE PHC", false).name == "bcm-phy-ptp");
  CHECK(model_for_driver("bcm54210pe phc", false).name == "bcm-phy-ptp");
  CHECK(model_for_driver("igc", false).name == "midpoint");
  CHECK(model_for_driver("igc", true).name == "precise");
  CHECK(model_for_driver("", false).name == "midpoint");
}

TEST_CASE("transfer of one read, by hand", "[unit]") {
  const Bracket read{1'000'000'000'000'001'000, 1'000'000'037'000'020'000, 1'000'000'000'000'051'500};
  const Transfer bcm = transfer_of(read, *find_latch_model("bcm-phy-ptp"));
  // 0.985 × 50 500 = 49 742.5 → 49 743 ns into the bracket.
  CHECK(bcm.system_ns == 1'000'000'000'000'050'743);
  CHECK(bcm.phc_ns == read.phc_ns);
  CHECK(bcm.error_min_ns == -49743);
  CHECK(bcm.error_max_ns == 757);
  CHECK(bcm.bound_ns() == 49743);
  CHECK(bcm.bracket_ns == 50500);
  const Transfer mid = transfer_of(read, *find_latch_model("midpoint"));
  CHECK(mid.system_ns == 1'000'000'000'000'026'250);
  CHECK(mid.error_min_ns == -25250);
  CHECK(mid.error_max_ns == 25250);
  CHECK(mid.bound_ns() == 25250);
}

TEST_CASE("a precise cross-timestamp has no bracket and no transfer error", "[unit]") {
  const Bracket exact{5'000, 9'000'000, 5'000};
  const Transfer t = transfer_of(exact, *find_latch_model("precise"));
  CHECK(t.system_ns == 5'000);
  CHECK(t.bound_ns() == 0);
}

TEST_CASE("the bound rule: the latch anywhere in the bracket is inside the bound", "[unit]") {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> width(0, 250'000);
  std::uniform_real_distribution<double> where(0.0, 1.0);
  for (const LatchModel& model : latch_models()) {
    INFO(model.name);
    for (int i = 0; i < 20000; ++i) {
      const std::int64_t before = 1'700'000'000'000'000'000 + i * 1'000'000'007LL;
      const Bracket read{before, before + 37'000'000'000, before + width(rng)};
      const Transfer t = transfer_of(read, model);
      // The true latch: the ends themselves, and anywhere between.
      const double f = i % 3 == 0 ? 0.0 : i % 3 == 1 ? 1.0 : where(rng);
      const auto latch = read.before_ns + static_cast<std::int64_t>(f * static_cast<double>(read.width_ns()));
      const auto error = static_cast<double>(latch - t.system_ns);
      REQUIRE(error >= t.error_min_ns);
      REQUIRE(error <= t.error_max_ns);
      REQUIRE(std::abs(error) <= t.bound_ns());
      // A model moves the estimate, never shrinks the bound below half the bracket.
      REQUIRE(t.bound_ns() >= static_cast<double>(read.width_ns()) / 2 - 0.5);
    }
  }
}
