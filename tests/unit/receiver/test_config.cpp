// The [receiver] table: the cable delay from a length, the position keys, and clear errors.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "receiver_config.hpp"

using namespace nanotime;

namespace {
rcv::ReceiverConfig load(const std::string& text) {
  return rcv::load_config(config::Document::load_string(text, "n.toml"));
}
}  // namespace

TEST_CASE("receiver config: defaults are survey-in with no cable delay", "[unit]") {
  const auto c = load("");
  const auto s = rcv::settings(c);
  CHECK(s.mode == receiver::TimeMode::survey_in);
  CHECK(s.survey_min_duration_s == 2000);
  CHECK(s.survey_accuracy_m == 5);
  CHECK(s.cable_delay_ns == 0);
  CHECK(s.time_system == "utc");
  CHECK(s.constellations.empty());
}

TEST_CASE("receiver config: a cable length becomes length / (VF * c)", "[unit]") {
  // 10 m of RG58 (VF 0.66): 10 / (0.66 * 0.299792458 m/ns) = 50.5404 ns.
  const auto c = load("[receiver]\ncable_length_m = 10\n");
  CHECK(rcv::antenna_delay_ns(c) == Approx(50.5404).margin(1e-4));
  CHECK(rcv::antenna_delay_ns(load("[receiver]\ncable_delay_ns = 56\n")) == 56);
  CHECK_THROWS_WITH(load("[receiver]\ncable_length_m = 10\ncable_delay_ns = 56\n"),
                    Catch::Matchers::StartsWith("n.toml:2:") &&
                        Catch::Matchers::Contains("not both"));
}

TEST_CASE("receiver config: a fixed position selects fixed mode", "[unit]") {
  const auto llh = rcv::settings(load("[receiver]\nfixed_position_llh = [47.5, 8.25, 410.0]\n"));
  CHECK(llh.mode == receiver::TimeMode::fixed);
  REQUIRE(llh.fixed_llh);
  CHECK(llh.fixed_llh->height_m == 410.0);
  const auto ecef = rcv::settings(
      load("[receiver]\nfixed_position_ecef = [4331297.35, 567555.64, 4633133.71]\n"));
  REQUIRE(ecef.fixed_ecef);
  CHECK(ecef.fixed_ecef->y_m == 567555.64);
}

TEST_CASE("receiver config: bad values name the key and say why", "[unit]") {
  CHECK_THROWS_WITH(load("[receiver]\nfixed_position_llh = [1, 2]\n"),
                    Catch::Matchers::Contains("three numbers"));
  CHECK_THROWS_WITH(load("[receiver]\nfixed_position_llh = [95, 2, 3]\n"),
                    Catch::Matchers::Contains("element 1 = 95"));
  CHECK_THROWS_WITH(load("[receiver]\nfixed_position_ecef = [1, 2, 3]\n"),
                    Catch::Matchers::Contains("not on its surface"));
  CHECK_THROWS_WITH(load("[receiver]\nfixed_position_llh = [1, 2, 3]\n"
                         "fixed_position_ecef = [4331297.35, 567555.64, 4633133.71]\n"),
                    Catch::Matchers::Contains("at most one"));
  CHECK_THROWS_WITH(load("[receiver]\nconstellations = [\"gps\", \"galilleo\"]\n"),
                    Catch::Matchers::Contains("unknown constellation"));
  CHECK_THROWS_WITH(load("[receiver]\nbaud = 4800\n"), Catch::Matchers::Contains("9600"));
  CHECK_THROWS_WITH(load("[receiver]\ntime_system = \"tai\"\n"), Catch::Matchers::Contains("utc"));
  CHECK_THROWS_WITH(load("[receiver]\nsurvey_acuracy_m = 2\n"),
                    Catch::Matchers::Contains("survey_acuracy_m"));
  CHECK_THROWS_WITH(load("[reciever]\n"), Catch::Matchers::Contains("reciever"));
}
