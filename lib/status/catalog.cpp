#include "status/catalog.hpp"

namespace nanotime::status {

namespace {

std::vector<std::string> lock_state_names() {
  return {kLockStates.begin(), kLockStates.end()};
}

constexpr std::string_view kPulsesHelp =
    "PPS edges by fate: seen (EXTTS events), used (fed to the servo), lost (expected, never "
    "came), ambiguous (could not be labelled), stale (duplicate timestamps), outlier (rejected)";
constexpr std::string_view kChronyHelp =
    "PHC samples for chronyd's SOCK refclock: sent, or not_delivered (socket absent or full)";
constexpr std::string_view kPtpUpdatesHelp =
    "GRANDMASTER_SETTINGS_NP updates to ptp4l: sent (acknowledged) or failed";
constexpr std::string_view kBridgeHelp =
    "Samples for chronyd from gpsd: source toff (serial time) or pps; result sent, "
    "not_delivered (socket absent or full) or rejected (no fix, insane time)";

}  // namespace

CommonMetrics::CommonMetrics(Registry& reg, std::string_view daemon, std::string_view version,
                             double start_unix_s)
    : build_info(reg.info("nanotime_build_info", "The daemon and its version",
                          {{"daemon", std::string(daemon)}, {"version", std::string(version)}})),
      start_time(reg.gauge("nanotime_start_time_seconds", "seconds",
                           "Unix time the daemon started")) {
  start_time.set(start_unix_s);
}

GpsdMetrics::GpsdMetrics(Registry& reg)
    : connected(reg.gauge("nanotime_gpsd_connected", "", "1 while connected to gpsd")),
      fix_mode(reg.gauge("nanotime_gpsd_fix_mode", "",
                         "gpsd fix mode: 0 unknown, 1 no fix, 2 2D, 3 3D")),
      satellites_used(reg.gauge("nanotime_gpsd_satellites_used", "",
                                "Satellites used in the receiver's solution")),
      connects(reg.counter("nanotime_gpsd_connects_total", "", "Successful connections to gpsd")) {
  connected.set(0);
}

PhcSyncMetrics::PhcSyncMetrics(Registry& reg)
    : lock_state(reg.state_set("nanotime_lock_state",
                               "Lock state of the PHC to PPS: acquiring, converging, tracking, "
                               "holdover, freerun",
                               lock_state_names())),
      clock_class(reg.gauge("nanotime_clock_class", "",
                            "IEEE 1588 clockClass told to ptp4l (6 locked, 7 holdover in spec, "
                            "52/187 degraded, 248 default)")),
      clock_accuracy(reg.gauge("nanotime_clock_accuracy", "",
                               "IEEE 1588 clockAccuracy code told to ptp4l (254 unknown)")),
      time_traceable(reg.gauge("nanotime_time_traceable", "",
                               "1 while the PHC time is traceable to GNSS")),
      error_bound(reg.gauge("nanotime_error_bound_seconds", "seconds",
                            "Bound on |PHC - TAI| claimed by the engine (+Inf when unknown)")),
      phc_offset(reg.gauge("nanotime_phc_offset_seconds", "seconds",
                           "Last measured PHC - TAI at a PPS edge (after qErr and cable delay)")),
      phc_frequency(reg.gauge("nanotime_phc_frequency_adjustment_ratio", "ratio",
                              "Frequency adjustment applied to the PHC (1 ppb = 1e-9)")),
      tai_utc_offset(reg.gauge("nanotime_tai_utc_offset_seconds", "seconds",
                               "TAI - UTC in use (leap seconds)")),
      link_up(reg.gauge("nanotime_phc_link_up", "",
                        "1 while the PHY owning the PHC has carrier (else EXTTS is stale)")),
      pulses_seen(reg.counter("nanotime_pulses_total", "", kPulsesHelp, {{"result", "seen"}})),
      pulses_used(reg.counter("nanotime_pulses_total", "", kPulsesHelp, {{"result", "used"}})),
      pulses_lost(reg.counter("nanotime_pulses_total", "", kPulsesHelp, {{"result", "lost"}})),
      pulses_ambiguous(reg.counter("nanotime_pulses_total", "", kPulsesHelp, {{"result", "ambiguous"}})),
      pulses_stale(reg.counter("nanotime_pulses_total", "", kPulsesHelp, {{"result", "stale"}})),
      pulses_outlier(reg.counter("nanotime_pulses_total", "", kPulsesHelp, {{"result", "outlier"}})),
      steps(reg.counter("nanotime_phc_steps_total", "", "Steps of the PHC (ADJ_SETOFFSET)")),
      chrony_sent(reg.counter("nanotime_chrony_samples_total", "", kChronyHelp, {{"result", "sent"}})),
      chrony_not_delivered(reg.counter("nanotime_chrony_samples_total", "", kChronyHelp,
                                       {{"result", "not_delivered"}})),
      ptp4l_reachable(reg.gauge("nanotime_ptp4l_reachable", "",
                                "1 while ptp4l's management socket answers")),
      ptp4l_clock_class(reg.gauge("nanotime_ptp4l_clock_class", "",
                                  "clockClass ptp4l announces, as read back from ptp4l")),
      ptp4l_updates_sent(reg.counter("nanotime_ptp4l_updates_total", "", kPtpUpdatesHelp, {{"result", "sent"}})),
      ptp4l_updates_failed(reg.counter("nanotime_ptp4l_updates_total", "", kPtpUpdatesHelp, {{"result", "failed"}})),
      offset_history(reg.history("phc_offset_seconds", "seconds", "PHC - TAI at each PPS edge",
                                 kHistoryPoints, kHistoryResolutionS)),
      frequency_history(reg.history("phc_frequency_adjustment_ratio", "ratio",
                                    "PHC frequency adjustment", kHistoryPoints, kHistoryResolutionS)),
      error_bound_history(reg.history("error_bound_seconds", "seconds", "Error bound on |PHC - TAI|",
                                      kHistoryPoints, kHistoryResolutionS)) {}

void PhcSyncMetrics::set_pulse_counts(const PulseCounts& c) {
  pulses_seen.set(c.seen);
  pulses_used.set(c.used);
  pulses_lost.set(c.lost);
  pulses_ambiguous.set(c.ambiguous);
  pulses_stale.set(c.stale);
  pulses_outlier.set(c.outlier);
}

void PhcSyncMetrics::record_pulse(double now_unix_s, double offset_s, double frequency_ratio,
                                  double error_bound_s) {
  phc_offset.set(offset_s);
  phc_frequency.set(frequency_ratio);
  error_bound.set(error_bound_s);
  offset_history.push(now_unix_s, offset_s);
  frequency_history.push(now_unix_s, frequency_ratio);
  error_bound_history.push(now_unix_s, error_bound_s);
}

namespace {
constexpr const char* kReadRequestsHelp =
    "PHC read requests (one after each EXTTS event): requested, slow_rejected (the narrowest "
    "read was slow: no sample), error (the read failed: no sample)";
constexpr const char* kBracketHelp =
    "Width of the chosen PHC read's bracket of system clock reads: last, usual (learnt), "
    "p50/p99/max of the last 64";
constexpr const char* kGpioPulsesHelp =
    "GPIO PPS pulses: paired with an EXTTS edge, missed (counted by the kernel, never fetched), "
    "unmatched (no EXTTS edge within 0.5 s)";
constexpr const char* kGpioDifferenceHelp =
    "GPIO PPS timestamp minus the PHC path's system time of the same edge: last, min and p50 "
    "over the window (the minimum is the interrupt latency floor plus the transfer's error)";

Gauge& stat_gauge(Registry& reg, const char* name, const char* help, const char* stat) {
  return reg.gauge(name, "seconds", help, {{"stat", stat}});
}
}  // namespace

SystemClockMetrics::SystemClockMetrics(Registry& reg)
    : bound(reg.gauge("nanotime_system_bound_seconds", "seconds",
                      "Bound on the error of the system clock offset last sent to chronyd: the "
                      "PHC's bound plus the transfer's (bracket, or GPIO-calibrated)")),
      shift(reg.gauge("nanotime_system_transfer_shift_seconds", "seconds",
                      "GPIO calibration added to the latch model's system time estimate")),
      transfer(reg.info("nanotime_system_transfer_info",
                        "How PHC time is carried to the system clock: method (latch-model or "
                        "gpio-calibrated) and the PHC driver's latch model",
                        {{"method", ""}, {"latch_model", ""}})),
      reads(reg.counter("nanotime_phc_reads_total", "", "PHC reads (PTP_SYS_OFFSET samples)")),
      read_requests(reg.counter("nanotime_phc_read_requests_total", "", kReadRequestsHelp,
                                {{"result", "requested"}})),
      read_slow(reg.counter("nanotime_phc_read_requests_total", "", kReadRequestsHelp,
                            {{"result", "slow_rejected"}})),
      read_errors(reg.counter("nanotime_phc_read_requests_total", "", kReadRequestsHelp,
                              {{"result", "error"}})),
      bracket_last(stat_gauge(reg, "nanotime_phc_read_bracket_seconds", kBracketHelp, "last")),
      bracket_usual(stat_gauge(reg, "nanotime_phc_read_bracket_seconds", kBracketHelp, "usual")),
      bracket_p50(stat_gauge(reg, "nanotime_phc_read_bracket_seconds", kBracketHelp, "p50")),
      bracket_p99(stat_gauge(reg, "nanotime_phc_read_bracket_seconds", kBracketHelp, "p99")),
      bracket_max(stat_gauge(reg, "nanotime_phc_read_bracket_seconds", kBracketHelp, "max")),
      gpio_configured(reg.gauge("nanotime_gpio_pps_configured", "",
                                "1 when a GPIO PPS (gpio_pps_device) checks the system clock")),
      gpio_paired(reg.counter("nanotime_gpio_pps_pulses_total", "", kGpioPulsesHelp,
                              {{"result", "paired"}})),
      gpio_missed(reg.counter("nanotime_gpio_pps_pulses_total", "", kGpioPulsesHelp,
                              {{"result", "missed"}})),
      gpio_unmatched(reg.counter("nanotime_gpio_pps_pulses_total", "", kGpioPulsesHelp,
                                 {{"result", "unmatched"}})),
      gpio_difference_last(stat_gauge(reg, "nanotime_gpio_phc_difference_seconds",
                                      kGpioDifferenceHelp, "last")),
      gpio_difference_min(stat_gauge(reg, "nanotime_gpio_phc_difference_seconds",
                                     kGpioDifferenceHelp, "min")),
      gpio_difference_p50(stat_gauge(reg, "nanotime_gpio_phc_difference_seconds",
                                     kGpioDifferenceHelp, "p50")),
      alarm(reg.gauge("nanotime_system_transfer_alarm", "",
                      "1 while the GPIO PPS and the PHC path disagree beyond their bounds")),
      disagreement(reg.gauge("nanotime_system_transfer_disagreement_seconds", "seconds",
                             "By how much the GPIO PPS and the PHC path disagree (while alarmed)")),
      alarm_samples(reg.counter("nanotime_system_transfer_alarm_samples_total", "",
                                "Samples sent to chronyd while the GPIO alarm was raised")),
      section(reg.section("system")) {}

BridgeMetrics::BridgeMetrics(Registry& reg)
    : serial_offset(reg.gauge("nanotime_serial_offset_estimate_seconds", "seconds",
                              "Serial (TOFF) time minus system clock, with the configured offset")),
      pps_offset(reg.gauge("nanotime_pps_offset_seconds", "seconds",
                           "gpsd PPS time minus system clock, qErr-corrected")),
      pps_qerr(reg.gauge("nanotime_pps_qerr_seconds", "seconds",
                         "Receiver quantisation error of the last pulse")),
      toff_sent(reg.counter("nanotime_bridge_samples_total", "", kBridgeHelp, {{"source", "toff"}, {"result", "sent"}})),
      toff_not_delivered(reg.counter("nanotime_bridge_samples_total", "", kBridgeHelp, {{"source", "toff"}, {"result", "not_delivered"}})),
      toff_rejected(reg.counter("nanotime_bridge_samples_total", "", kBridgeHelp, {{"source", "toff"}, {"result", "rejected"}})),
      pps_sent(reg.counter("nanotime_bridge_samples_total", "", kBridgeHelp, {{"source", "pps"}, {"result", "sent"}})),
      pps_not_delivered(reg.counter("nanotime_bridge_samples_total", "", kBridgeHelp, {{"source", "pps"}, {"result", "not_delivered"}})),
      pps_rejected(reg.counter("nanotime_bridge_samples_total", "", kBridgeHelp, {{"source", "pps"}, {"result", "rejected"}})),
      serial_offset_history(reg.history("serial_offset_estimate_seconds", "seconds",
                                        "Serial (TOFF) offset estimate", kHistoryPoints, kHistoryResolutionS)),
      pps_offset_history(reg.history("pps_offset_seconds", "seconds", "gpsd PPS offset",
                                     kHistoryPoints, kHistoryResolutionS)) {}

void BridgeMetrics::record_serial_offset(double now_unix_s, double offset_s) {
  serial_offset.set(offset_s);
  serial_offset_history.push(now_unix_s, offset_s);
}

void BridgeMetrics::record_pps_offset(double now_unix_s, double offset_s) {
  pps_offset.set(offset_s);
  pps_offset_history.push(now_unix_s, offset_s);
}

}  // namespace nanotime::status
