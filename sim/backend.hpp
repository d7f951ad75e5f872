#pragma once
// `phc-pps-sync --simulate PROFILE --realtime`: the daemon on the simulated world (world.hpp)
// clocked by the host's clocks (conductor::Backend). The conductor and the outputs (chronyd
// SOCK, ptp4l, status) are the real ones.
//
// True UTC = host CLOCK_REALTIME + [sim] system_offset_s, so a chronyd -x fed by the daemon
// shows that offset. t = 0 is put on a whole true UTC second 1–2 s after start (PPS edges are at
// whole TAI seconds); [sim] start_utc, leap_second and duration_s are ignored (the run lasts
// until SIGTERM). The world fixes the devices: the configuration's device keys do not apply,
// and the engine is given the simulated antenna's cable delay, edges and driver limit.

#include <cstdint>
#include <memory>

#include "conductor/ports.hpp"
#include "sim/profile.hpp"

namespace nanotime::sim {

// max_freq_ppb: the daemon's configured clamp (the profile's max_adj_ppb applies as well).
std::unique_ptr<conductor::Backend> make_simulated(const Profile& profile, std::uint64_t seed,
                                                   conductor::Clocks& clocks,
                                                   double max_freq_ppb);

}  // namespace nanotime::sim
