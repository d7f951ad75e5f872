#pragma once
// What phc-pps-sync shows: the systemd STATUS= line, and lib/status's metrics with their HTTP
// server (/metrics, /status, the dashboard) as [phc-pps-sync.status] says.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "conductor/conductor.hpp"
#include "discipline/engine.hpp"
#include "status/catalog.hpp"
#include "status/chronyd_metrics.hpp"
#include "status/endpoint.hpp"
#include "status/http_config.hpp"
#include "status/metrics.hpp"
#include "status/receiver_metrics.hpp"

namespace nanotime::ppsd {

// The daemon implements and drives the conductor's ports (lib/conductor).
using namespace nanotime::conductor;

class Ptp4lPublisher;

// "tracking, PHC−TAI +3 ns, bound 25 ns, clockClass 6" (pure; for sd_notify STATUS=).
std::string status_line(const discipline::EngineStatus& s);
// The same, without the offset: changes only when something a human cares about changes.
std::string status_key(const discipline::EngineStatus& s);

// The receiver watch's state (nullopt: no watch) and the engine's view of it, for status.
status::ReceiverFacts receiver_facts(const std::optional<ReceiverStatus>& r,
                                     const discipline::EngineStatus& e);

// The NTP half's figures as /metrics series and /status's "system" object.
void publish_transfer(const TransferStatus& t, status::SystemClockMetrics& m);

struct StatusSnapshot {
  const discipline::EngineStatus* engine = nullptr;
  const Conductor* conductor = nullptr;
  const Ptp4lPublisher* ptp4l = nullptr;  // null when off
  const TransferStatus* transfer = nullptr;  // the NTP half (conductor's transfer_status())
  std::optional<bool> gpsd_connected;     // nullopt: no gpsd (tod_source = system)
  bool link_up = true;
};

class DaemonStatus {
 public:
  // Not enabled → metrics are kept but not served. Throws std::system_error / invalid_argument
  // when the address cannot be bound.
  DaemonStatus(const status::StatusConfig& config, double start_unix_s,
               std::function<double()> now_unix_s);
  ~DaemonStatus();

  int fd() const { return http_.fd(); }
  std::optional<std::int64_t> next_deadline_ns() const { return http_.next_deadline_ns(); }
  void handle_ready(std::int64_t now_mono_ns) { http_.handle_ready(now_mono_ns); }
  std::string endpoint() const { return http_.endpoint(); }
  const status::Registry& registry() const { return registry_; }
  // chronyd's view (daemon/chronyd_hook.hpp fills it) and the leap-seconds file's expiry.
  status::ChronydMetrics& chronyd() { return chronyd_; }
  status::LeapFileMetrics& leap_file() { return leap_file_; }

  // After every engine-facing event; cheap.
  void update(const StatusSnapshot& s, double now_unix_s);

 private:
  status::Registry registry_;
  status::CommonMetrics common_;
  status::GpsdMetrics gpsd_;
  status::PhcSyncMetrics phc_;
  status::SystemClockMetrics system_;
  status::ChronydMetrics chronyd_;
  status::LeapFileMetrics leap_file_;
  status::StatusEndpoint http_;
  std::uint64_t last_pulses_seen_ = 0;
  status::ReceiverMetrics receiver_{registry_};  // the receiver watch (registry_ comes first)
};

}  // namespace nanotime::ppsd
