// The lock-state machine against a hand-written transition table: every (state, input) pair is
// walked, so a changed transition fails here. Then the run of good pulses that turns used
// pulses into resumed and converged ones.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <utility>

#include "discipline/lock_state.hpp"

using namespace nanotime::discipline;

namespace {

using S = LockState;
using I = LockInput;

const char* name(S s) {
  switch (s) {
    case S::acquiring: return "acquiring";
    case S::converging: return "converging";
    case S::tracking: return "tracking";
    case S::holdover: return "holdover";
    case S::freerun: return "freerun";
  }
  return "?";
}

// Only the pairs that move; every other (state, input) leaves the state as it is.
const std::map<std::pair<S, I>, S>& moves() {
  static const std::map<std::pair<S, I>, S> table = {
      {{S::acquiring, I::aligned_pulse}, S::converging},
      {{S::acquiring, I::used_pulse}, S::converging},
      {{S::acquiring, I::resumed_pulse}, S::converging},
      {{S::acquiring, I::converged_pulse}, S::converging},
      {{S::acquiring, I::step}, S::converging},

      {{S::converging, I::unaligned_pulse}, S::acquiring},
      {{S::converging, I::converged_pulse}, S::tracking},
      {{S::converging, I::reacquire}, S::acquiring},

      {{S::tracking, I::unaligned_pulse}, S::acquiring},
      {{S::tracking, I::aligned_pulse}, S::converging},
      {{S::tracking, I::step}, S::converging},
      {{S::tracking, I::pulses_missing}, S::holdover},
      {{S::tracking, I::reacquire}, S::acquiring},

      {{S::holdover, I::resumed_pulse}, S::tracking},
      {{S::holdover, I::converged_pulse}, S::tracking},
      {{S::holdover, I::step}, S::converging},
      {{S::holdover, I::far_pulse}, S::converging},
      {{S::holdover, I::bound_over_limit}, S::freerun},
      {{S::holdover, I::labels_doubtful}, S::acquiring},
      {{S::holdover, I::reacquire}, S::acquiring},

      {{S::freerun, I::resumed_pulse}, S::tracking},
      {{S::freerun, I::converged_pulse}, S::tracking},
      {{S::freerun, I::step}, S::converging},
      {{S::freerun, I::far_pulse}, S::converging},
      {{S::freerun, I::labels_doubtful}, S::acquiring},
      {{S::freerun, I::reacquire}, S::acquiring},
  };
  return table;
}

// A machine brought into `state` through the inputs the engine would give.
LockStateMachine machine_in(S state) {
  LockStateMachine m;
  auto good = [&m] { m.on_used_pulse(0, 1); };
  if (state == S::acquiring) return m;
  m.apply(I::step);
  if (state == S::converging) return m;
  for (int i = 0; i < LockStateMachine::kConvergedPulses; ++i) good();
  if (state == S::tracking) return m;
  m.apply(I::pulses_missing);
  if (state == S::holdover) return m;
  m.apply(I::bound_over_limit);
  return m;
}

}  // namespace

TEST_CASE("every (state, input) pair leads where the table says", "[unit][lock_state]") {
  int moved = 0;
  for (int si = 0; si < kLockStates; ++si) {
    for (int ii = 0; ii < kLockInputs; ++ii) {
      const auto s = static_cast<S>(si);
      const auto in = static_cast<I>(ii);
      const auto it = moves().find({s, in});
      const S expected = it == moves().end() ? s : it->second;
      INFO(name(s) << " + input " << ii << " → expected " << name(expected));
      CHECK(next_lock_state(s, in) == expected);
      moved += expected != s;
    }
  }
  CHECK(moved == static_cast<int>(moves().size()));  // no listed move is a no-op by mistake
}

TEST_CASE("the machine follows the table and says when it moved", "[unit][lock_state]") {
  for (int si = 0; si < kLockStates; ++si) {
    const auto s = static_cast<S>(si);
    REQUIRE(machine_in(s).state() == s);
    for (int ii = 0; ii < kLockInputs; ++ii) {
      const auto in = static_cast<I>(ii);
      LockStateMachine m = machine_in(s);
      const bool changed = m.apply(in);
      INFO(name(s) << " + input " << ii);
      CHECK(m.state() == next_lock_state(s, in));
      CHECK(changed == (m.state() != s));
    }
  }
}

TEST_CASE("converging needs kConvergedPulses good pulses in a row", "[unit][lock_state]") {
  LockStateMachine m;
  m.apply(I::step);
  for (int i = 1; i < LockStateMachine::kConvergedPulses; ++i) {
    CHECK_FALSE(m.on_used_pulse(50, 50));
    CHECK(m.state() == S::converging);
  }
  SECTION("a poor phase breaks the run") {
    m.on_used_pulse(150, 10);
    for (int i = 1; i < LockStateMachine::kConvergedPulses; ++i) m.on_used_pulse(-50, 10);
    CHECK(m.state() == S::converging);
    CHECK(m.on_used_pulse(-50, 10));
    CHECK(m.state() == S::tracking);
  }
  SECTION("so does a wide estimate") {
    m.on_used_pulse(0, 150);
    m.on_used_pulse(0, 10);
    CHECK(m.state() == S::converging);
  }
  SECTION("and a step") {
    m.apply(I::step);
    m.on_used_pulse(0, 10);
    CHECK(m.state() == S::converging);
  }
  SECTION("the last one of the run converges") {
    CHECK(m.on_used_pulse(0, 10));
    CHECK(m.state() == S::tracking);
  }
}

TEST_CASE("acquiring becomes converging on any used pulse", "[unit][lock_state]") {
  LockStateMachine m;
  CHECK(m.on_used_pulse(500, 500));
  CHECK(m.state() == S::converging);
  // The good pulse that left ACQUIRING counts towards the run that ends CONVERGING.
  LockStateMachine n;
  for (int i = 1; i < LockStateMachine::kConvergedPulses; ++i) n.on_used_pulse(0, 1);
  CHECK(n.state() == S::converging);
  n.on_used_pulse(0, 1);
  CHECK(n.state() == S::tracking);
}

TEST_CASE("holdover resumes after kResumePulses good pulses", "[unit][lock_state]") {
  LockStateMachine m = machine_in(S::holdover);
  // The run from before the outage still counts: a poor pulse ends it.
  m.on_used_pulse(1000, 10);
  for (int i = 1; i < LockStateMachine::kResumePulses; ++i) {
    m.on_used_pulse(0, 10);
    CHECK(m.state() == S::holdover);
  }
  CHECK(m.on_used_pulse(0, 10));
  CHECK(m.state() == S::tracking);
}

TEST_CASE("reacquire ends the run of good pulses", "[unit][lock_state]") {
  LockStateMachine m = machine_in(S::freerun);
  CHECK(m.apply(I::reacquire));
  CHECK(m.state() == S::acquiring);
  // Without the reset the run from before (kConvergedPulses long) would converge at once.
  for (int i = 1; i < LockStateMachine::kConvergedPulses; ++i) m.on_used_pulse(0, 1);
  CHECK(m.state() == S::converging);
  m.on_used_pulse(0, 1);
  CHECK(m.state() == S::tracking);
}
