#pragma once
// The lock-state machine: ACQUIRING → CONVERGING → TRACKING → HOLDOVER → FREERUN, and back.
// Pure: the engine observes what happened (a pulse used, a step, pulses missing, the bound
// growing) and tells it as an input; the table in next_lock_state() says where that leads,
// and the engine follows (resetting the servo or the labels where the state says so).

#include <cstdint>

#include "discipline/events.hpp"

namespace nanotime::discipline {

enum class LockInput : std::uint8_t {
  unaligned_pulse,   // the servo took a pulse but is not locked; labels not aligned to the PHC
  aligned_pulse,     // the same with labels aligned (within the step threshold, or stepped)
  used_pulse,        // a pulse the servo used; fewer than kResumePulses good ones in a row
  resumed_pulse,     // … at least kResumePulses good ones in a row (enough to leave holdover)
  converged_pulse,   // … at least kConvergedPulses good ones in a row (enough to converge)
  step,              // the servo stepped the PHC
  far_pulse,         // a pulse beyond the step threshold while the servo runs (after an outage)
  pulses_missing,    // no used pulse for longer than holdover_after_s
  bound_over_limit,  // the error bound reached holdover_limit_ns
  labels_doubtful,   // the bound is so wide that the PHC can no longer label pulses
  reacquire,         // the labels must start over (ToD and PHC labels kept disagreeing)
};
inline constexpr int kLockInputs = static_cast<int>(LockInput::reacquire) + 1;
inline constexpr int kLockStates = static_cast<int>(LockState::freerun) + 1;

// The whole transition table: where `input` leads from `state` (itself where it changes nothing).
LockState next_lock_state(LockState state, LockInput input);

// The current state plus the run of good pulses that decides between used, resumed and
// converged pulses.
class LockStateMachine {
 public:
  static constexpr double kConvergedNs = 100;  // |phase| and its 1σ below this: a good pulse
  static constexpr int kConvergedPulses = 5;   // good pulses in a row: CONVERGING → TRACKING
  static constexpr int kResumePulses = 2;      // the same, back from HOLDOVER or FREERUN

  LockState state() const { return state_; }
  // Returns whether the state changed. step and reacquire also end the run of good pulses.
  bool apply(LockInput input);
  // A pulse the servo used, with its phase estimate and that estimate's 1σ.
  bool on_used_pulse(double phase_ns, double sd_ns);

 private:
  LockState state_ = LockState::acquiring;
  int good_pulses_ = 0;
};

}  // namespace nanotime::discipline
