#pragma once
// Keeps ptp4l announcing what the engine says (GRANDMASTER_SETTINGS_NP over its Unix socket):
// the SettingsKeeper policy (lib/ptpmgmt/settings_keeper.hpp) carried out with PtpMgmtClient.
// Never blocks in the event loop: requests are sent non-blocking and answers read when the
// socket is readable. Malformed answers are logged (rate-limited) and ignored; a vanished or
// restarted ptp4l is retried every second and corrected at once when it answers.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "daemon/ports.hpp"
#include "ptpmgmt/client.hpp"
#include "ptpmgmt/settings_keeper.hpp"

namespace nanotime::ppsd {

struct Ptp4lCounters {
  std::uint64_t sets_sent = 0;
  std::uint64_t gets_sent = 0;
  std::uint64_t send_failures = 0;
  std::uint64_t error_replies = 0;
  std::uint64_t bad_replies = 0;
};

class Ptp4lPublisher final : public QualityPublisher {
 public:
  // Throws std::system_error when the local socket cannot be made.
  Ptp4lPublisher(std::string ptp4l_path, std::uint8_t domain,
                 ptpmgmt::KeeperOptions options = {});

  void want(const discipline::ClockQuality& q, std::int64_t now_mono_ns) override;
  void service(std::int64_t now_mono_ns) override;
  int fd() const override { return client_.fd(); }
  bool announce_final(const discipline::ClockQuality& q, int timeout_ms) override;

  bool in_sync() const { return keeper_.in_sync(); }
  // ptp4l answered (anything well-formed) since the last failure.
  bool reachable() const { return reachable_; }
  std::optional<std::uint8_t> announced_class() const { return announced_class_; }
  const Ptp4lCounters& counters() const { return counters_; }
  const std::string& path() const { return path_; }

 private:
  void act(ptpmgmt::KeeperAction a, std::int64_t now);
  void receive_all(std::int64_t now);
  void set_reachable(bool r, const std::string& why);

  std::string path_;
  ptpmgmt::PtpMgmtClient client_;
  ptpmgmt::SettingsKeeper keeper_;
  bool reachable_ = false;
  bool reported_ = false;
  std::optional<std::uint8_t> announced_class_;
  Ptp4lCounters counters_;
};

}  // namespace nanotime::ppsd
