#include "phc/linux_ptp_clock.hpp"

#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/ptp_clock.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "phc/phc_abi.hpp"
#include "util/units.hpp"

namespace nanotime::phc {
namespace {

// Hints for the errors a user can fix.
std::string hint_for(int err) {
  switch (err) {
    case EPERM:
    case EACCES: return "needs root or CAP_SYS_TIME";
    case ENODEV:
    case ENXIO: return "the PHC went away (driver unloaded or interface removed)";
    case ENOENT: return "no such PTP clock device; check `ls /dev/ptp*` and the configured device";
    case EOPNOTSUPP:
    case ENOTTY: return "the driver does not support this operation";
    case ERANGE: return "value beyond the driver's max_adj";
    default: return {};
  }
}

bool unsupported(int err) { return err == EOPNOTSUPP || err == ENOTTY || err == EINVAL; }

// Errors of one read on a device that is still there: an MDIO access that timed out (ETIMEDOUT,
// seen on CM5), a bus error, an interrupted or busy driver. ENODEV, EBADF & co. are not.
bool transient_read_error(int err) {
  return err == ETIMEDOUT || err == EIO || err == EAGAIN || err == EBUSY || err == EINTR;
}

}  // namespace

void LinuxPtpClock::fail(int err, const std::string& what, const std::string& hint) const {
  std::string h = hint.empty() ? hint_for(err) : hint;
  throw PhcError(err, fmt::format("{}: {}: {}{}{}", device_, what, std::strerror(err),
                                  h.empty() ? "" : " (", h.empty() ? "" : h + ")"));
}

LinuxPtpClock::LinuxPtpClock(Syscalls& sys, std::string device, LinuxPtpClockOptions options)
    : sys_(sys), device_(std::move(device)), options_(options) {
  int fd = sys_.open(device_.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail(-fd, "cannot open read-write");
  fd_ = fd;
}

LinuxPtpClock::~LinuxPtpClock() {
  if (fd_ >= 0) sys_.close(fd_);
}

PhcCaps LinuxPtpClock::caps() {
  struct ptp_clock_caps c {};
  int r = sys_.ioctl(fd_, PTP_CLOCK_GETCAPS, &c);
  if (r < 0) fail(-r, "PTP_CLOCK_GETCAPS failed");
  max_adj_ppb_ = c.max_adj;
  PhcCaps out;
  out.max_adj_ppb = c.max_adj;
  out.n_alarm = c.n_alarm;
  out.n_ext_ts = c.n_ext_ts;
  out.n_per_out = c.n_per_out;
  out.n_pins = c.n_pins;
  out.pps = c.pps != 0;
  out.cross_timestamping = c.cross_timestamping != 0;
  out.adjust_phase = c.adjust_phase != 0;
  return out;
}

void LinuxPtpClock::set_pin_function(unsigned pin, PinFunction func, unsigned channel) {
  struct ptp_pin_desc desc {};
  desc.index = pin;
  desc.func = static_cast<unsigned>(func);
  desc.chan = channel;
  int r = sys_.ioctl(fd_, PTP_PIN_SETFUNC2, &desc);
  if (r == -ENOTTY) r = sys_.ioctl(fd_, PTP_PIN_SETFUNC, &desc);  // kernels without the "2"s
  if (r < 0) {
    fail(-r, fmt::format("PTP_PIN_SETFUNC pin {} func {} channel {} failed", pin,
                         static_cast<unsigned>(func), channel),
         -r == EINVAL ? "pin index, function or channel out of range for this PHC" : "");
  }
}

void LinuxPtpClock::extts_request(unsigned channel, unsigned flags, const char* what) {
  struct ptp_extts_request req {};
  req.index = channel;
  req.flags = flags | PTP_STRICT_FLAGS;
  int r = sys_.ioctl(fd_, PTP_EXTTS_REQUEST2, &req);
  if (r < 0 && unsupported(-r)) {
    // v1: no STRICT flag (the kernel masks it anyway), rising edge asked for but not enforced.
    struct ptp_extts_request v1 {};
    v1.index = channel;
    v1.flags = flags;
    r = sys_.ioctl(fd_, PTP_EXTTS_REQUEST, &v1);
  }
  if (r < 0) {
    fail(-r, fmt::format("{} EXTTS channel {} failed", what, channel),
         -r == EBUSY ? "pin function not set to EXTTS: set the pin (PTP_PIN_SETFUNC) first"
         : -r == EINVAL ? "channel out of range for this PHC"
                        : "");
  }
}

void LinuxPtpClock::enable_extts(unsigned channel) {
  extts_request(channel, PTP_ENABLE_FEATURE | PTP_RISING_EDGE, "enabling");
}

void LinuxPtpClock::disable_extts(unsigned channel) {
  extts_request(channel, PTP_RISING_EDGE, "disabling");
}

std::size_t LinuxPtpClock::read_extts(std::vector<ExttsRecord>& out) {
  std::size_t total = 0;
  // Bounded: a flood of events cannot keep us here.
  for (int round = 0; round < 8; ++round) {
    struct pollfd p {};
    p.fd = fd_;
    p.events = POLLIN;
    int pr = sys_.poll(&p, 1, 0);
    if (pr == -EINTR) continue;
    if (pr < 0) fail(-pr, "poll failed");
    if (pr == 0 || !(p.revents & POLLIN)) break;
    std::array<struct ptp_extts_event, 16> buf{};
    ssize_t n = sys_.read(fd_, buf.data(), sizeof(buf));
    if (n == -EAGAIN || n == -EINTR) break;
    if (n < 0) fail(static_cast<int>(-n), "reading EXTTS events failed");
    auto events = parse_extts_events(
        std::span<const std::byte>(reinterpret_cast<const std::byte*>(buf.data()),
                                   static_cast<std::size_t>(n)));
    out.insert(out.end(), events.begin(), events.end());
    total += events.size();
    if (static_cast<std::size_t>(n) < sizeof(buf)) break;
  }
  return total;
}

double LinuxPtpClock::set_frequency_ppb(double freq_ppb) {
  if (max_adj_ppb_ < 0) caps();
  double applied = clamp_frequency_ppb(freq_ppb, options_.max_freq_ppb, max_adj_ppb_);
  struct timex tx = timex_for_frequency(applied);
  int r = sys_.clock_adjtime(clock_id(), &tx);
  if (r < 0) fail(-r, fmt::format("setting frequency {:.3f} ppb failed", applied));
  return applied;
}

void LinuxPtpClock::step_ns(std::int64_t delta_ns) {
  struct timex tx = timex_for_step(delta_ns);
  int r = sys_.clock_adjtime(clock_id(), &tx);
  if (r < 0) fail(-r, fmt::format("stepping by {} ns failed", delta_ns));
}

std::int64_t LinuxPtpClock::now_ns() {
  struct timespec ts {};
  int r = sys_.clock_gettime(clock_id(), &ts);
  if (r < 0) fail(-r, "clock_gettime failed");
  return static_cast<std::int64_t>(ts.tv_sec) * util::kNsPerS + ts.tv_nsec;
}

void LinuxPtpClock::fail_read(int err, const std::string& what) const {
  // A request that failed on a living device: one sample lost, not the daemon.
  if (transient_read_error(err)) {
    throw PhcReadError(err, fmt::format("{}: {}: {} (this read only; the next pulse reads again)",
                                        device_, what, std::strerror(err)));
  }
  fail(err, what);
}

PhcReadings LinuxPtpClock::read_system(unsigned reads) {
  if (reads == 0) reads = 1;
  if (reads > PTP_MAX_SAMPLES) reads = PTP_MAX_SAMPLES;
  if (!precise_unsupported_) {
    struct ptp_sys_offset_precise p {};
    int r = sys_.ioctl(fd_, PTP_SYS_OFFSET_PRECISE, &p);
    if (r >= 0) return PhcReadings{OffsetMethod::precise, {precise_read(p)}};
    if (!unsupported(-r)) fail_read(-r, "PTP_SYS_OFFSET_PRECISE failed");
    precise_unsupported_ = true;  // no getcrosststamp (e.g. the CM4 PHY): never ask again
  }
  if (!extended_unsupported_) {
    struct ptp_sys_offset_extended e {};
    e.n_samples = reads;
    int r = sys_.ioctl(fd_, PTP_SYS_OFFSET_EXTENDED, &e);
    if (r >= 0) {
      if (auto v = extended_reads(e)) return PhcReadings{OffsetMethod::extended, std::move(*v)};
      fail_read(EIO, "PTP_SYS_OFFSET_EXTENDED returned no reads");
    }
    if (!unsupported(-r)) fail_read(-r, "PTP_SYS_OFFSET_EXTENDED failed");
    extended_unsupported_ = true;
  }
  struct ptp_sys_offset b {};
  b.n_samples = reads;
  int r = sys_.ioctl(fd_, PTP_SYS_OFFSET, &b);
  if (r < 0) fail_read(-r, "PTP_SYS_OFFSET failed");
  if (auto v = basic_reads(b)) return PhcReadings{OffsetMethod::basic, std::move(*v)};
  fail_read(EIO, "PTP_SYS_OFFSET returned no reads");
}

std::string phc_device_for_interface(Syscalls& sys, const std::string& ifname) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
    throw PhcError(EINVAL, fmt::format("invalid interface name '{}'", ifname));
  }
  int fd = sys.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw PhcError(-fd, fmt::format("socket for ETHTOOL_GET_TS_INFO: {}", std::strerror(-fd)));
  }
  struct ethtool_ts_info info {};
  info.cmd = ETHTOOL_GET_TS_INFO;
  struct ifreq ifr {};
  std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
  ifr.ifr_data = reinterpret_cast<char*>(&info);
  int r = sys.ioctl(fd, SIOCETHTOOL, &ifr);
  sys.close(fd);
  if (r < 0) {
    throw PhcError(-r, fmt::format("{}: ETHTOOL_GET_TS_INFO failed: {}{}", ifname,
                                   std::strerror(-r),
                                   -r == ENODEV ? " (no such interface)" : ""));
  }
  if (info.phc_index < 0) {
    throw PhcError(ENODEV, fmt::format("{}: the interface has no PTP hardware clock "
                                       "(ethtool -T {} shows 'PTP Hardware Clock: none')",
                                       ifname, ifname));
  }
  return fmt::format("/dev/ptp{}", info.phc_index);
}

}  // namespace nanotime::phc
