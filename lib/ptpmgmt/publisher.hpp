#pragma once
// GmSettingsPublisher: SettingsKeeper (the policy) wired to a PtpMgmtClient (the socket), for
// the daemon's event loop. Never blocks:
//
//   publisher.want(to_grandmaster_settings(quality), now);  // whenever the engine reports one
//   publisher.tick(now);                                     // every timer tick (≤ 1 s)
//   poll(publisher.fd(), POLLIN) → publisher.on_readable(now);
//
// Logs each change of state once (reachable / not reachable / settings restored).

#include <cstdint>
#include <optional>

#include "ptpmgmt/client.hpp"
#include "ptpmgmt/settings_keeper.hpp"

namespace nanotime::ptpmgmt {

class GmSettingsPublisher {
 public:
  GmSettingsPublisher(ClientOptions client_options, KeeperOptions keeper_options = {});

  int fd() const { return client_.fd(); }
  void want(const GrandmasterSettings& settings, std::int64_t now_mono_ns);
  void tick(std::int64_t now_mono_ns);
  void on_readable(std::int64_t now_mono_ns);

  const SettingsKeeper& keeper() const { return keeper_; }
  PtpMgmtClient& client() { return client_; }

 private:
  void act(KeeperAction action, std::int64_t now_mono_ns);
  void report_down(const std::string& why);

  PtpMgmtClient client_;
  SettingsKeeper keeper_;
  std::optional<std::uint16_t> outstanding_;
  bool reported_down_ = false;
  bool ever_in_sync_ = false;
};

}  // namespace nanotime::ptpmgmt
