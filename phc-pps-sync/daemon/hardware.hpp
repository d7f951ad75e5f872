#pragma once
// The daemon's devices on a real board: the Linux PHC of the configured interface (or device),
// the interface's carrier from netlink and the board's temperature file (conductor::Backend).
// The time-of-day source (gpsd or the system clock) is the daemon's own: a reload may replace it.

#include <memory>

#include "conductor/ports.hpp"
#include "daemon/config.hpp"

namespace nanotime::ppsd {

// Opens the devices the configuration names. Throws phc::PhcError, std::system_error,
// std::runtime_error (an unknown interface, a missing device).
std::unique_ptr<conductor::Backend> make_hardware(const DaemonConfig& config);

}  // namespace nanotime::ppsd
