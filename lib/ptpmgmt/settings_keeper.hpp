#pragma once
// Keeps ptp4l's GRANDMASTER_SETTINGS_NP equal to what the daemon wants. Pure: the daemon calls
// it with its monotonic time and carries out what it returns (docs/hardware-notes.md#linuxptp:
// a restarted ptp4l forgets the settings and announces clockClass 248 again).
//
//   - a new wanted value                  → SET now
//   - every check_interval (5 s)          → GET, compare with the wanted value
//   - an answer (to GET or SET) differing → SET now
//   - no answer within reply_timeout, an error status, or a send failure
//                                         → ptp4l unreachable or restarting: SET again after
//                                           retry_interval (1 s), and so on until it answers
// So a ptp4l restarted while we were not looking is corrected at the next check (≤ 5 s), and
// one restarted after we noticed it gone within retry_interval + reply_timeout (≤ 2 s).
// A SET whose answer still differs is not repeated faster than retry_interval.

#include <chrono>
#include <cstdint>
#include <optional>

#include "ptpmgmt/messages.hpp"

namespace nanotime::ptpmgmt {

struct KeeperOptions {
  std::chrono::nanoseconds check_interval = std::chrono::seconds(5);
  std::chrono::nanoseconds reply_timeout = std::chrono::seconds(1);
  std::chrono::nanoseconds retry_interval = std::chrono::seconds(1);
};

enum class KeeperAction { none, send_set, send_get };

class SettingsKeeper {
 public:
  explicit SettingsKeeper(KeeperOptions options = {}) : options_(options) {}

  // The value ptp4l should hold. Returns send_set when it changed (or was never sent).
  KeeperAction want(const GrandmasterSettings& settings, std::int64_t now_mono_ns);
  // What to send now (call on every timer tick and after each event).
  KeeperAction poll(std::int64_t now_mono_ns);
  // Call after sending what poll()/want() asked for.
  void sent(KeeperAction what, std::int64_t now_mono_ns);
  // ptp4l's current GRANDMASTER_SETTINGS_NP (reply to GET or SET). Returns send_set if it
  // differs from the wanted value.
  KeeperAction observed(const GrandmasterSettings& actual, std::int64_t now_mono_ns);
  // ptp4l answered with an error status or could not be reached.
  void failed(std::int64_t now_mono_ns);

  bool in_sync() const { return in_sync_; }
  bool awaiting_reply() const { return awaiting_; }
  const std::optional<GrandmasterSettings>& wanted() const { return wanted_; }
  std::uint64_t sets_sent() const { return sets_; }

 private:
  KeeperOptions options_;
  std::optional<GrandmasterSettings> wanted_;
  bool need_set_ = false;
  bool in_sync_ = false;
  bool awaiting_ = false;
  KeeperAction last_sent_ = KeeperAction::none;
  std::int64_t request_sent_ns_ = 0;
  std::optional<std::int64_t> next_send_ns_;  // nullopt: as soon as there is something to do
  std::uint64_t sets_ = 0;
};

}  // namespace nanotime::ptpmgmt
