#pragma once
// One record of every type, with values that exercise each field (negative, optional absent
// and present, non-integral doubles).
#include <cmath>
#include <vector>

#include "recording/records.hpp"

namespace nanotime::recording::test {

inline std::vector<Record> one_of_each() {
  std::vector<Record> v;
  std::int64_t t = 1'000'000'000;
  const auto add = [&](Body b) { v.push_back({t += 1234567, std::move(b)}); };
  add(MonoRead{-5});
  add(RealRead{1'800'000'000'123'456'789});
  add(ExttsRead{{{0, 1'800'000'037'000'000'008}, {1, -3}}});
  phc::PhcReadings pr;
  pr.method = phc::OffsetMethod::extended;
  pr.reads = {{10, 20, 30}, {11, 21, 29}, {-1, 0, 1}};
  add(PhcReadings{pr});
  add(PhcFailure{110, true, "PTP_SYS_OFFSET_EXTENDED: Connection timed out"});
  add(GpioFetch{pps::PpsTimestamp{4'294'967'295u, 1'799'999'999'999'999'999}});
  add(GpioFetch{std::nullopt});
  add(GpioFailure{"fetch: No such device"});
  add(TodEvents{{gpsd::TimeReport{1, 2}, gpsd::PulseReport{3, 4, 5.25},
                 gpsd::PulseReport{6, 7, std::nullopt}, gpsd::FixState{3},
                 gpsd::SkyReport{9, 14}, gpsd::LeapInfo{18, -1}, gpsd::GpsdError{"bad"},
                 gpsd::Connected{}, gpsd::Disconnected{"EOF"}}});
  add(TodEvents{{}});
  add(Tick{41.625});
  add(Tick{std::nullopt});
  add(Carrier{false});
  phc::PhcCaps caps;
  caps.max_adj_ppb = 100'000'000;
  caps.n_ext_ts = 2;
  caps.n_pins = 2;
  caps.cross_timestamping = true;
  add(Caps{caps});
  add(PinFunction{1, 1, 0});
  add(ExttsEnable{0, false});
  add(Frequency{-12.345678901234567, -12.345678901234567});
  add(Step{-37'000'000'123});
  add(ChronySent{1'800'000'000'000'000'001, -0.5, 1, true});
  discipline::ClockQuality q;
  q.state = discipline::LockState::holdover;
  q.clock_class = 7;
  q.clock_accuracy = 0x21;
  q.offset_scaled_log_variance = 0x4e5d;
  q.error_bound_ns = INFINITY;
  q.leap61 = true;
  q.time_traceable = true;
  add(Quality{q});
  add(ReceiverMode{static_cast<std::uint8_t>(discipline::ReceiverTimeMode::survey_in)});
  return v;
}

}  // namespace nanotime::recording::test
