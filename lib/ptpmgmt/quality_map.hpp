#pragma once
// What the discipline engine's ClockQuality means for ptp4l: the GRANDMASTER_SETTINGS_NP
// payload (docs/hardware-notes.md#linuxptp). Pure.
//
// The PHC counts TAI, so ptpTimescale is always set and timeSource is GNSS (0x20). The UTC
// offset is marked valid only when the engine says so; traceability and leap flags come
// straight from the quality.

#include "discipline/events.hpp"
#include "ptpmgmt/messages.hpp"

namespace nanotime::ptpmgmt {

GrandmasterSettings to_grandmaster_settings(const discipline::ClockQuality& q);

}  // namespace nanotime::ptpmgmt
