#pragma once
// The carrier of the interface whose PHC we own, from rtnetlink (RTMGRP_LINK). With no carrier
// the CM4 PHY repeats its last EXTTS timestamp 4×/s (docs/hardware-notes.md#phy): the engine must know.
//
// Carrier = IFF_LOWER_UP in ifi_flags, and IFLA_OPERSTATE (when present) neither DOWN nor
// LOWERLAYERDOWN nor NOTPRESENT. The initial state comes from an RTM_GETLINK request for the
// interface, answered on the same socket.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "conductor/ports.hpp"
#include "util/fd.hpp"

namespace nanotime::ppsd {

// The daemon implements and drives the conductor's ports (lib/conductor).
using namespace nanotime::conductor;

// Pure: the carrier state of interface `ifindex` in a buffer of netlink messages (the last
// RTM_NEWLINK for it wins); nullopt when none is about it. RTM_DELLINK for it → false.
std::optional<bool> parse_link_messages(std::span<const std::uint8_t> buffer, int ifindex);

class NetlinkLinkSource final : public LinkSource {
 public:
  // Throws std::system_error / std::runtime_error (unknown interface: a clear message).
  explicit NetlinkLinkSource(const std::string& ifname);

  int fd() const override { return fd_.get(); }
  bool carrier() const override { return carrier_; }
  std::optional<bool> read_change() override;
  int ifindex() const { return ifindex_; }

 private:
  std::optional<bool> read_all();

  std::string ifname_;
  int ifindex_ = 0;
  util::Fd fd_;
  bool carrier_ = true;
};

}  // namespace nanotime::ppsd
