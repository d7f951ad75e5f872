// Small pure pieces of the daemon's I/O: netlink carrier parsing, the system-clock check, the
// thermal file, the systemd STATUS line.
#include <catch2/catch.hpp>

// <net/if.h> before <linux/if.h> (see link_monitor.cpp).
#include <net/if.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/timex.h>

#include <cstring>
#include <vector>

#include "daemon/io.hpp"
#include "daemon/link_monitor.hpp"
#include "daemon/status_hook.hpp"

using namespace nanotime;
using namespace nanotime::ppsd;

namespace {

// ifi_flags bits (glibc's and the kernel's enums cannot be or-ed together in C++20).
constexpr unsigned kUp = IFF_UP;
constexpr unsigned kRunning = IFF_RUNNING;
constexpr unsigned kLowerUp = IFF_LOWER_UP;

// One RTM_NEWLINK (or DELLINK) message as the kernel lays it out, optionally with
// IFLA_OPERSTATE.
void append_link(std::vector<std::uint8_t>& buf, std::uint16_t type, int ifindex,
                 unsigned flags, int operstate = -1) {
  const std::size_t attr_len = operstate >= 0 ? RTA_SPACE(1) : 0;
  const std::size_t len = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(ifinfomsg)) + attr_len);
  const std::size_t start = buf.size();
  buf.resize(start + NLMSG_ALIGN(len), 0);
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(len);
  h.nlmsg_type = type;
  std::memcpy(buf.data() + start, &h, sizeof h);
  ifinfomsg ifi{};
  ifi.ifi_index = ifindex;
  ifi.ifi_flags = flags;
  std::memcpy(buf.data() + start + NLMSG_HDRLEN, &ifi, sizeof ifi);
  if (operstate >= 0) {
    rtattr a{};
    a.rta_len = static_cast<unsigned short>(RTA_LENGTH(1));
    a.rta_type = IFLA_OPERSTATE;
    const std::size_t at = start + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifinfomsg));
    std::memcpy(buf.data() + at, &a, sizeof a);
    buf[at + RTA_LENGTH(0)] = static_cast<std::uint8_t>(operstate);
  }
}

}  // namespace

TEST_CASE("netlink: carrier from kLowerUp and IFLA_OPERSTATE", "[unit]") {
  std::vector<std::uint8_t> buf;
  append_link(buf, RTM_NEWLINK, 2, kUp | kRunning | kLowerUp, IF_OPER_UP);
  CHECK(parse_link_messages(buf, 2) == std::optional<bool>(true));
  CHECK_FALSE(parse_link_messages(buf, 3).has_value());  // another interface

  buf.clear();
  append_link(buf, RTM_NEWLINK, 2, kUp);  // cable pulled: no LOWER_UP
  CHECK(parse_link_messages(buf, 2) == std::optional<bool>(false));

  buf.clear();
  append_link(buf, RTM_NEWLINK, 2, kUp | kLowerUp, IF_OPER_LOWERLAYERDOWN);
  CHECK(parse_link_messages(buf, 2) == std::optional<bool>(false));

  // Several messages in one datagram: the last about our interface wins.
  buf.clear();
  append_link(buf, RTM_NEWLINK, 2, kUp);
  append_link(buf, RTM_NEWLINK, 5, kUp | kLowerUp);
  append_link(buf, RTM_NEWLINK, 2, kUp | kLowerUp, IF_OPER_UP);
  CHECK(parse_link_messages(buf, 2) == std::optional<bool>(true));

  buf.clear();
  append_link(buf, RTM_DELLINK, 2, 0);
  CHECK(parse_link_messages(buf, 2) == std::optional<bool>(false));
}

TEST_CASE("netlink: truncated or garbage buffers are ignored", "[unit]") {
  std::vector<std::uint8_t> buf;
  append_link(buf, RTM_NEWLINK, 2, kUp | kLowerUp, IF_OPER_UP);
  for (std::size_t n = 0; n < buf.size(); ++n) {
    const auto r = parse_link_messages({buf.data(), n}, 2);
    CHECK_FALSE(r.has_value());
  }
  std::vector<std::uint8_t> junk(64, 0xff);
  CHECK_FALSE(parse_link_messages(junk, 2).has_value());
}

TEST_CASE("system clock as time of day: synchronised and maxerror below the limit", "[unit]") {
  CHECK(system_clock_usable(0, 5000, 0.1));
  CHECK(system_clock_usable(STA_PLL, 99999, 0.1));
  CHECK_FALSE(system_clock_usable(STA_UNSYNC, 10, 0.1));
  CHECK_FALSE(system_clock_usable(0, 100000, 0.1));  // 100 ms is not below 100 ms
  CHECK_FALSE(system_clock_usable(0, 16000000, 0.1));  // the kernel's "unsynchronised" maximum
}

TEST_CASE("thermal zone readings", "[unit]") {
  CHECK(parse_millicelsius("45123\n") == std::optional<double>(45.123));
  CHECK(parse_millicelsius("-5000") == std::optional<double>(-5.0));
  CHECK_FALSE(parse_millicelsius("").has_value());
  CHECK_FALSE(parse_millicelsius("45.1\n").has_value());
  CHECK_FALSE(parse_millicelsius("abc").has_value());
  CHECK_FALSE(parse_millicelsius("999999").has_value());
}

TEST_CASE("systemd STATUS line", "[unit]") {
  discipline::EngineStatus s;
  s.state = discipline::LockState::acquiring;
  s.pulses_seen = 3;
  CHECK(status_line(s) == "acquiring, 3 pulses seen, clockClass 248");
  s.state = discipline::LockState::tracking;
  s.last_offset_ns = 3.2;
  s.error_bound_ns = 24.6;
  s.quality.clock_class = 6;
  CHECK(status_line(s) == "tracking, PHC−TAI +3 ns, bound 25 ns, clockClass 6");
  CHECK(status_key(s) == "tracking, clockClass 6");
  s.error_bound_ns = 25000;
  CHECK(status_line(s).find("25.0 µs") != std::string::npos);
}

TEST_CASE("netlink: the loopback interface has carrier; an unknown one is an error", "[unit]") {
  NetlinkLinkSource lo("lo");
  CHECK(lo.carrier());
  CHECK(lo.ifindex() > 0);
  CHECK(lo.fd() >= 0);
  CHECK_FALSE(lo.read_change().has_value());  // nothing changed since the initial answer
  CHECK_THROWS_WITH(NetlinkLinkSource("nanotime-nx0"), Catch::Contains("nanotime-nx0"));
}
