#include "daemon/ptp4l_publisher.hpp"

#include <chrono>
#include <variant>

#include "log/log.hpp"
#include "ptpmgmt/quality_map.hpp"

namespace nanotime::ppsd {

namespace pm = nanotime::ptpmgmt;

Ptp4lPublisher::Ptp4lPublisher(std::string ptp4l_path, std::uint8_t domain,
                               pm::KeeperOptions options)
    : path_(ptp4l_path),
      client_(pm::ClientOptions{.ptp4l_path = std::move(ptp4l_path), .local_path = {},
                                .domain = domain}),
      keeper_(options) {}

void Ptp4lPublisher::want(const discipline::ClockQuality& q, std::int64_t now) {
  act(keeper_.want(pm::to_grandmaster_settings(q), now), now);
}

void Ptp4lPublisher::service(std::int64_t now) {
  receive_all(now);
  act(keeper_.poll(now), now);
}

void Ptp4lPublisher::act(pm::KeeperAction a, std::int64_t now) {
  if (a == pm::KeeperAction::none || !keeper_.wanted()) return;
  const pm::SendResult r = a == pm::KeeperAction::send_set
                               ? client_.send_set(*keeper_.wanted())
                               : client_.send_get(pm::ManagementId::grandmaster_settings_np);
  if (!r.ok()) {
    ++counters_.send_failures;
    keeper_.failed(now);
    set_reachable(false, r.message);
    return;
  }
  ++(a == pm::KeeperAction::send_set ? counters_.sets_sent : counters_.gets_sent);
  keeper_.sent(a, now);
}

void Ptp4lPublisher::receive_all(std::int64_t now) {
  while (auto got = client_.receive()) {
    if (const auto* err = std::get_if<pm::DecodeError>(&*got)) {
      ++counters_.bad_replies;
      log::warning("ptp4l {}: malformed management reply ignored: {}", path_, err->message);
      continue;
    }
    const auto& m = std::get<pm::Message>(*got);
    if (m.management_id != static_cast<std::uint16_t>(pm::ManagementId::grandmaster_settings_np)) {
      continue;  // an answer to someone else's question (or a late one of ours): not ours
    }
    if (const auto* e = std::get_if<pm::ManagementErrorStatus>(&m.payload)) {
      ++counters_.error_replies;
      log::warning("ptp4l {}: {}", path_, e->describe());
      keeper_.failed(now);
      continue;
    }
    if (const auto* gs = std::get_if<pm::GrandmasterSettings>(&m.payload)) {
      if (m.action != pm::Action::response) continue;
      announced_class_ = gs->quality.clock_class;
      set_reachable(true, {});
      const pm::KeeperAction next = keeper_.observed(*gs, now);
      if (next != pm::KeeperAction::none) {
        log::info("ptp4l {} announces clockClass {}: correcting", path_, gs->quality.clock_class);
      }
      act(next, now);
    }
  }
}

void Ptp4lPublisher::set_reachable(bool r, const std::string& why) {
  if (reported_ && r == reachable_) return;
  reachable_ = r;
  reported_ = true;
  if (r) {
    log::notice("ptp4l {}: answering; keeping GRANDMASTER_SETTINGS_NP in step", path_);
  } else {
    log::warning("ptp4l {}: not reachable ({}); retrying every second", path_, why);
  }
}

bool Ptp4lPublisher::announce_final(const discipline::ClockQuality& q, int timeout_ms) {
  const pm::GrandmasterSettings gs = pm::to_grandmaster_settings(q);
  const auto r = client_.set_grandmaster_settings(gs, std::chrono::milliseconds(timeout_ms));
  if (!r.ok()) {
    log::warning("ptp4l {}: could not announce clockClass {} before stopping: {}", path_,
                 gs.quality.clock_class, r.message);
    return false;
  }
  log::notice("ptp4l {}: now announcing clockClass {} (not traceable)", path_,
              r.value.quality.clock_class);
  return r.value == gs;
}

}  // namespace nanotime::ppsd
