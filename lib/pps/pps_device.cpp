#include "pps/pps_device.hpp"

#include <fcntl.h>
#include <linux/pps.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>

namespace nanotime::pps {
namespace {

std::string errno_text(int e) { return std::strerror(e); }

}  // namespace

PpsDevice::PpsDevice(phc::Syscalls& sys, std::string path) : sys_(sys), path_(std::move(path)) {
  const int fd = sys_.open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = -fd;
    throw PpsError(e, fmt::format("{}: {}{}", path_, errno_text(e),
                                  e == ENOENT ? " (is the pps-gpio overlay loaded? "
                                                "`dtoverlay=pps-gpio,gpiopin=N` in config.txt)"
                                              : e == EACCES ? " (run as root)" : ""));
  }
  fd_ = fd;
  // PPS_GETCAP's number declares the size of a pointer (a quirk of the uapi header) while the
  // kernel writes an int: a buffer of the declared size, so no reader goes past it.
  std::array<unsigned char, std::max(sizeof(void*), sizeof(int))> cap{};
  const int r = sys_.ioctl(fd_, PPS_GETCAP, cap.data());
  int mode = 0;
  std::memcpy(&mode, cap.data(), sizeof mode);
  if (r < 0) {
    sys_.close(fd_);
    fd_ = -1;
    throw PpsError(-r, fmt::format("{}: not a PPS device ({})", path_, errno_text(-r)));
  }
  if ((mode & PPS_CAPTUREASSERT) == 0) {
    sys_.close(fd_);
    fd_ = -1;
    throw PpsError(EINVAL, fmt::format("{}: the PPS source cannot timestamp rising edges", path_));
  }
}

PpsDevice::~PpsDevice() {
  if (fd_ >= 0) sys_.close(fd_);
}

std::optional<PpsTimestamp> PpsDevice::latest_assert() {
  // All zero: timeout 0 with flags 0 means "do not wait". A 32-bit process on a 64-bit kernel
  // (armhf Raspberry Pi OS) is read through the kernel's packed compat layout, which puts the
  // timeout where our padding is: zero there as well.
  struct pps_fdata data;
  std::memset(&data, 0, sizeof data);
  if (const int r = sys_.ioctl(fd_, PPS_FETCH, &data); r < 0) {
    throw PpsError(-r, fmt::format("{}: PPS_FETCH: {}", path_, errno_text(-r)));
  }
  const struct pps_ktime& t = data.info.assert_tu;
  if (data.info.assert_sequence == 0 && t.sec == 0 && t.nsec == 0) return std::nullopt;
  if (t.nsec < 0 || t.nsec >= 1'000'000'000) {
    throw PpsError(EINVAL, fmt::format("{}: the kernel returned a malformed time ({} ns)", path_,
                                       t.nsec));
  }
  return PpsTimestamp{data.info.assert_sequence,
                      static_cast<std::int64_t>(t.sec) * 1'000'000'000 + t.nsec};
}

std::optional<PpsTimestamp> PpsEdgeTracker::next(const std::optional<PpsTimestamp>& fetched) {
  if (!fetched) return std::nullopt;
  if (last_sequence_) {
    // Unsigned difference: the kernel's 32-bit count wraps.
    const std::uint32_t step = fetched->sequence - *last_sequence_;
    if (step == 0) return std::nullopt;
    missed_ += step - 1;
  }
  last_sequence_ = fetched->sequence;
  ++seen_;
  return fetched;
}

}  // namespace nanotime::pps
