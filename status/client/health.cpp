#include "status/client/health.hpp"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace nanotime::status {

namespace {

double metric_value(const JsonValue& status, std::string_view name) {
  const JsonValue* v = status.at_path({"metrics", name, "value"});
  return v ? v->number_or(std::nan("")) : std::nan("");
}

const ChronySource* find_source(const std::vector<ChronySource>& sources, std::string_view name) {
  for (const auto& s : sources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

class Verdict {
 public:
  void failed(std::string why) {
    code_ = kExitFailed;
    failed_.push_back(std::move(why));
  }
  void degraded(std::string why) {
    if (code_ < kExitDegraded) code_ = kExitDegraded;
    degraded_.push_back(std::move(why));
  }
  Health done() {
    Health h;
    h.code = code_;
    h.reasons = std::move(failed_);
    h.reasons.insert(h.reasons.end(), degraded_.begin(), degraded_.end());
    return h;
  }

 private:
  int code_ = kExitLocked;
  std::vector<std::string> failed_, degraded_;
};

void read_system(const JsonValue& status, PhcSyncView& v) {
  const JsonValue* sys = status.get("system");
  if (sys == nullptr || sys->kind != JsonValue::Kind::object) return;
  v.system_reported = true;
  const auto ns = [sys](std::string_view key) {
    const JsonValue* x = sys->get(key);
    return x ? x->number_or(std::nan("")) * 1e-9 : std::nan("");
  };
  const auto flag = [sys](std::string_view key) {
    const JsonValue* x = sys->get(key);
    return x != nullptr && x->kind == JsonValue::Kind::boolean && x->boolean;
  };
  v.system_bound_s = ns("bound_ns");
  if (const JsonValue* m = sys->get("method")) v.system_method = m->string_or("");
  if (const JsonValue* m = sys->get("latch_model")) v.latch_model = m->string_or("");
  v.gpio_configured = flag("gpio_configured");
  v.gpio_alarm = flag("alarm");
  v.gpio_disagreement_s = ns("disagreement_ns");
}

}  // namespace

PhcSyncView phc_sync_view(const JsonValue& status) {
  PhcSyncView v;
  v.reachable = true;
  if (const JsonValue* s = status.at_path({"metrics", "nanotime_lock_state", "state"})) v.lock_state = s->string_or("");
  v.clock_class = metric_value(status, "nanotime_clock_class");
  v.error_bound_s = metric_value(status, "nanotime_error_bound_seconds");
  v.phc_offset_s = metric_value(status, "nanotime_phc_offset_seconds");
  v.frequency_ratio = metric_value(status, "nanotime_phc_frequency_adjustment_ratio");
  v.ptp4l_reachable = metric_value(status, "nanotime_ptp4l_reachable");
  v.ptp4l_clock_class = metric_value(status, "nanotime_ptp4l_clock_class");
  read_system(status, v);
  return v;
}

BridgeView bridge_view(const JsonValue& status) {
  BridgeView v;
  v.reachable = true;
  v.gpsd_connected = metric_value(status, "nanotime_gpsd_connected");
  v.fix_mode = metric_value(status, "nanotime_gpsd_fix_mode");
  v.satellites_used = metric_value(status, "nanotime_gpsd_satellites_used");
  v.serial_offset_s = metric_value(status, "nanotime_serial_offset_estimate_seconds");
  v.pps_offset_s = metric_value(status, "nanotime_pps_offset_seconds");
  return v;
}

Health assess(const HealthInput& in) {
  Verdict v;
  // phc-pps-sync: the heart of the box.
  if (!in.phc.reachable) {
    v.failed("phc-pps-sync is not reachable");
  } else if (in.phc.lock_state == "freerun") {
    v.failed("PHC is in freerun: not traceable to GNSS");
  } else if (in.phc.lock_state == "holdover") {
    v.degraded("PHC is in holdover (no usable PPS)");
  } else if (in.phc.lock_state == "acquiring" || in.phc.lock_state == "converging") {
    v.degraded(fmt::format("PHC is not locked yet ({})", in.phc.lock_state));
  } else if (in.phc.lock_state != "tracking") {
    v.failed(fmt::format("PHC lock state unknown ('{}')", in.phc.lock_state));
  }
  if (in.phc.reachable) {
    if (in.phc.ptp4l_reachable == 0) {
      v.degraded("ptp4l does not answer on its management socket");
    } else if (in.phc.ptp4l_reachable == 1 && std::isfinite(in.phc.ptp4l_clock_class) &&
               std::isfinite(in.phc.clock_class) && in.phc.ptp4l_clock_class != in.phc.clock_class) {
      v.degraded(fmt::format("ptp4l announces clockClass {} but was told {}",
                             in.phc.ptp4l_clock_class, in.phc.clock_class));
    }
  }

  // The system clock that NTP clients get: the GPIO PPS says it is not where the PHC path puts
  // it, so the bound chronyd was told may not hold.
  if (in.phc.reachable && in.phc.gpio_alarm) {
    v.degraded(std::isfinite(in.phc.gpio_disagreement_s)
                   ? fmt::format("GPIO PPS alarm: the GPIO PPS and the PHC disagree about the system "
                                 "clock by {:.1f} µs beyond their bounds",
                                 in.phc.gpio_disagreement_s * 1e6)
                   : std::string("GPIO PPS alarm: the GPIO PPS and the PHC disagree about the "
                                 "system clock beyond their bounds"));
  }

  // chronyd must be using the PHC.
  if (!in.chrony_reachable || !in.tracking) {
    v.failed("chronyd is not reachable (chronyc tracking failed)");
  } else if (in.tracking->ref_name != in.phc_refid) {
    v.failed(fmt::format("chronyd has not selected the PHC ({}): reference is '{}'", in.phc_refid,
                         in.tracking->ref_name.empty() ? "none" : in.tracking->ref_name));
  }

  // gps-sock-bridge and the independent cross-check.
  if (in.bridge_expected) {
    if (!in.bridge.reachable) {
      v.degraded("gps-sock-bridge is not reachable (no cross-check)");
    } else if (in.bridge.gpsd_connected == 0) {
      v.degraded("gps-sock-bridge is not connected to gpsd");
    } else if (std::isfinite(in.bridge.fix_mode) && in.bridge.fix_mode < 2) {
      v.degraded("the GNSS receiver has no fix");
    }
  }
  if (in.chrony_reachable && !in.pps_refid.empty()) {
    const ChronySource* phc = find_source(in.sources, in.phc_refid);
    const ChronySource* pps = find_source(in.sources, in.pps_refid);
    if (phc && pps && phc->reach != 0 && pps->reach != 0) {
      const double diff = phc->offset_s - pps->offset_s;
      if (std::fabs(diff) > in.cross_check_limit_s) {
        v.degraded(fmt::format("cross-check: {} and {} disagree by {:.3f} µs (limit {:.3f} µs)",
                               in.phc_refid, in.pps_refid, diff * 1e6, in.cross_check_limit_s * 1e6));
      }
    }
  }
  return v.done();
}

std::string_view verdict_name(int code) {
  switch (code) {
    case kExitLocked: return "locked";
    case kExitDegraded: return "degraded";
    default: return "failed";
  }
}

}  // namespace nanotime::status
