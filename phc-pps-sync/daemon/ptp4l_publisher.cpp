#include "daemon/ptp4l_publisher.hpp"

#include <chrono>

#include "log/log.hpp"
#include "ptpmgmt/quality_map.hpp"

namespace nanotime::ppsd {

namespace pm = nanotime::ptpmgmt;

Ptp4lPublisher::Ptp4lPublisher(std::string ptp4l_path, std::uint8_t domain,
                               pm::KeeperOptions options)
    : path_(ptp4l_path),
      publisher_(pm::ClientOptions{.ptp4l_path = std::move(ptp4l_path), .local_path = {},
                                   .domain = domain},
                 options) {}

void Ptp4lPublisher::want(const discipline::ClockQuality& q, std::int64_t now) {
  publisher_.want(pm::to_grandmaster_settings(q), now);
}

void Ptp4lPublisher::service(std::int64_t now) {
  publisher_.on_readable(now);
  publisher_.tick(now);
}

std::optional<std::uint8_t> Ptp4lPublisher::announced_class() const {
  const auto& k = publisher_.keeper();
  if (!k.in_sync() || !k.wanted()) return std::nullopt;
  return k.wanted()->quality.clock_class;
}

bool Ptp4lPublisher::announce_final(const discipline::ClockQuality& q, int timeout_ms) {
  const pm::GrandmasterSettings gs = pm::to_grandmaster_settings(q);
  // The client's blocking helper matches the answer by sequence id, so a late answer to an
  // earlier request still queued on the socket cannot be mistaken for this one.
  const auto r = publisher_.client().set_grandmaster_settings(gs, std::chrono::milliseconds(timeout_ms));
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
