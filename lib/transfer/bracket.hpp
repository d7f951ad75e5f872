#pragma once
// One PHC read as PTP_SYS_OFFSET_EXTENDED reports it: the PHC value and the two system-clock
// (CLOCK_REALTIME) readings taken just before and just after the access that latched it. The
// driver latches the PHC somewhere inside [before, after]; where exactly depends on the driver
// (latch_model.hpp). See docs/hardware-notes.md#phc-read.

#include <cstdint>

namespace nanotime::transfer {

struct Bracket {
  std::int64_t before_ns = 0;  // system clock before the access
  std::int64_t phc_ns = 0;     // the PHC value latched during it
  std::int64_t after_ns = 0;   // system clock after it
  std::int64_t width_ns() const { return after_ns - before_ns; }
};

}  // namespace nanotime::transfer
