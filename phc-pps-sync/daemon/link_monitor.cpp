#include "daemon/link_monitor.hpp"

// <net/if.h> before <linux/if.h>: the kernel header then leaves out what glibc defines.
#include <net/if.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "log/log.hpp"

namespace nanotime::ppsd {
namespace {

// IF_OPER_* (RFC 2863) values that mean "no carrier".
bool operstate_down(std::uint8_t s) {
  return s == IF_OPER_DOWN || s == IF_OPER_LOWERLAYERDOWN || s == IF_OPER_NOTPRESENT;
}

// Netlink structures are naturally aligned in the kernel's buffer, but a std::span given by a
// test need not be: copy them out.
template <typename T>
T load(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::optional<bool> parse_newlink(const std::uint8_t* payload, std::size_t len, int ifindex) {
  if (len < sizeof(ifinfomsg)) return std::nullopt;
  const auto ifi = load<ifinfomsg>(payload);
  if (ifi.ifi_index != ifindex) return std::nullopt;
  bool up = (ifi.ifi_flags & IFF_LOWER_UP) != 0;
  std::size_t off = NLMSG_ALIGN(sizeof(ifinfomsg));
  while (off + sizeof(rtattr) <= len) {
    const auto rta = load<rtattr>(payload + off);
    if (rta.rta_len < sizeof(rtattr) || off + rta.rta_len > len) break;
    if (rta.rta_type == IFLA_OPERSTATE && rta.rta_len >= RTA_LENGTH(1)) {
      if (operstate_down(payload[off + RTA_LENGTH(0)])) up = false;
    }
    off += RTA_ALIGN(rta.rta_len);
  }
  return up;
}

}  // namespace

std::optional<bool> parse_link_messages(std::span<const std::uint8_t> buf, int ifindex) {
  std::optional<bool> state;
  std::size_t off = 0;
  while (off + sizeof(nlmsghdr) <= buf.size()) {
    const auto h = load<nlmsghdr>(buf.data() + off);
    if (h.nlmsg_len < sizeof(nlmsghdr) || off + h.nlmsg_len > buf.size()) break;
    const std::uint8_t* payload = buf.data() + off + NLMSG_HDRLEN;
    const std::size_t plen = h.nlmsg_len - NLMSG_HDRLEN;
    if (h.nlmsg_type == RTM_NEWLINK) {
      if (auto s = parse_newlink(payload, plen, ifindex)) state = s;
    } else if (h.nlmsg_type == RTM_DELLINK && plen >= sizeof(ifinfomsg) &&
               load<ifinfomsg>(payload).ifi_index == ifindex) {
      state = false;
    }
    off += NLMSG_ALIGN(h.nlmsg_len);
  }
  return state;
}

NetlinkLinkSource::NetlinkLinkSource(const std::string& ifname) : ifname_(ifname) {
  ifindex_ = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (ifindex_ == 0) {
    throw std::runtime_error(fmt::format("interface \"{}\" does not exist ({})", ifname,
                                         std::strerror(errno)));
  }
  fd_.reset(socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd_.valid()) throw std::system_error(errno, std::generic_category(), "netlink socket");
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = RTMGRP_LINK;
  if (bind(fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::system_error(errno, std::generic_category(), "netlink bind RTMGRP_LINK");
  }
  // Ask for the current state of this one interface.
  struct {
    nlmsghdr h;
    ifinfomsg ifi;
  } req{};
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = RTM_GETLINK;
  req.h.nlmsg_flags = NLM_F_REQUEST;
  req.h.nlmsg_seq = 1;
  req.ifi.ifi_family = AF_UNSPEC;
  req.ifi.ifi_index = ifindex_;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd_.get(), &req, sizeof req, 0, reinterpret_cast<const sockaddr*>(&kernel),
             sizeof kernel) < 0) {
    throw std::system_error(errno, std::generic_category(), "netlink RTM_GETLINK");
  }
  pollfd p{fd_.get(), POLLIN, 0};
  if (poll(&p, 1, 1000) > 0) {
    if (auto s = read_all()) carrier_ = *s;
  } else {
    log::warning("netlink: no answer about {}; assuming carrier up", ifname_);
  }
  log::info("link {} (ifindex {}): carrier {}", ifname_, ifindex_, carrier_ ? "up" : "down");
}

std::optional<bool> NetlinkLinkSource::read_all() {
  std::optional<bool> state;
  alignas(nlmsghdr) std::array<std::uint8_t, 16384> buf{};
  for (;;) {
    const ssize_t n = recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        // Overrun: we missed messages. The next one tells the truth again; log it.
        log::warning("netlink: messages lost (ENOBUFS); carrier state may lag");
        continue;
      }
      break;  // EAGAIN: drained
    }
    if (n == 0) break;
    if (auto s = parse_link_messages({buf.data(), static_cast<std::size_t>(n)}, ifindex_)) {
      state = s;
    }
  }
  return state;
}

std::optional<bool> NetlinkLinkSource::read_change() {
  const auto s = read_all();
  if (!s || *s == carrier_) return std::nullopt;
  carrier_ = *s;
  return s;
}

}  // namespace nanotime::ppsd
