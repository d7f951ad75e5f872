#pragma once
// Typed events from gpsd (libgps 3.22 and later). The translator (translator.hpp) turns one
// libgps snapshot into these; GpsdClient (client.hpp) adds the connection events.
//
// Times are int64 nanoseconds since the POSIX epoch:
//   real_ns   what the receiver says the time was (GNSS time, as UTC without leap seconds)
//   clock_ns  what the system clock (CLOCK_REALTIME) read at the same instant
// so real_ns − clock_ns is "true − system" for that instant.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace nanotime::gpsd {

// gpsd TOFF: the serial time message for GNSS second `real_ns` arrived at system time
// `clock_ns`. The difference includes the serial delay (message after the edge).
struct TimeReport {
  std::int64_t real_ns = 0;
  std::int64_t clock_ns = 0;
};

// gpsd PPS: the edge of GNSS second `real_ns` was seen by gpsd's PPS source at system time
// `clock_ns`. qerr_ns: the receiver's quantisation error of this pulse (u-blox TIM-TP, gpsd's
// `qErr` in ps / 1000), when reported. libgps 3.22 cannot tell "absent" from 0, so 0 → absent.
struct PulseReport {
  std::int64_t real_ns = 0;
  std::int64_t clock_ns = 0;
  std::optional<double> qerr_ns;
};

// TPV mode: 0 not seen, 1 no fix, 2 2D, 3 3D (gpsd omits `status` for plain fixes:
// docs/hardware-notes.md#gpsd).
struct FixState {
  int mode = 0;
};

// SKY: satellites used in the solution / visible.
struct SkyReport {
  int satellites_used = 0;
  int satellites_visible = 0;
};

// TPV `leapseconds`: GPS − UTC in seconds (TAI − UTC = GPS − UTC + 19). libgps 3.22 exposes no
// pending-leap warning (it does not decode the subframe-4 page-18 UTC parameters into JSON
// fields a client can read), so the translator always leaves `pending` at 0; a source that
// knows of a scheduled leap (the simulated receiver) sets it.
struct LeapInfo {
  int gps_minus_utc_s = 0;
  int pending = 0;  // leap second at the end of this UTC day: +1 inserted, −1 deleted, 0 none
  int tai_minus_utc_s() const { return gps_minus_utc_s + 19; }
};

// gpsd's ERROR object (e.g. an unknown command); logged, nothing else.
struct GpsdError {
  std::string message;
};

struct Connected {};
struct Disconnected {
  std::string reason;
};

using Event = std::variant<TimeReport, PulseReport, FixState, SkyReport, LeapInfo, GpsdError,
                           Connected, Disconnected>;

}  // namespace nanotime::gpsd
