#pragma once
// The daemon's devices on a real board: the Linux PHC of the configured interface (or device),
// the interface's carrier from netlink and the board's temperature file (conductor::Backend).
// With gpio_pps_device, the same PPS on a GPIO (/dev/ppsN). The time-of-day source (gpsd or the system clock) is the daemon's own: a reload may replace it.

#include <memory>
#include <string>

#include "conductor/ports.hpp"
#include "daemon/config.hpp"

namespace nanotime::ppsd {

// Opens the devices the configuration names. Throws phc::PhcError, std::system_error,
// std::runtime_error (an unknown interface, a missing device).
// A GPIO PPS that cannot be opened is an error naming gpio_pps_device: setup wrote chronyd's
// PHC0 precision for a box with that wire, so running without it would make it a lie.
std::unique_ptr<conductor::Backend> make_hardware(const DaemonConfig& config);

// The PHC driver's name (/sys/class/ptp/ptpN/clock_name) of a PHC device; "" when unknown.
std::string clock_name_of(const std::string& device);

}  // namespace nanotime::ppsd
