#pragma once
// A kernel PPS source (/dev/ppsN, RFC 2783 in the kernel's LinuxPPS form): the system-clock
// timestamp the kernel took for each pulse, here the GPIO PPS that the pps-gpio overlay sets up.
// phc-pps-sync reads it alongside gpsd (any number of readers may fetch) as the independent
// reference of the PHC-to-system transfer (transfer/gpio_cross_check.hpp).
//
// Only two ioctls are used, PPS_GETCAP and PPS_FETCH — what pps-tools' time_pps_getcap and
// time_pps_fetch wrap — through the kernel seam (phc/syscalls.hpp) so tests can script them.
// The fetch never waits: it is called after an EXTTS event, when the GPIO pulse of the same edge
// was timestamped long ago (µs after the edge, the EXTTS event ≥ 0 s and ≤ 250 ms after it).

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "phc/syscalls.hpp"

namespace nanotime::pps {

class PpsError : public std::runtime_error {
 public:
  PpsError(int errno_value, const std::string& message)
      : std::runtime_error(message), errno_(errno_value) {}
  int error_number() const { return errno_; }

 private:
  int errno_;
};

// One assert (rising) edge as the kernel timestamped it.
struct PpsTimestamp {
  std::uint32_t sequence = 0;  // the kernel's assert count (wraps)
  std::int64_t system_ns = 0;  // CLOCK_REALTIME at the interrupt
};

class PpsDevice {
 public:
  // Opens read-only and checks that the source captures assert edges. Throws PpsError with a
  // sentence saying what to check (the overlay, the device name, permissions).
  PpsDevice(phc::Syscalls& sys, std::string path);
  ~PpsDevice();
  PpsDevice(const PpsDevice&) = delete;
  PpsDevice& operator=(const PpsDevice&) = delete;

  // The latest assert edge, without waiting; nullopt before the first one. Throws PpsError on a
  // failed fetch (the device went away).
  std::optional<PpsTimestamp> latest_assert();
  const std::string& path() const { return path_; }

 private:
  phc::Syscalls& sys_;
  std::string path_;
  int fd_ = -1;
};

// Which fetched edges are new, and how many the reader missed between two fetches.
class PpsEdgeTracker {
 public:
  // The edge if it is one not seen before (counting any skipped over), else nullopt.
  std::optional<PpsTimestamp> next(const std::optional<PpsTimestamp>& fetched);
  std::uint64_t missed() const { return missed_; }
  std::uint64_t seen() const { return seen_; }

 private:
  std::optional<std::uint32_t> last_sequence_;
  std::uint64_t missed_ = 0;
  std::uint64_t seen_ = 0;
};

}  // namespace nanotime::pps
