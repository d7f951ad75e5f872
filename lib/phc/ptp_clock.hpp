#pragma once
// A PTP hardware clock (PHC): what phc-pps-sync needs from /dev/ptpN (docs/hardware-notes.md#phy,
// #ptp-uapi).
//
// The interface is small on purpose: the daemon and the simulator see the same one, and the
// Linux implementation (linux_ptp_clock.hpp) is a thin translation to ioctl/clock_adjtime.
// Errors are thrown as PhcError with the errno and a sentence that says what to do.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "phc/phc_read.hpp"

namespace nanotime::phc {

class PhcError : public std::runtime_error {
 public:
  PhcError(int errno_value, const std::string& message)
      : std::runtime_error(message), errno_(errno_value) {}
  int error_number() const { return errno_; }

 private:
  int errno_;
};

struct PhcCaps {
  int max_adj_ppb = 0;        // driver's limit (e.g. 100 000 000 on BCM54210PE: not a real one)
  int n_alarm = 0;
  int n_ext_ts = 0;           // EXTTS channels
  int n_per_out = 0;
  int n_pins = 0;             // programmable pins
  bool pps = false;
  bool cross_timestamping = false;  // PTP_SYS_OFFSET_PRECISE works
  bool adjust_phase = false;
};

// Values of the kernel's enum ptp_pin_function.
enum class PinFunction : unsigned { none = 0, extts = 1, perout = 2, physync = 3 };

// One EXTTS edge as the kernel reports it (struct ptp_extts_event).
struct ExttsRecord {
  unsigned channel = 0;
  std::int64_t phc_ns = 0;
};

// How a PHC − system offset was measured, best first.
enum class OffsetMethod { precise, extended, basic };
std::string_view method_name(OffsetMethod m);

// A failed PHC read (e.g. ETIMEDOUT from PTP_SYS_OFFSET_EXTENDED when an MDIO access times out,
// seen on CM5): the device is still there, this request gave nothing. The caller skips one
// sample; any other PhcError means the device itself is in trouble.
class PhcReadError : public PhcError {
 public:
  using PhcError::PhcError;
};

// Every read of one request, in the order the driver made them (some may be invalid: after <
// before when the system clock was stepped meanwhile). Choosing one is lib/transfer's job.
struct PhcReadings {
  OffsetMethod method = OffsetMethod::basic;
  std::vector<PhcRead> reads;
};

class PtpClock {
 public:
  virtual ~PtpClock() = default;

  virtual PhcCaps caps() = 0;
  // Route a pin to a function/channel (PTP_PIN_SETFUNC). Needed before EXTTS on the CM4 PHY.
  virtual void set_pin_function(unsigned pin, PinFunction func, unsigned channel) = 0;
  // Timestamp rising edges on `channel` (PTP_EXTTS_REQUEST2, falling back to the v1 ioctl).
  virtual void enable_extts(unsigned channel) = 0;
  virtual void disable_extts(unsigned channel) = 0;
  // Append every EXTTS event that is already queued; never blocks. Returns how many.
  virtual std::size_t read_extts(std::vector<ExttsRecord>& out) = 0;
  // Absolute frequency offset (positive runs faster), clamped to the configured limit and to
  // the driver's max_adj. Returns the value applied.
  virtual double set_frequency_ppb(double freq_ppb) = 0;
  // Step the clock by delta_ns (ADJ_SETOFFSET). Read-then-write in most drivers: µs-imprecise.
  virtual void step_ns(std::int64_t delta_ns) = 0;
  virtual std::int64_t now_ns() = 0;
  // One request for `reads` PHC reads bracketed by CLOCK_REALTIME, with the best method the
  // driver supports (PRECISE gives one exact read whatever `reads` says). Throws PhcReadError
  // when this request failed but the device lives, PhcError otherwise.
  virtual PhcReadings read_system(unsigned reads) = 0;
  // The file descriptor to poll for EXTTS events (POLLIN), or −1.
  virtual int poll_fd() const = 0;
};

}  // namespace nanotime::phc
