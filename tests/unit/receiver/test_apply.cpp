// The Apply machine, told by hand what the receiver answers: ACK, NAK, silence, and a restart
// in the middle, each with the exact report it must give.
#include <catch2/catch.hpp>

#include <algorithm>

#include "receiver/apply.hpp"

using namespace nanotime::receiver;

namespace {

Bytes tp5(std::uint8_t cable_ns) {
  Bytes p(32, 0);
  p[1] = 1;
  p[4] = cable_ns;
  return p;
}
Bytes nav5(std::uint8_t elev_deg) {
  Bytes p(36, 0);
  p[12] = elev_deg;
  return p;
}
Frame ack(std::uint8_t id) { return Frame{0x05, 0x01, {0x06, id}}; }
Frame nak(std::uint8_t id) { return Frame{0x05, 0x00, {0x06, id}}; }

struct M8Case {
  std::vector<Setting> settings;
  Readback before;
  std::vector<Change> changes;
  M8Case() {
    for (const Setting& s : plan(ReceiverSettings{}, Generation::m8)) {
      if (s.name == "CFG-TP5 antCableDelay" || s.name == "CFG-NAV5 minElev") settings.push_back(s);
    }
    settings[0].desired = 56;
    settings[1].desired = 15;
    before.absorb(Frame{0x06, 0x31, tp5(50)});
    before.absorb(Frame{0x06, 0x24, nav5(5)});
    changes = diff(settings, before);
  }
};

// The request the machine waits on, as (class, id, expects ACK).
std::tuple<int, int, bool> waiting(const Apply& a) {
  const Request* r = a.pending();
  REQUIRE(r != nullptr);
  return {r->frame.msg_class, r->frame.msg_id, r->expect_ack};
}

}  // namespace

TEST_CASE("gen 8: each message written, ACKed and read back -> applied", "[unit]") {
  M8Case c;
  REQUIRE(c.changes.size() == 2);
  Apply a(Generation::m8, c.changes, c.before, 0x01, Timing{});
  CHECK(waiting(a) == std::tuple{0x06, 0x31, true});
  CHECK(a.pending()->frame.payload[4] == 56);
  a.on_frame(Frame{0x0D, 0x01, Bytes(16, 0)});  // a TIM-TP passing by changes nothing
  a.on_frame(ack(0x31));
  CHECK(waiting(a) == std::tuple{0x06, 0x31, false});
  a.on_frame(Frame{0x06, 0x31, tp5(56)});
  CHECK(waiting(a) == std::tuple{0x06, 0x24, true});
  a.on_frame(ack(0x24));
  a.on_frame(Frame{0x06, 0x24, nav5(15)});
  // The final pass reads both back again.
  a.on_frame(Frame{0x06, 0x31, tp5(56)});
  a.on_frame(Frame{0x06, 0x24, nav5(15)});
  CHECK(a.pending() == nullptr);
  CHECK(a.report().all_applied());
  CHECK(a.report().text() ==
        "  applied    CFG-TP5 antCableDelay: 50 ns -> 56 ns\n"
        "  applied    CFG-NAV5 minElev: 5 deg -> 15 deg\n"
        "2 of 2 changes applied\n");
}

TEST_CASE("gen 8: a NAK refuses that message; the others go on", "[unit]") {
  M8Case c;
  Apply a(Generation::m8, c.changes, c.before, 0x01, Timing{});
  a.on_frame(nak(0x31));
  CHECK(waiting(a) == std::tuple{0x06, 0x24, true});  // no read back of a refused message
  a.on_frame(ack(0x24));
  a.on_frame(Frame{0x06, 0x24, nav5(15)});
  a.on_frame(Frame{0x06, 0x31, tp5(50)});
  a.on_frame(Frame{0x06, 0x24, nav5(15)});
  CHECK(a.pending() == nullptr);
  CHECK_FALSE(a.report().all_applied());
  CHECK(a.report().text() ==
        "  refused    CFG-TP5 antCableDelay: 50 ns -> 56 ns\n"
        "  applied    CFG-NAV5 minElev: 5 deg -> 15 deg\n"
        "1 of 2 changes applied\n");
}

TEST_CASE("gen 8: no answer after the retries -> unanswered, the rest not sent", "[unit]") {
  M8Case c;
  Apply a(Generation::m8, c.changes, c.before, 0x01, Timing{1.0, 2});
  const auto first = a.step();
  a.on_timeout();
  CHECK(a.step() != first);                           // sent again
  CHECK(waiting(a) == std::tuple{0x06, 0x31, true});  // the same request
  a.on_timeout();
  CHECK(waiting(a) == std::tuple{0x06, 0x31, true});
  a.on_timeout();
  // No more writes; the final read back is still tried, and goes unanswered too.
  CHECK(waiting(a) == std::tuple{0x06, 0x31, false});
  for (int i = 0; i < 3; ++i) a.on_timeout();
  CHECK(a.pending() == nullptr);
  CHECK(a.report().text() ==
        "  unanswered CFG-TP5 antCableDelay: 50 ns -> 56 ns\n"
        "  not sent   CFG-NAV5 minElev: 5 deg -> 15 deg\n"
        "0 of 2 changes applied\n");
}

TEST_CASE("gen 8: a restart swallows a write; the final read back finds the loss", "[unit]") {
  M8Case c;
  Apply a(Generation::m8, c.changes, c.before, 0x01, Timing{1.0, 1});
  a.on_frame(ack(0x31));
  a.on_frame(Frame{0x06, 0x31, tp5(56)});
  // The NAV5 write: the receiver restarts on it and never answers.
  a.on_timeout();
  a.on_timeout();
  CHECK(waiting(a) == std::tuple{0x06, 0x31, false});  // straight to the final read back
  a.on_text("$GNTXT,01,01,02,u-blox AG - www.u-blox.com*4E");
  a.on_frame(Frame{0x06, 0x31, tp5(50)});
  a.on_frame(Frame{0x06, 0x24, nav5(5)});
  CHECK(a.pending() == nullptr);
  CHECK(a.report().text() ==
        "  lost       CFG-TP5 antCableDelay: 50 ns -> 56 ns (reads 50 ns now)\n"
        "  unanswered CFG-NAV5 minElev: 5 deg -> 15 deg\n"
        "  the receiver restarted during the configuration\n"
        "0 of 2 changes applied\n");
}

TEST_CASE("gen 8: a restart in the middle loses what was applied before it", "[unit]") {
  M8Case c;
  Apply a(Generation::m8, c.changes, c.before, 0x01, Timing{});
  a.on_frame(ack(0x31));
  a.on_frame(Frame{0x06, 0x31, tp5(56)});
  a.on_frame(Frame{0x0A, 0x04, Bytes(40, 0)});  // MON-VER: gpsd polls it too, no sign
  CHECK_FALSE(a.report().reset_seen);
  // The receiver restarts: boot banner; RAM is back to the saved configuration.
  a.on_text("$GNTXT,01,01,02,u-blox AG - www.u-blox.com*4E");
  CHECK(a.report().reset_seen);
  a.on_frame(ack(0x24));
  a.on_frame(Frame{0x06, 0x24, nav5(15)});
  a.on_frame(Frame{0x06, 0x31, tp5(50)});
  a.on_frame(Frame{0x06, 0x24, nav5(15)});
  CHECK(a.pending() == nullptr);
  CHECK(a.report().text() ==
        "  lost       CFG-TP5 antCableDelay: 50 ns -> 56 ns (reads 50 ns now)\n"
        "  applied    CFG-NAV5 minElev: 5 deg -> 15 deg\n"
        "  the receiver restarted during the configuration\n"
        "1 of 2 changes applied\n");
}

TEST_CASE("gen 9: one VALSET, ACKed, read back with VALGET", "[unit]") {
  std::vector<Setting> settings;
  for (const Setting& s : plan(ReceiverSettings{}, Generation::f9)) {
    if (s.name == "CFG-TP-ANT_CABLEDELAY" || s.name == "CFG-NAVSPG-INFIL_MINELEV") settings.push_back(s);
  }
  settings[0].desired = 56;
  Readback before;
  before.f9[0x30050001] = 0;
  before.f9[0x201100a4] = 5;
  const auto changes = diff(settings, before);
  REQUIRE(changes.size() == 2);
  // VALGET reply: delay 56, elevation 10 (the desired default).
  const Frame got{0x06, 0x8B, {0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x05, 0x30, 0x38, 0x00,
                               0xa4, 0x00, 0x11, 0x20, 0x0A}};

  SECTION("ACK") {
    Apply a(Generation::f9, changes, before, 0x01, Timing{});
    CHECK(waiting(a) == std::tuple{0x06, 0x8A, true});
    a.on_frame(ack(0x8A));
    CHECK(waiting(a) == std::tuple{0x06, 0x8B, false});
    a.on_frame(got);
    CHECK(a.pending() == nullptr);
    CHECK(a.report().all_applied());
  }
  SECTION("NAK: the whole transaction is refused") {
    Apply a(Generation::f9, changes, before, 0x01, Timing{});
    a.on_frame(nak(0x8A));
    a.on_frame(got);  // even if a value happens to read as desired, it was not our write
    CHECK(a.pending() == nullptr);
    CHECK(a.report().text() ==
          "  refused    CFG-TP-ANT_CABLEDELAY: 0 ns -> 56 ns\n"
          "  refused    CFG-NAVSPG-INFIL_MINELEV: 5 deg -> 10 deg\n"
          "0 of 2 changes applied\n");
  }
  SECTION("ACKed but read back different: lost") {
    Apply a(Generation::f9, changes, before, 0x01, Timing{});
    a.on_frame(ack(0x8A));
    Frame reset = got;
    reset.payload[8] = 0;  // delay back to 0
    a.on_frame(reset);
    CHECK(a.report().results[0].outcome == Outcome::lost);
    CHECK(a.report().results[1].outcome == Outcome::applied);
  }
  SECTION("ACKed, then no VALGET answer: unanswered, not applied") {
    Apply a(Generation::f9, changes, before, 0x01, Timing{1.0, 0});
    a.on_frame(ack(0x8A));
    a.on_timeout();
    CHECK(a.pending() == nullptr);
    CHECK(a.report().results[0].outcome == Outcome::unanswered);
  }
}

TEST_CASE("Poll: replies in order, a NAK or silence is a missing reply", "[unit]") {
  std::vector<Request> reqs = {
      {Frame{0x06, 0x31, {0}}, false, 0x06, 0x31, {0}, "poll CFG-TP5"},
      {Frame{0x06, 0x24, {}}, false, 0x06, 0x24, {}, "poll CFG-NAV5"},
      {Frame{0x06, 0x01, {0x0D, 0x01}}, false, 0x06, 0x01, {0x0D, 0x01}, "poll CFG-MSG"}};
  Poll p(reqs, Timing{1.0, 1});
  p.on_frame(Frame{0x06, 0x31, {1}});  // TP5 of TIMEPULSE2: not ours
  CHECK(p.pending() == &p.pending()[0]);
  p.on_frame(Frame{0x06, 0x31, tp5(7)});
  p.on_frame(nak(0x24));
  p.on_timeout();
  p.on_timeout();
  CHECK(p.pending() == nullptr);
  CHECK(p.replies()[0]->payload[4] == 7);
  CHECK_FALSE(p.replies()[1]);
  CHECK(p.refused(1));
  CHECK_FALSE(p.replies()[2]);
  CHECK_FALSE(p.refused(2));  // silence is not a refusal
  CHECK(p.any_answer());
}
