#pragma once
// PtpClock over /dev/ptpN (Linux PTP uapi, <linux/ptp_clock.h>; docs/hardware-notes.md#phy,
// #ptp-uapi).
//
// Traps handled here:
//  - opened O_RDWR: kernels ≥ 6.15 refuse the ioctls on a read-only PHC fd;
//  - read() on a PHC blocks whatever O_NONBLOCK says (6.1 ptp_read ignores it): read_extts()
//    polls with a zero timeout first and reads only when POLLIN is set;
//  - PTP_EXTTS_REQUEST2 insists on an edge flag and is missing or stricter on some kernels:
//    on EINVAL/ENOTTY/EOPNOTSUPP the v1 PTP_EXTTS_REQUEST is tried;
//  - clock_adjtime acts on one mode per call on a PHC (ADJ_SETOFFSET wins over ADJ_FREQUENCY);
//  - driver max_adj is not a real limit (100 000 000 ppb on the CM4 PHY): frequency is clamped
//    to a configured limit far below it;
//  - PRECISE → EXTENDED → basic offset methods; the first that works is remembered; a read
//    that fails on a living device (ETIMEDOUT on CM5) is a PhcReadError, not a dead PHC.
// Every system call goes through Syscalls so that the tests can check them.

#include <string>

#include "phc/ptp_clock.hpp"
#include "phc/syscalls.hpp"

namespace nanotime::phc {

struct LinuxPtpClockOptions {
  double max_freq_ppb = 500'000;  // clamp; a crystal is within ±100 ppm, so 500 ppm is plenty
};

// Owns the fd (closed through Syscalls on destruction).
class LinuxPtpClock final : public PtpClock {
 public:
  // Opens `device` (e.g. "/dev/ptp0") read-write.
  LinuxPtpClock(Syscalls& sys, std::string device, LinuxPtpClockOptions options = {});
  ~LinuxPtpClock() override;
  LinuxPtpClock(const LinuxPtpClock&) = delete;
  LinuxPtpClock& operator=(const LinuxPtpClock&) = delete;

  PhcCaps caps() override;
  void set_pin_function(unsigned pin, PinFunction func, unsigned channel) override;
  void enable_extts(unsigned channel) override;
  void disable_extts(unsigned channel) override;
  std::size_t read_extts(std::vector<ExttsRecord>& out) override;
  double set_frequency_ppb(double freq_ppb) override;
  void step_ns(std::int64_t delta_ns) override;
  std::int64_t now_ns() override;
  PhcReadings read_system(unsigned reads) override;
  int poll_fd() const override { return fd_; }

  clockid_t clock_id() const { return clock_id_from_fd(fd_); }
  const std::string& device() const { return device_; }

 private:
  void extts_request(unsigned channel, unsigned flags, const char* what);
  [[noreturn]] void fail(int err, const std::string& what, const std::string& hint = {}) const;
  // PhcReadError for a transient error of a read request, PhcError otherwise.
  [[noreturn]] void fail_read(int err, const std::string& what) const;

  Syscalls& sys_;
  std::string device_;
  LinuxPtpClockOptions options_;
  int fd_ = -1;
  int max_adj_ppb_ = -1;  // from caps(), fetched lazily
  bool precise_unsupported_ = false;
  bool extended_unsupported_ = false;
};

// "/dev/ptpN" of the PHC behind a network interface (ETHTOOL_GET_TS_INFO on an AF_INET dgram
// socket). Throws PhcError when the interface has none (phc_index −1) or does not exist.
std::string phc_device_for_interface(Syscalls& sys, const std::string& ifname);

}  // namespace nanotime::phc
