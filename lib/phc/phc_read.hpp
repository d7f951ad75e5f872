#pragma once
// One PHC read with the system clock around it, as PTP_SYS_OFFSET_EXTENDED reports it: the PHC
// value and the two CLOCK_REALTIME readings taken just before and just after the access that
// latched it (docs/hardware-notes.md#phc-read). PTP_SYS_OFFSET gives the same triples;
// PTP_SYS_OFFSET_PRECISE (a hardware cross-timestamp) one read with before == after.
// Kept free of any I/O so that lib/transfer (pure) consumes it directly (transfer::Bracket).

#include <cstdint>

namespace nanotime::phc {

struct PhcRead {
  std::int64_t before_ns = 0;  // system clock before the access
  std::int64_t phc_ns = 0;     // the PHC value latched during it
  std::int64_t after_ns = 0;   // system clock after it
  std::int64_t width_ns() const { return after_ns - before_ns; }
};

}  // namespace nanotime::phc
