#pragma once
// The metric catalogue: every name the nanotime daemons export, with its unit and help, in one
// place. A daemon constructs the structs it needs on its Registry at start-up and updates the
// handles from its event loop:
//
//   status::Registry reg;
//   status::CommonMetrics common(reg, "phc-pps-sync", NANOTIME_VERSION, now_unix_s);
//   status::GpsdMetrics gpsd(reg);
//   status::PhcSyncMetrics phc(reg);
//   on each engine output:  phc.update(engine.status(), now_unix_s)   (see PhcSyncMetrics)
//
// Units are base units (Prometheus convention): seconds, and frequency adjustments as a ratio
// (1 ppb = 1e-9). The dashboard shows ns and ppb.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "status/metrics.hpp"

namespace nanotime::status {

// Lock states, in the order of discipline::LockState (so set_index(static_cast<size_t>(s))).
inline constexpr std::array<std::string_view, 5> kLockStates = {"acquiring", "converging", "tracking",
                                                                 "holdover", "freerun"};
// Default status ports (HTTP on 127.0.0.1), chosen next to each other and away from the ports
// of chrony (323), gpsd (2947), ptp4l/PTP (319/320) and common Prometheus exporters (9xxx).
inline constexpr std::uint16_t kPhcPpsSyncPort = 8473;
inline constexpr std::uint16_t kGpsSockBridgePort = 8474;

inline constexpr std::size_t kHistoryPoints = 3600;  // one hour at 1 s
inline constexpr double kHistoryResolutionS = 1.0;

// Every daemon.
struct CommonMetrics {
  CommonMetrics(Registry& reg, std::string_view daemon, std::string_view version,
                double start_unix_s);
  Info& build_info;     // nanotime_build_info{daemon="...",version="..."} 1
  Gauge& start_time;    // nanotime_start_time_seconds (Unix time of start)
};

// A daemon's gpsd connection (both daemons read gpsd).
struct GpsdMetrics {
  explicit GpsdMetrics(Registry& reg);
  Gauge& connected;        // nanotime_gpsd_connected 0/1
  Gauge& fix_mode;         // nanotime_gpsd_fix_mode: gpsd's mode, 0 unknown, 1 none, 2 2D, 3 3D
  Gauge& satellites_used;  // nanotime_gpsd_satellites_used
  Counter& connects;       // nanotime_gpsd_connects_total: successful (re)connections
};

// Mirrors of the discipline engine's plain counters (EngineStatus), for update().
struct PulseCounts {
  std::uint64_t seen = 0, used = 0, lost = 0, ambiguous = 0, stale = 0, outlier = 0;
};

// phc-pps-sync: the PHC lock, what chronyd and ptp4l are told, and their view.
struct PhcSyncMetrics {
  explicit PhcSyncMetrics(Registry& reg);

  StateSet& lock_state;          // nanotime_lock_state{state=...}; timeline of changes
  Gauge& clock_class;            // nanotime_clock_class (told to ptp4l: 6, 7, 52, 187, 248)
  Gauge& clock_accuracy;         // nanotime_clock_accuracy (IEEE 1588 enumeration, 254 unknown)
  Gauge& time_traceable;         // nanotime_time_traceable 0/1
  Gauge& error_bound;            // nanotime_error_bound_seconds (bound on |PHC − TAI|; +Inf unknown)
  Gauge& phc_offset;             // nanotime_phc_offset_seconds (last measured PHC − TAI at an edge)
  Gauge& phc_frequency;          // nanotime_phc_frequency_adjustment_ratio (ppb × 1e-9)
  Gauge& tai_utc_offset;         // nanotime_tai_utc_offset_seconds
  Gauge& link_up;                // nanotime_phc_link_up 0/1 (PHY carrier)
  // nanotime_pulses_total{result="seen|used|lost|ambiguous|stale|outlier"}
  Counter& pulses_seen;
  Counter& pulses_used;
  Counter& pulses_lost;
  Counter& pulses_ambiguous;
  Counter& pulses_stale;
  Counter& pulses_outlier;
  Counter& steps;                // nanotime_phc_steps_total
  // nanotime_chrony_samples_total{result="sent|not_delivered"}
  Counter& chrony_sent;
  Counter& chrony_not_delivered;
  Gauge& ptp4l_reachable;        // nanotime_ptp4l_reachable 0/1 (management socket answers)
  Gauge& ptp4l_clock_class;      // nanotime_ptp4l_clock_class: what ptp4l announces (read back)
  // nanotime_ptp4l_updates_total{result="sent|failed"} (GRANDMASTER_SETTINGS_NP)
  Counter& ptp4l_updates_sent;
  Counter& ptp4l_updates_failed;

  History& offset_history;       // phc_offset_seconds, 3600 × 1 s
  History& frequency_history;    // phc_frequency_adjustment_ratio, 3600 × 1 s
  History& error_bound_history;  // error_bound_seconds, 3600 × 1 s

  // Convenience for the daemon: the lock state by engine enum value (see kLockStates).
  void set_lock_state(std::size_t state_index, double now_unix_s) { lock_state.set_index(state_index, now_unix_s); }
  void set_pulse_counts(const PulseCounts& counts);
  // After a pulse: the gauges and their histories together.
  void record_pulse(double now_unix_s, double offset_s, double frequency_ratio, double error_bound_s);
};

// phc-pps-sync's NTP half: how PHC time reaches the system clock (lib/transfer), what bound the
// samples sent to chronyd carry, and the GPIO PPS cross-check (docs/hardware-notes.md#phc-read,
// #gpio-pps). The same figures, with text, make /status's "system" object (`section`).
struct SystemClockMetrics {
  explicit SystemClockMetrics(Registry& reg);

  Gauge& bound;              // nanotime_system_bound_seconds: |claimed − real| of the last sample
  Gauge& shift;              // nanotime_system_transfer_shift_seconds: GPIO calibration applied
  Info& transfer;            // nanotime_system_transfer_info{method,latch_model}
  Counter& reads;            // nanotime_phc_reads_total: PHC reads (a few per request)
  // nanotime_phc_read_requests_total{result="requested|slow_rejected|error"}
  Counter& read_requests;
  Counter& read_slow;
  Counter& read_errors;
  // nanotime_phc_read_bracket_seconds{stat="last|usual|p50|p99|max"}: the chosen read's width
  Gauge& bracket_last;
  Gauge& bracket_usual;
  Gauge& bracket_p50;
  Gauge& bracket_p99;
  Gauge& bracket_max;
  Gauge& gpio_configured;    // nanotime_gpio_pps_configured 0/1
  // nanotime_gpio_pps_pulses_total{result="paired|missed|unmatched"}
  Counter& gpio_paired;
  Counter& gpio_missed;
  Counter& gpio_unmatched;
  // nanotime_gpio_phc_difference_seconds{stat="last|min|p50"}: GPIO − PHC path's system time
  Gauge& gpio_difference_last;
  Gauge& gpio_difference_min;
  Gauge& gpio_difference_p50;
  Gauge& alarm;              // nanotime_system_transfer_alarm 0/1: GPIO and PHC disagree
  Gauge& disagreement;       // nanotime_system_transfer_disagreement_seconds (while alarmed)
  Counter& alarm_samples;    // nanotime_system_transfer_alarm_samples_total
  Section& section;          // /status "system"
};

// gps-sock-bridge: the serial (TOFF) and PPS samples it sends chronyd.
struct BridgeMetrics {
  explicit BridgeMetrics(Registry& reg);

  Gauge& serial_offset;          // nanotime_serial_offset_estimate_seconds (TOFF: real − clock + offset)
  Gauge& pps_offset;             // nanotime_pps_offset_seconds (PPS sample offset, qErr-corrected)
  Gauge& pps_qerr;               // nanotime_pps_qerr_seconds (receiver quantisation error)
  // nanotime_bridge_samples_total{source="toff|pps",result="sent|not_delivered|rejected"}
  Counter& toff_sent;
  Counter& toff_not_delivered;
  Counter& toff_rejected;        // no fix / insane time: not sent
  Counter& pps_sent;
  Counter& pps_not_delivered;
  Counter& pps_rejected;
  History& serial_offset_history;  // serial_offset_estimate_seconds, 3600 × 1 s
  History& pps_offset_history;     // pps_offset_seconds, 3600 × 1 s

  void record_serial_offset(double now_unix_s, double offset_s);
  void record_pps_offset(double now_unix_s, double offset_s);
};

}  // namespace nanotime::status
