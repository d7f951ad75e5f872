// The GPIO PPS reader: ioctl numbers and struct offsets computed by hand from the kernel's
// include/uapi/linux/pps.h (not with the macros the code uses), errors that say what to check,
// and sequence tracking across losses and the 32-bit wrap.
#include <catch2/catch.hpp>

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "fake_syscalls.hpp"
#include "pps/pps_device.hpp"

using namespace nanotime::pps;
using nanotime::phc::test::FakeSyscalls;
using Catch::Matchers::Contains;

namespace {

// _IOR('p', 0xa3, int *) and _IOWR('p', 0xa4, struct pps_fdata *): the size field is that of a
// pointer (8 on a 64-bit build), 'p' = 0x70.
constexpr unsigned long kGetCap = (2UL << 30) | (sizeof(void*) << 16) | (0x70 << 8) | 0xa3;
constexpr unsigned long kFetch = (3UL << 30) | (sizeof(void*) << 16) | (0x70 << 8) | 0xa4;

// struct pps_fdata: info.assert_sequence @0, info.assert_tu.sec @8 (s64), .nsec @16 (s32);
// info.current_mode @40; timeout @48 (sec) / @56 (nsec) / @60 (flags); 64 bytes in all.
FakeSyscalls::IoctlHandler fetch_answer(std::uint32_t seq, std::int64_t sec, std::int32_t nsec) {
  return [=](void* arg) {
    auto* b = static_cast<unsigned char*>(arg);
    // The request must not wait: timeout zero, flags zero.
    for (int i = 48; i < 64; ++i) {
      if (b[i] != 0) return -EFAULT;
    }
    std::memcpy(b + 0, &seq, 4);
    std::memcpy(b + 8, &sec, 8);
    std::memcpy(b + 16, &nsec, 4);
    return 0;
  };
}

FakeSyscalls::IoctlHandler caps(int mode) {
  return [=](void* arg) {
    std::memcpy(arg, &mode, sizeof mode);
    return 0;
  };
}

}  // namespace

TEST_CASE("a GPIO PPS is opened read-only and must capture rising edges", "[unit]") {
  FakeSyscalls sys;
  sys.ioctl_script[kGetCap].push_back(caps(0x01 | 0x02 | 0x100));
  {
    PpsDevice dev(sys, "/dev/pps0");
    REQUIRE(sys.calls.size() == 2);
    CHECK(sys.calls[0].name == "open");
    CHECK(sys.calls[0].path == "/dev/pps0");
    CHECK((sys.calls[0].flags & O_ACCMODE) == O_RDONLY);
    CHECK(sys.calls[1].request == kGetCap);
  }
  CHECK(sys.calls.back().name == "close");  // RAII
}

TEST_CASE("opening errors say what to check", "[unit]") {
  FakeSyscalls missing;
  missing.open_result = -ENOENT;
  CHECK_THROWS_WITH(PpsDevice(missing, "/dev/pps1"),
                    Contains("/dev/pps1") && Contains("pps-gpio"));
  FakeSyscalls not_pps;
  not_pps.ioctl_script[kGetCap].push_back([](void*) { return -ENOTTY; });
  CHECK_THROWS_WITH(PpsDevice(not_pps, "/dev/null"), Contains("not a PPS device"));
  CHECK(not_pps.calls.back().name == "close");
  FakeSyscalls clear_only;
  clear_only.ioctl_script[kGetCap].push_back(caps(0x02));
  CHECK_THROWS_WITH(PpsDevice(clear_only, "/dev/pps0"), Contains("rising edges"));
}

TEST_CASE("the latest assert edge, by hand", "[unit]") {
  FakeSyscalls sys;
  sys.ioctl_script[kGetCap].push_back(caps(0x01));
  PpsDevice dev(sys, "/dev/pps0");
  sys.ioctl_script[kFetch].push_back(fetch_answer(0, 0, 0));
  CHECK_FALSE(dev.latest_assert());  // no pulse yet
  sys.ioctl_script[kFetch].push_back(fetch_answer(42, 1'782'820'800, 2'517));
  const auto t = dev.latest_assert();
  REQUIRE(t);
  CHECK(t->sequence == 42);
  CHECK(t->system_ns == 1'782'820'800'000'002'517);
  CHECK(sys.calls.back().request == kFetch);
  sys.ioctl_script[kFetch].push_back(fetch_answer(43, 1'782'820'801, 1'000'000'000));
  CHECK_THROWS_WITH(dev.latest_assert(), Contains("malformed"));
  sys.ioctl_script[kFetch].push_back([](void*) { return -ENODEV; });
  CHECK_THROWS_WITH(dev.latest_assert(), Contains("PPS_FETCH"));
}

TEST_CASE("the tracker hands out each edge once and counts the ones skipped", "[unit]") {
  PpsEdgeTracker tr;
  CHECK_FALSE(tr.next(std::nullopt));
  CHECK(tr.next(PpsTimestamp{10, 1}));
  CHECK_FALSE(tr.next(PpsTimestamp{10, 1}));  // fetched again before the next pulse
  CHECK(tr.next(PpsTimestamp{11, 2}));
  CHECK(tr.next(PpsTimestamp{14, 5}));        // 12 and 13 were lost
  CHECK(tr.missed() == 2);
  CHECK(tr.seen() == 3);
  PpsEdgeTracker wrap;
  CHECK(wrap.next(PpsTimestamp{0xffffffffU, 1}));
  CHECK(wrap.next(PpsTimestamp{1, 3}));       // 0 was lost across the wrap
  CHECK(wrap.missed() == 1);
}
