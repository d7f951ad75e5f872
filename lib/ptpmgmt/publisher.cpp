#include "ptpmgmt/publisher.hpp"

#include "log/log.hpp"

namespace nanotime::ptpmgmt {

GmSettingsPublisher::GmSettingsPublisher(ClientOptions client_options,
                                         KeeperOptions keeper_options)
    : client_(std::move(client_options)), keeper_(keeper_options) {}

void GmSettingsPublisher::want(const GrandmasterSettings& settings, std::int64_t now_mono_ns) {
  KeeperAction a = keeper_.want(settings, now_mono_ns);
  if (a != KeeperAction::none) outstanding_.reset();
  act(a, now_mono_ns);
}

void GmSettingsPublisher::tick(std::int64_t now_mono_ns) {
  bool was_awaiting = keeper_.awaiting_reply();
  KeeperAction a = keeper_.poll(now_mono_ns);
  if (was_awaiting && !keeper_.awaiting_reply()) {
    outstanding_.reset();
    report_down("no answer");
  }
  act(a, now_mono_ns);
}

void GmSettingsPublisher::act(KeeperAction action, std::int64_t now_mono_ns) {
  if (action == KeeperAction::none) return;
  SendResult r = action == KeeperAction::send_set ? client_.send_set(*keeper_.wanted())
                                                  : client_.send_get(
                                                        ManagementId::grandmaster_settings_np);
  keeper_.sent(action, now_mono_ns);
  if (!r.ok()) {
    keeper_.failed(now_mono_ns);
    outstanding_.reset();
    report_down(r.message);
    return;
  }
  outstanding_ = r.sequence_id;
}

void GmSettingsPublisher::on_readable(std::int64_t now_mono_ns) {
  while (auto got = client_.receive()) {
    auto* m = std::get_if<Message>(&*got);
    if (!m) {
      log::warning("ptp4l: ignoring a malformed management message: {}",
                   std::get<DecodeError>(*got).message);
      continue;
    }
    if (!outstanding_ || m->sequence_id != *outstanding_) continue;  // late or not ours
    outstanding_.reset();
    if (auto* es = std::get_if<ManagementErrorStatus>(&m->payload)) {
      keeper_.failed(now_mono_ns);
      report_down(es->describe());
      continue;
    }
    auto* gs = std::get_if<GrandmasterSettings>(&m->payload);
    if (!gs) continue;
    if (reported_down_) {
      log::notice("ptp4l at {} answers again", client_.options().ptp4l_path);
      reported_down_ = false;
    }
    bool differed = keeper_.wanted() && !(*gs == *keeper_.wanted());
    if (differed && ever_in_sync_) {
      log::notice("ptp4l announces clockClass {} instead of {} (restarted?): setting it again",
                  gs->quality.clock_class, keeper_.wanted()->quality.clock_class);
    }
    act(keeper_.observed(*gs, now_mono_ns), now_mono_ns);
    if (keeper_.in_sync()) ever_in_sync_ = true;
  }
}

void GmSettingsPublisher::report_down(const std::string& why) {
  if (reported_down_) return;
  reported_down_ = true;
  log::warning("cannot tell ptp4l the clock quality: {}; retrying", why);
}

}  // namespace nanotime::ptpmgmt
