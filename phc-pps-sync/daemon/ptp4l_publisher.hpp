#pragma once
// QualityPublisher over ptp4l's Unix socket: lib/ptpmgmt's GmSettingsPublisher (SettingsKeeper
// policy + PtpMgmtClient, never blocking) fed with the engine's ClockQuality, plus the bounded
// blocking SET used once at shutdown. Malformed answers are logged and ignored; a vanished or
// restarted ptp4l is retried every second and corrected when it answers (≤ 10 s).

#include <cstdint>
#include <optional>
#include <string>

#include "conductor/ports.hpp"
#include "ptpmgmt/publisher.hpp"

namespace nanotime::ppsd {

// The daemon implements and drives the conductor's ports (lib/conductor).
using namespace nanotime::conductor;

class Ptp4lPublisher final : public QualityPublisher {
 public:
  // Throws std::system_error when the local socket cannot be made.
  Ptp4lPublisher(std::string ptp4l_path, std::uint8_t domain,
                 ptpmgmt::KeeperOptions options = {});

  void want(const discipline::ClockQuality& q, std::int64_t now_mono_ns) override;
  void service(std::int64_t now_mono_ns) override;
  int fd() const override { return publisher_.fd(); }
  bool announce_final(const discipline::ClockQuality& q, int timeout_ms) override;

  // ptp4l holds what we want (its last answer matched).
  bool in_sync() const { return publisher_.keeper().in_sync(); }
  // The clockClass ptp4l announces, when it is known to be ours.
  std::optional<std::uint8_t> announced_class() const;
  std::uint64_t sets_sent() const { return publisher_.keeper().sets_sent(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  ptpmgmt::GmSettingsPublisher publisher_;
};

}  // namespace nanotime::ppsd
