#include "discipline/lock_state.hpp"

#include <array>
#include <cmath>

namespace nanotime::discipline {

namespace {

using S = LockState;

// One row per state, one column per LockInput (in declaration order).
constexpr std::array<std::array<LockState, kLockInputs>, kLockStates> kTable = {{
    //  unaligned     aligned       used          resumed       converged     step
    //  far           missing       over_limit    doubtful      reacquire
    {{S::acquiring, S::converging, S::converging, S::converging, S::converging, S::converging,
      S::acquiring, S::acquiring, S::acquiring, S::acquiring, S::acquiring}},  // acquiring
    {{S::acquiring, S::converging, S::converging, S::converging, S::tracking, S::converging,
      S::converging, S::converging, S::converging, S::converging, S::acquiring}},  // converging
    // A servo that loses lock while tracking starts over; no pulse at all is HOLDOVER.
    {{S::acquiring, S::converging, S::tracking, S::tracking, S::tracking, S::converging,
      S::tracking, S::holdover, S::tracking, S::tracking, S::acquiring}},  // tracking
    // Without pulses the servo keeps its state; a few good pulses resume tracking, a far one
    // (beyond the step threshold) starts the servo over; a bound too wide for the PHC to label
    // pulses by means the labels start over too.
    {{S::holdover, S::holdover, S::holdover, S::tracking, S::tracking, S::converging,
      S::converging, S::holdover, S::freerun, S::acquiring, S::acquiring}},  // holdover
    {{S::freerun, S::freerun, S::freerun, S::tracking, S::tracking, S::converging,
      S::converging, S::freerun, S::freerun, S::acquiring, S::acquiring}},  // freerun
}};

}  // namespace

LockState next_lock_state(LockState state, LockInput input) {
  return kTable[static_cast<std::size_t>(state)][static_cast<std::size_t>(input)];
}

bool LockStateMachine::apply(LockInput input) {
  if (input == LockInput::step || input == LockInput::reacquire) good_pulses_ = 0;
  const LockState next = next_lock_state(state_, input);
  const bool changed = next != state_;
  state_ = next;
  return changed;
}

bool LockStateMachine::on_used_pulse(double phase_ns, double sd_ns) {
  const bool good = std::fabs(phase_ns) < kConvergedNs && sd_ns < kConvergedNs;
  good_pulses_ = good ? good_pulses_ + 1 : 0;
  if (good_pulses_ >= kConvergedPulses) return apply(LockInput::converged_pulse);
  if (good_pulses_ >= kResumePulses) return apply(LockInput::resumed_pulse);
  return apply(LockInput::used_pulse);
}

}  // namespace nanotime::discipline
