#pragma once
// One PHC read as PTP_SYS_OFFSET_EXTENDED reports it: the PHC value and the two system-clock
// (CLOCK_REALTIME) readings taken just before and just after the access that latched it. The
// driver latches the PHC somewhere inside [before, after]; where exactly depends on the driver
// (latch_model.hpp). See docs/hardware-notes.md#phc-read.
//
// The same type as the PHC read API's phc::PhcRead, so a request's reads come here unconverted.

#include "phc/phc_read.hpp"

namespace nanotime::transfer {

using Bracket = phc::PhcRead;

}  // namespace nanotime::transfer
