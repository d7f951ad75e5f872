#include "ptpmgmt/settings_keeper.hpp"

namespace nanotime::ptpmgmt {

KeeperAction SettingsKeeper::want(const GrandmasterSettings& settings, std::int64_t now_mono_ns) {
  if (wanted_ && *wanted_ == settings) return poll(now_mono_ns);
  wanted_ = settings;
  need_set_ = true;
  in_sync_ = false;
  awaiting_ = false;  // an answer to an older request says nothing about the new value
  next_send_ns_.reset();
  return poll(now_mono_ns);
}

KeeperAction SettingsKeeper::poll(std::int64_t now_mono_ns) {
  if (!wanted_) return KeeperAction::none;
  if (awaiting_) {
    if (now_mono_ns - request_sent_ns_ < options_.reply_timeout.count()) {
      return KeeperAction::none;
    }
    failed(now_mono_ns);  // no answer in time: ptp4l not running or not listening
  }
  if (next_send_ns_ && now_mono_ns < *next_send_ns_) return KeeperAction::none;
  return need_set_ ? KeeperAction::send_set : KeeperAction::send_get;
}

void SettingsKeeper::sent(KeeperAction what, std::int64_t now_mono_ns) {
  if (what == KeeperAction::none) return;
  awaiting_ = true;
  last_sent_ = what;
  request_sent_ns_ = now_mono_ns;
  next_send_ns_ = now_mono_ns + options_.check_interval.count();
  if (what == KeeperAction::send_set) ++sets_;
}

KeeperAction SettingsKeeper::observed(const GrandmasterSettings& actual,
                                      std::int64_t now_mono_ns) {
  awaiting_ = false;
  if (!wanted_) return KeeperAction::none;
  if (actual == *wanted_) {
    in_sync_ = true;
    need_set_ = false;
    return KeeperAction::none;
  }
  in_sync_ = false;
  need_set_ = true;
  // ptp4l holds something else (restarted, or someone else set it): SET now. If it did not
  // take our own SET, do not hammer it.
  next_send_ns_ = last_sent_ == KeeperAction::send_set
                      ? now_mono_ns + options_.retry_interval.count()
                      : now_mono_ns;
  return poll(now_mono_ns);
}

void SettingsKeeper::failed(std::int64_t now_mono_ns) {
  awaiting_ = false;
  in_sync_ = false;
  need_set_ = true;  // whatever comes back up next will not have our settings
  next_send_ns_ = now_mono_ns + options_.retry_interval.count();
}

}  // namespace nanotime::ptpmgmt
