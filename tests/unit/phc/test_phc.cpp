// PHC layer: every system call is recorded by a fake and checked against values computed by
// hand from the kernel uapi (include/uapi/linux/ptp_clock.h, asm-generic/ioctl.h), not with
// the same macros the code uses.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/ptp_clock.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <span>

#include "fake_syscalls.hpp"
#include "phc/linux_ptp_clock.hpp"
#include "phc/phc_abi.hpp"

using namespace nanotime::phc;
using nanotime::phc::test::FakeSyscalls;

namespace {

// ioctl number = dir << 30 | size << 16 | type << 8 | nr; dir: 1 = write (_IOW),
// 2 = read (_IOR), 3 = both (_IOWR); type '=' = 0x3d. Sizes: ptp_clock_caps 80 (0x50),
// ptp_extts_request 16 (0x10), ptp_pin_desc 96 (0x60), ptp_sys_offset 16 + 51·16 = 832
// (0x340), ptp_sys_offset_extended 16 + 75·16 = 1216 (0x4c0), ptp_sys_offset_precise 64 (0x40).
constexpr unsigned long kGetCaps = 0x80503d01;
constexpr unsigned long kExttsRequest = 0x40103d02;
constexpr unsigned long kSysOffset = 0x43403d05;
constexpr unsigned long kPinSetFunc = 0x40603d07;
constexpr unsigned long kSysOffsetPrecise = 0xc0403d08;
constexpr unsigned long kSysOffsetExtended = 0xc4c03d09;
constexpr unsigned long kExttsRequest2 = 0x40103d0b;
constexpr unsigned long kPinSetFunc2 = 0x40603d10;
constexpr unsigned long kSiocEthtool = 0x8946;

std::uint32_t u32_at(const std::vector<unsigned char>& b, std::size_t off) {
  std::uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}

ptp_clock_time t(std::int64_t sec, std::uint32_t nsec) {
  ptp_clock_time x{};
  x.sec = sec;
  x.nsec = nsec;
  return x;
}

int caps_handler(void* arg, int max_adj) {
  auto* c = static_cast<ptp_clock_caps*>(arg);
  c->max_adj = max_adj;
  c->n_ext_ts = 1;
  c->n_per_out = 1;
  c->n_pins = 1;
  return 0;
}

}  // namespace

TEST_CASE("uapi sizes and ioctl numbers match hand-computed values", "[unit][phc]") {
  STATIC_REQUIRE(sizeof(ptp_clock_time) == 16);
  STATIC_REQUIRE(sizeof(ptp_extts_event) == 32);
  STATIC_REQUIRE(sizeof(ptp_pin_desc) == 96);
  STATIC_REQUIRE(sizeof(ptp_sys_offset_extended) == 1216);
  CHECK(PTP_EXTTS_REQUEST2 == kExttsRequest2);
  CHECK(PTP_SYS_OFFSET_EXTENDED == kSysOffsetExtended);
  CHECK(PTP_STRICT_FLAGS == 8);
}

TEST_CASE("clock id of a PHC fd is ((~fd) << 3) | 3", "[unit][phc]") {
  CHECK(clock_id_from_fd(3) == -29);   // ~3 = -4; -4·8 = -32; -32 | 3 = -29
  CHECK(clock_id_from_fd(7) == -61);   // ~7 = -8; -64 | 3 = -61
  CHECK(clock_id_from_fd(0) == -5);    // ~0 = -1; -8 | 3 = -5
}

TEST_CASE("device is opened read-write, close-on-exec, and closed once", "[unit][phc]") {
  FakeSyscalls sys;
  {
    LinuxPtpClock clk(sys, "/dev/ptp1");
    CHECK(clk.poll_fd() == 7);
    CHECK(clk.clock_id() == -61);
  }
  REQUIRE(sys.calls.size() == 2);
  CHECK(sys.calls[0].path == "/dev/ptp1");
  CHECK((sys.calls[0].flags & O_ACCMODE) == O_RDWR);
  CHECK((sys.calls[0].flags & O_CLOEXEC) != 0);
  CHECK(sys.calls[1].name == "close");
  CHECK(sys.calls[1].fd == 7);
}

TEST_CASE("open failure explains itself", "[unit][phc]") {
  FakeSyscalls sys;
  sys.open_result = -EACCES;
  try {
    LinuxPtpClock clk(sys, "/dev/ptp0");
    FAIL("no exception");
  } catch (const PhcError& e) {
    CHECK(e.error_number() == EACCES);
    CHECK_THAT(e.what(), Catch::Contains("/dev/ptp0") && Catch::Contains("CAP_SYS_TIME"));
  }
  CHECK(sys.named("close").empty());
}

TEST_CASE("caps are read with PTP_CLOCK_GETCAPS", "[unit][phc]") {
  FakeSyscalls sys;
  sys.ioctl_script[kGetCaps].push_back([](void* a) { return caps_handler(a, 100000000); });
  LinuxPtpClock clk(sys, "/dev/ptp0");
  PhcCaps c = clk.caps();
  CHECK(c.max_adj_ppb == 100000000);
  CHECK(c.n_ext_ts == 1);
  CHECK(c.n_pins == 1);
  CHECK_FALSE(c.cross_timestamping);
  CHECK(sys.named("ioctl").at(0).request == kGetCaps);
  CHECK(sys.named("ioctl").at(0).fd == 7);
}

TEST_CASE("pin function: SETFUNC2 with index, func EXTTS=1, channel", "[unit][phc]") {
  FakeSyscalls sys;
  LinuxPtpClock clk(sys, "/dev/ptp0");
  clk.set_pin_function(0, PinFunction::extts, 0);
  auto io = sys.named("ioctl");
  REQUIRE(io.size() == 1);
  CHECK(io[0].request == kPinSetFunc2);
  CHECK(u32_at(io[0].arg, 64) == 0);  // index
  CHECK(u32_at(io[0].arg, 68) == 1);  // func: PTP_PF_EXTTS
  CHECK(u32_at(io[0].arg, 72) == 0);  // chan
  for (std::size_t off = 76; off < 96; off += 4) CHECK(u32_at(io[0].arg, off) == 0);  // rsv

  SECTION("kernels without SETFUNC2 get the v1 ioctl") {
    sys.calls.clear();
    sys.ioctl_script[kPinSetFunc2].push_back([](void*) { return -ENOTTY; });
    clk.set_pin_function(2, PinFunction::extts, 1);
    io = sys.named("ioctl");
    REQUIRE(io.size() == 2);
    CHECK(io[1].request == kPinSetFunc);
    CHECK(u32_at(io[1].arg, 64) == 2);
    CHECK(u32_at(io[1].arg, 72) == 1);
  }
}

TEST_CASE("EXTTS enable: REQUEST2 with ENABLE|RISING|STRICT", "[unit][phc]") {
  FakeSyscalls sys;
  LinuxPtpClock clk(sys, "/dev/ptp0");
  clk.enable_extts(0);
  auto io = sys.named("ioctl");
  REQUIRE(io.size() == 1);
  CHECK(io[0].request == kExttsRequest2);
  CHECK(u32_at(io[0].arg, 0) == 0);
  CHECK(u32_at(io[0].arg, 4) == (1u | 2u | 8u));
  CHECK(u32_at(io[0].arg, 8) == 0);
  CHECK(u32_at(io[0].arg, 12) == 0);
}

TEST_CASE("EXTTS falls back to the v1 ioctl", "[unit][phc]") {
  for (int err : {EINVAL, ENOTTY, EOPNOTSUPP}) {
    FakeSyscalls sys;
    sys.ioctl_script[kExttsRequest2].push_back([err](void*) { return -err; });
    LinuxPtpClock clk(sys, "/dev/ptp0");
    clk.enable_extts(1);
    auto io = sys.named("ioctl");
    REQUIRE(io.size() == 2);
    CHECK(io[1].request == kExttsRequest);
    CHECK(u32_at(io[1].arg, 0) == 1);
    CHECK(u32_at(io[1].arg, 4) == (1u | 2u));  // no STRICT on v1
  }
}

TEST_CASE("EXTTS disable keeps the enable bit clear", "[unit][phc]") {
  FakeSyscalls sys;
  LinuxPtpClock clk(sys, "/dev/ptp0");
  clk.disable_extts(0);
  auto io = sys.named("ioctl");
  REQUIRE(io.size() == 1);
  CHECK((u32_at(io[0].arg, 4) & 1u) == 0);
}

TEST_CASE("EXTTS EBUSY says the pin is not set to EXTTS, no fallback", "[unit][phc]") {
  FakeSyscalls sys;
  sys.ioctl_script[kExttsRequest2].push_back([](void*) { return -EBUSY; });
  LinuxPtpClock clk(sys, "/dev/ptp0");
  try {
    clk.enable_extts(0);
    FAIL("no exception");
  } catch (const PhcError& e) {
    CHECK(e.error_number() == EBUSY);
    CHECK_THAT(e.what(), Catch::Contains("pin function not set to EXTTS"));
  }
  CHECK(sys.named("ioctl").size() == 1);
}

TEST_CASE("frequency: ADJ_FREQUENCY only, freq = ppb × 65.536, on the PHC clock id",
          "[unit][phc]") {
  FakeSyscalls sys;
  sys.ioctl_script[kGetCaps].push_back([](void* a) { return caps_handler(a, 100000000); });
  LinuxPtpClock clk(sys, "/dev/ptp0", {.max_freq_ppb = 1000});
  CHECK(clk.set_frequency_ppb(100) == 100);
  CHECK(clk.set_frequency_ppb(-12.5) == -12.5);
  CHECK(clk.set_frequency_ppb(5000) == 1000);      // configured limit, far below max_adj
  CHECK(clk.set_frequency_ppb(-1e9) == -1000);
  auto adj = sys.named("clock_adjtime");
  REQUIRE(adj.size() == 4);
  for (const auto& c : adj) {
    CHECK(c.clock == -61);
    CHECK(c.tx.modes == 0x0002);
  }
  CHECK(adj[0].tx.freq == 6554);     // 100 × 65.536 = 6553.6
  CHECK(adj[1].tx.freq == -819);     // −12.5 × 65.536 = −819.2
  CHECK(adj[2].tx.freq == 65536);    // 1000 ppb = 1 ppm = 1 << 16
  CHECK(adj[3].tx.freq == -65536);
}

TEST_CASE("frequency clamp uses max_adj when it is lower than the limit", "[unit][phc]") {
  FakeSyscalls sys;
  sys.ioctl_script[kGetCaps].push_back([](void* a) { return caps_handler(a, 300); });
  LinuxPtpClock clk(sys, "/dev/ptp0", {.max_freq_ppb = 1000});
  CHECK(clk.set_frequency_ppb(500) == 300);
  CHECK(sys.named("clock_adjtime").at(0).tx.freq == 19661);  // 300 × 65.536 = 19660.8
}

TEST_CASE("step: ADJ_SETOFFSET|ADJ_NANO with 0 <= ns < 1e9", "[unit][phc]") {
  FakeSyscalls sys;
  LinuxPtpClock clk(sys, "/dev/ptp0");
  clk.step_ns(2'000'000'001);
  clk.step_ns(-1);
  clk.step_ns(-1'500'000'000);
  clk.step_ns(-3'000'000'000);
  clk.step_ns(37'000'000'000);
  auto adj = sys.named("clock_adjtime");
  REQUIRE(adj.size() == 5);
  for (const auto& c : adj) {
    CHECK(c.tx.modes == (0x0100 | 0x2000));
    CHECK(c.clock == -61);
  }
  CHECK(adj[0].tx.time.tv_sec == 2);
  CHECK(adj[0].tx.time.tv_usec == 1);
  CHECK(adj[1].tx.time.tv_sec == -1);          // −1 ns = −1 s + 999 999 999 ns
  CHECK(adj[1].tx.time.tv_usec == 999999999);
  CHECK(adj[2].tx.time.tv_sec == -2);          // −1.5 s = −2 s + 0.5 s
  CHECK(adj[2].tx.time.tv_usec == 500000000);
  CHECK(adj[3].tx.time.tv_sec == -3);
  CHECK(adj[3].tx.time.tv_usec == 0);
  CHECK(adj[4].tx.time.tv_sec == 37);
  CHECK(adj[4].tx.time.tv_usec == 0);
}

TEST_CASE("adjtime errors are reported with a hint", "[unit][phc]") {
  FakeSyscalls sys;
  sys.adjtime_results.push_back(-EPERM);
  LinuxPtpClock clk(sys, "/dev/ptp0");
  CHECK_THROWS_WITH(clk.step_ns(5), Catch::Contains("CAP_SYS_TIME"));
}

TEST_CASE("now_ns reads the PHC clock id", "[unit][phc]") {
  FakeSyscalls sys;
  sys.now = {1700000037, 123456789};
  LinuxPtpClock clk(sys, "/dev/ptp0");
  CHECK(clk.now_ns() == 1700000037123456789LL);
  CHECK(sys.named("clock_gettime").at(0).clock == -61);
}

TEST_CASE("read_system: PRECISE gives one exact read", "[unit][phc]") {
  FakeSyscalls sys;
  sys.ioctl_script[kSysOffsetPrecise].push_back([](void* a) {
    auto* p = static_cast<ptp_sys_offset_precise*>(a);
    p->device = t(1037, 500);
    p->sys_realtime = t(1000, 200);
    return 0;
  });
  LinuxPtpClock clk(sys, "/dev/ptp0");
  PhcReadings r = clk.read_system(5);
  CHECK(r.method == OffsetMethod::precise);
  REQUIRE(r.reads.size() == 1);
  CHECK(r.reads[0].phc_ns == 1037000000500LL);
  CHECK(r.reads[0].before_ns == 1000000000200LL);
  CHECK(r.reads[0].after_ns == 1000000000200LL);
  CHECK(r.reads[0].width_ns() == 0);
}

TEST_CASE("read_system: EXTENDED returns every read in order, PRECISE is not asked again",
          "[unit][phc]") {
  FakeSyscalls sys;
  sys.ioctl_script[kSysOffsetPrecise].push_back([](void*) { return -EOPNOTSUPP; });
  auto extended = [](void* a) {
    auto* e = static_cast<ptp_sys_offset_extended*>(a);
    REQUIRE(e->n_samples == 3);
    e->ts[0][0] = t(1000, 1000);  e->ts[0][1] = t(1037, 1200); e->ts[0][2] = t(1000, 1300);
    e->ts[1][0] = t(1000, 2000);  e->ts[1][1] = t(1037, 2090); e->ts[1][2] = t(1000, 2100);
    e->ts[2][0] = t(1000, 3000);  e->ts[2][1] = t(1037, 3100); e->ts[2][2] = t(1000, 3200);
    return 0;
  };
  sys.ioctl_script[kSysOffsetExtended].push_back(extended);
  sys.ioctl_script[kSysOffsetExtended].push_back(extended);
  LinuxPtpClock clk(sys, "/dev/ptp0");
  PhcReadings r = clk.read_system(3);
  CHECK(r.method == OffsetMethod::extended);
  REQUIRE(r.reads.size() == 3);
  CHECK(r.reads[0].width_ns() == 300);
  CHECK(r.reads[1].before_ns == 1000000002000LL);
  CHECK(r.reads[1].phc_ns == 1037000002090LL);
  CHECK(r.reads[1].after_ns == 1000000002100LL);
  CHECK(r.reads[2].width_ns() == 200);
  clk.read_system(3);
  auto io = sys.named("ioctl");
  REQUIRE(io.size() == 3);
  CHECK(io[0].request == kSysOffsetPrecise);
  CHECK(io[1].request == kSysOffsetExtended);
  CHECK(u32_at(io[1].arg, 0) == 3);                // n_samples
  CHECK(u32_at(io[1].arg, 4) == 0);                // rsv[0]: 0 = CLOCK_REALTIME on new kernels
  CHECK(io[2].request == kSysOffsetExtended);
}

TEST_CASE("read_system: basic PTP_SYS_OFFSET when nothing better exists", "[unit][phc]") {
  FakeSyscalls sys;
  sys.ioctl_script[kSysOffsetPrecise].push_back([](void*) { return -EOPNOTSUPP; });
  sys.ioctl_script[kSysOffsetExtended].push_back([](void*) { return -ENOTTY; });
  sys.ioctl_script[kSysOffset].push_back([](void* a) {
    auto* b = static_cast<ptp_sys_offset*>(a);
    REQUIRE(b->n_samples == 2);
    // sys, phc, sys, phc, sys: the middle system reading belongs to both triples
    b->ts[0] = t(50, 0);
    b->ts[1] = t(87, 250);
    b->ts[2] = t(50, 500);
    b->ts[3] = t(87, 530);
    b->ts[4] = t(50, 560);
    return 0;
  });
  LinuxPtpClock clk(sys, "/dev/ptp0");
  PhcReadings r = clk.read_system(2);
  CHECK(r.method == OffsetMethod::basic);
  REQUIRE(r.reads.size() == 2);
  CHECK(r.reads[0].before_ns == 50000000000LL);
  CHECK(r.reads[0].phc_ns == 87000000250LL);
  CHECK(r.reads[0].after_ns == 50000000500LL);
  CHECK(r.reads[1].before_ns == 50000000500LL);
  CHECK(r.reads[1].phc_ns == 87000000530LL);
  CHECK(r.reads[1].width_ns() == 60);
}

TEST_CASE("read_system: a timed-out read is a PhcReadError, a vanished device is not",
          "[unit][phc]") {
  FakeSyscalls sys;
  sys.ioctl_script[kSysOffsetPrecise].push_back([](void*) { return -EOPNOTSUPP; });
  sys.ioctl_script[kSysOffsetExtended].push_back([](void*) { return -ETIMEDOUT; });
  sys.ioctl_script[kSysOffsetExtended].push_back([](void*) { return -ENODEV; });
  LinuxPtpClock clk(sys, "/dev/ptp0");
  try {
    clk.read_system(3);
    FAIL("no error");
  } catch (const PhcReadError& e) {
    CHECK(e.error_number() == ETIMEDOUT);
  }
  // The method is still EXTENDED (ETIMEDOUT is no "unsupported"); ENODEV is a plain PhcError.
  bool read_error = false, phc_error = false;
  try {
    clk.read_system(3);
  } catch (const PhcReadError&) {
    read_error = true;
  } catch (const PhcError& e) {
    phc_error = e.error_number() == ENODEV;
  }
  CHECK_FALSE(read_error);
  CHECK(phc_error);
  CHECK(sys.named("ioctl").size() == 3);
}

TEST_CASE("extended reads: bad counts refused, backwards and second-crossing reads kept as read",
          "[unit][phc]") {
  ptp_sys_offset_extended e{};
  CHECK_FALSE(extended_reads(e).has_value());
  e.n_samples = 26;
  CHECK_FALSE(extended_reads(e).has_value());
  e.n_samples = 2;
  e.ts[0][0] = t(10, 500); e.ts[0][1] = t(10, 0); e.ts[0][2] = t(10, 400);  // after < before
  e.ts[1][0] = t(10, 999999900); e.ts[1][1] = t(47, 0); e.ts[1][2] = t(11, 100);
  auto r = extended_reads(e);
  REQUIRE(r);
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].width_ns() == -100);
  CHECK((*r)[1].width_ns() == 200);
  CHECK((*r)[1].before_ns == 10999999900LL);
  CHECK((*r)[1].phc_ns == 47000000000LL);
}

namespace {
void put_event(std::vector<unsigned char>& b, std::int64_t sec, std::uint32_t nsec,
               std::uint32_t index) {
  // struct ptp_extts_event: t.sec (s64), t.nsec (u32), t.reserved (u32), index, flags, rsv[2]
  unsigned char rec[32] = {};
  std::memcpy(rec + 0, &sec, 8);
  std::memcpy(rec + 8, &nsec, 4);
  std::memcpy(rec + 16, &index, 4);
  b.insert(b.end(), rec, rec + 32);
}
}  // namespace

TEST_CASE("EXTTS events: several per read, poll first, nothing queued → none", "[unit][phc]") {
  FakeSyscalls sys;
  std::vector<unsigned char> data;
  put_event(data, 1700000037, 999999992, 0);
  put_event(data, 1700000038, 8, 0);
  sys.poll_results = {1, 0};
  sys.read_data.push_back(data);
  LinuxPtpClock clk(sys, "/dev/ptp0");
  std::vector<ExttsRecord> ev;
  CHECK(clk.read_extts(ev) == 2);
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].phc_ns == 1700000037999999992LL);
  CHECK(ev[1].phc_ns == 1700000038000000008LL);
  CHECK(ev[1].channel == 0);
  auto reads = sys.named("read");
  REQUIRE(reads.size() == 1);
  CHECK(reads[0].flags % 32 == 0);           // the kernel wants whole records
  CHECK(sys.named("poll").at(0).flags == 0); // zero timeout: never blocks

  // Nothing readable: no read() at all (a PHC read() would block).
  sys.calls.clear();
  sys.poll_results = {0};
  CHECK(clk.read_extts(ev) == 0);
  CHECK(sys.named("read").empty());

  // Readable but EAGAIN: none.
  sys.poll_results = {1};
  sys.read_data.push_back({});
  CHECK(clk.read_extts(ev) == 0);
  CHECK(ev.size() == 2);
}

TEST_CASE("EXTTS parse ignores a partial record", "[unit][phc]") {
  std::vector<unsigned char> data;
  put_event(data, -1, 5, 3);
  data.resize(data.size() + 10);
  auto ev = parse_extts_events(std::as_bytes(std::span(data)));
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].phc_ns == -999999995LL);
  CHECK(ev[0].channel == 3);
}

TEST_CASE("PHC of an interface via SIOCETHTOOL ETHTOOL_GET_TS_INFO", "[unit][phc]") {
  FakeSyscalls sys;
  sys.ioctl_script[kSiocEthtool].push_back([](void* a) {
    auto* ifr = static_cast<struct ifreq*>(a);
    CHECK(std::string(ifr->ifr_name) == "eth0");
    std::uint32_t cmd;
    std::memcpy(&cmd, ifr->ifr_data, 4);
    CHECK(cmd == 0x41);
    std::int32_t idx = 2;
    std::memcpy(ifr->ifr_data + 8, &idx, 4);  // phc_index after cmd, so_timestamping
    return 0;
  });
  CHECK(phc_device_for_interface(sys, "eth0") == "/dev/ptp2");
  CHECK(sys.named("socket").at(0).flags == AF_INET);
  CHECK(sys.named("close").size() == 1);

  sys.ioctl_script[kSiocEthtool].push_back([](void* a) {
    auto* ifr = static_cast<struct ifreq*>(a);
    std::int32_t idx = -1;
    std::memcpy(ifr->ifr_data + 8, &idx, 4);
    return 0;
  });
  CHECK_THROWS_WITH(phc_device_for_interface(sys, "lo"),
                    Catch::Contains("no PTP hardware clock"));
}

TEST_CASE("real kernel: the Linux syscalls return -errno, a non-PHC fd fails clearly",
          "[unit][phc]") {
  Syscalls& sys = linux_syscalls();
  CHECK(sys.open("/nonexistent/ptp9", O_RDWR) == -ENOENT);
  CHECK_THROWS_WITH(LinuxPtpClock(sys, "/nonexistent/ptp9"),
                    Catch::Contains("/nonexistent/ptp9") && Catch::Contains("ls /dev/ptp*"));
  // /dev/null opens read-write but is no PTP clock: every ioctl is ENOTTY.
  LinuxPtpClock clk(sys, "/dev/null");
  try {
    clk.caps();
    FAIL("no exception");
  } catch (const PhcError& e) {
    CHECK(e.error_number() == ENOTTY);
    CHECK_THAT(e.what(), Catch::Contains("PTP_CLOCK_GETCAPS") &&
                             Catch::Contains("does not support"));
  }
  CHECK_THROWS_AS(clk.now_ns(), PhcError);  // not a posix clock: EINVAL
  std::vector<ExttsRecord> ev;
  CHECK(clk.read_extts(ev) == 0);  // /dev/null polls readable and reads 0 bytes: no events
  CHECK(ev.empty());
}
