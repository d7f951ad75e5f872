#include "ubx/receiver_state.hpp"

#include <algorithm>

#include "ubx/keys.hpp"

namespace nanotime::ubx {

std::string_view to_string(TimeMode m) {
  switch (m) {
    case TimeMode::survey_in: return "survey_in";
    case TimeMode::fixed: return "fixed";
    case TimeMode::navigation: return "navigation";
    case TimeMode::unknown: break;
  }
  return "unknown";
}

std::string_view to_string(Antenna a) {
  switch (a) {
    case Antenna::ok: return "ok";
    case Antenna::short_circuit: return "short";
    case Antenna::open: return "open";
    case Antenna::off: return "off";
    case Antenna::unknown: break;
  }
  return "unknown";
}

std::string_view to_string(JammingState j) {
  switch (j) {
    case JammingState::ok: return "ok";
    case JammingState::warning: return "warning";
    case JammingState::critical: return "critical";
    case JammingState::unknown: break;
  }
  return "unknown";
}

bool tim_tp_present(const ReceiverState& s, std::int64_t now_mono_ns) {
  if (!s.last_tim_tp_mono_ns) return false;
  const std::int64_t age_ns = now_mono_ns - *s.last_tim_tp_mono_ns;
  return age_ns >= 0 && age_ns <= kTimTpPresentWindowNs;
}

namespace {

// The configured time mode (CFG-TMODE2 timeMode, CFG-TMODE-MODE) as the receiver runs it: a
// survey-in that has finished with a valid position leaves the receiver in fixed mode.
TimeMode from_config(std::uint64_t mode, const SurveyState& survey) {
  switch (mode) {
    case 0: return TimeMode::navigation;
    case 1: return survey.seen && survey.valid && !survey.active ? TimeMode::fixed
                                                                 : TimeMode::survey_in;
    case 2: return TimeMode::fixed;
    default: return TimeMode::unknown;
  }
}

void apply(ReceiverState& s, const MonVer& v) {
  const ReceiverInfo info = classify(v);
  s.identified = true;
  s.model = info.model;
  s.firmware = info.firmware;
  s.hw_version = v.hw_version;
  s.protocol_version = info.protocol_version;
  s.generation = info.generation;
  s.timing_model = info.timing_model;
}

void apply(ReceiverState& s, const TimSvin& t) {
  s.survey = SurveyState{true, t.active, t.valid, t.dur_s, t.accuracy_m(), t.obs};
  if (t.active) {
    s.time_mode = TimeMode::survey_in;
  } else if (t.valid) {
    s.time_mode = TimeMode::fixed;
  } else if (s.time_mode == TimeMode::survey_in) {
    // The survey stopped without a position: the mode was changed; a readback will tell.
    s.time_mode = TimeMode::unknown;
  }
}

Antenna antenna_from(std::uint8_t status, std::uint8_t power) {
  switch (AntennaStatus(status)) {
    case AntennaStatus::ok: return Antenna::ok;
    case AntennaStatus::short_circuit: return Antenna::short_circuit;
    case AntennaStatus::open: return Antenna::open;
    default: break;
  }
  // Without supervision the status stays INIT/DONTKNOW; an unpowered antenna is worth saying.
  return AntennaPower(power) == AntennaPower::off ? Antenna::off : Antenna::unknown;
}

// Ranks antenna states so that with several RF blocks the worst one is shown.
int severity(Antenna a) {
  switch (a) {
    case Antenna::short_circuit: return 4;
    case Antenna::open: return 3;
    case Antenna::off: return 2;
    case Antenna::unknown: return 1;
    case Antenna::ok: break;
  }
  return 0;
}

void apply(ReceiverState& s, const MonHw& h) {
  s.antenna = antenna_from(h.a_status, h.a_power);
  s.jamming_indicator = h.jam_ind;
  s.jamming_state = h.jamming_state();
}

void apply(ReceiverState& s, const MonRf& r) {
  if (r.blocks.empty()) return;
  Antenna worst = Antenna::ok;
  std::uint8_t jam = 0;
  JammingState state = JammingState::unknown;
  for (const auto& b : r.blocks) {
    const Antenna a = antenna_from(b.ant_status, b.ant_power);
    if (severity(a) > severity(worst)) worst = a;
    jam = std::max(jam, b.jam_ind);
    state = std::max(state, b.jamming_state());
  }
  s.antenna = worst;
  s.jamming_indicator = jam;
  s.jamming_state = state;
}

void apply(ReceiverState& s, const CfgValgetResponse& r) {
  // Only the RAM layer is what the receiver runs now; BBR/flash/default are what it would
  // load at the next start.
  if (r.layer != std::uint8_t(GetLayer::ram)) return;
  for (const auto& kv : r.items) {
    if (kv.key == key::CFG_TMODE_MODE) s.time_mode = from_config(kv.value, s.survey);
  }
}

// Decodes with `decode` and applies; a failure is counted.
template <class Decode>
void fold_with(ReceiverState& s, const Frame& f, Decode decode) {
  auto r = decode(f);
  if (auto* e = std::get_if<DecodeError>(&r)) {
    ++s.decode_errors;
    s.last_decode_error = e->message;
    return;
  }
  apply(s, std::get<0>(std::move(r)));
}

void dispatch(ReceiverState& s, const Frame& f, std::int64_t now_mono_ns) {
  const auto key = std::uint16_t(f.msg_class << 8 | f.msg_id);
  switch (key) {
    case cls::mon << 8 | id::mon_ver: fold_with(s, f, decode_mon_ver); break;
    case cls::tim << 8 | id::tim_svin: fold_with(s, f, decode_tim_svin); break;
    case cls::mon << 8 | id::mon_hw: fold_with(s, f, decode_mon_hw); break;
    case cls::mon << 8 | id::mon_rf: fold_with(s, f, decode_mon_rf); break;
    case cls::nav << 8 | id::nav_pvt: {
      auto r = decode_nav_pvt(f);
      if (auto* p = std::get_if<NavPvt>(&r)) {
        s.satellites_used = p->num_sv;
      } else {
        ++s.decode_errors;
        s.last_decode_error = std::get<DecodeError>(r).message;
      }
      break;
    }
    case cls::tim << 8 | id::tim_tp: {
      auto r = decode_tim_tp(f);
      if (auto* t = std::get_if<TimTp>(&r)) {
        s.last_tim_tp = *t;
        s.last_tim_tp_mono_ns = now_mono_ns;
      } else {
        ++s.decode_errors;
        s.last_decode_error = std::get<DecodeError>(r).message;
      }
      break;
    }
    case cls::cfg << 8 | id::cfg_tmode2: {
      if (f.payload.empty()) break;  // our own poll echoed back (e.g. gpsd raw mode)
      auto r = decode_cfg_tmode2(f);
      if (auto* t = std::get_if<CfgTmode2>(&r)) {
        s.time_mode = from_config(t->time_mode, s.survey);
      } else {
        ++s.decode_errors;
        s.last_decode_error = std::get<DecodeError>(r).message;
      }
      break;
    }
    case cls::cfg << 8 | id::cfg_valget: {
      // Version 0 is a poll (ours, seen again); only responses carry values.
      if (f.payload.empty() || f.payload[0] == 0) break;
      fold_with(s, f, decode_cfg_valget_response);
      break;
    }
    default: break;  // not a message the state follows
  }
}

// Everything a reader shows, i.e. all but the bookkeeping and the TIM-TP refresh.
bool same_view(const ReceiverState& a, const ReceiverState& b) {
  ReceiverState x = a;
  ReceiverState y = b;
  for (ReceiverState* s : {&x, &y}) {
    s->frames = 0;
    s->decode_errors = 0;
    s->last_decode_error.clear();
    s->last_tim_tp_mono_ns.reset();
    s->last_tim_tp = TimTp{};
  }
  return x == y;
}

}  // namespace

bool fold(ReceiverState& s, const Frame& f, std::int64_t now_mono_ns) {
  const ReceiverState before = s;
  ++s.frames;
  dispatch(s, f, now_mono_ns);
  return !same_view(before, s) ||
         tim_tp_present(before, now_mono_ns) != tim_tp_present(s, now_mono_ns);
}

}  // namespace nanotime::ubx
