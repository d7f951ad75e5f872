#pragma once
// The conductor: events from the devices → the discipline engine → commands to the devices.
// No clocks of its own (Clocks), no sockets (ports.hpp), no sleeping: the daemon's event loop
// (phc-pps-sync/daemon/daemon.cpp) calls one handler per readable fd or timer, the simulator's
// virtual-time runner (sim/simulation.cpp) calls the same handlers at each simulated instant,
// and tests call them with fakes.
//
// The PHC−system offset (what chronyd gets) is read right after an EXTTS event and at no other
// time while pulses come (on the CM4 every PHC read can cost a pulse, and right after
// an edge the next one is ≥ 0.75 s away). The engine may allow a sample later than the event
// that carried its pulse (a pulse can wait for its time message): the reading taken after that
// EXTTS event is used if it is younger than kMaxReadingAgeNs. Only when pulses have stopped
// (holdover, no EXTTS for kQuietNs) is the PHC read on the event that allows the sample.
//
// The PHC-to-system transfer (lib/transfer, docs/hardware-notes.md#phc-read): of a request's
// kOffsetSamples reads the ReadSelector keeps the narrowest (a slow request gives no sample
// this pulse); the latch model (options.latch_model) places its system time, the bracket bounds
// it. With a GpioPpsSource each wake-up's EXTTS edge is paired with the latest GPIO timestamp
// (the nearest edge within kGpioPairWindowNs: a both-edges driver's falling edge, a lost or a
// foreign pulse pairs with nothing), and GpioCrossCheck narrows — or, when the two paths
// disagree, alarms on — every sample's interval. chronyd is sent the estimate + the GPIO shift;
// the observer and TransferStatus get the bound. A failed read (phc::PhcReadError) costs one
// sample; any other PhcError still ends the daemon.

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "conductor/ports.hpp"
#include "conductor/transfer_status.hpp"
#include "discipline/engine.hpp"
#include "phc/ptp_clock.hpp"
#include "transfer/gpio_cross_check.hpp"
#include "transfer/latch_model.hpp"
#include "transfer/read_selector.hpp"

namespace nanotime::conductor {

inline constexpr std::int64_t kMaxReadingAgeNs = 1'000'000'000;
inline constexpr std::int64_t kQuietNs = 1'500'000'000;
// PTP_SYS_OFFSET(_EXTENDED) reads per request: one ioctl; the narrowest is used
// (transfer::ReadSelector). Every read disables the CM4 PHY's EXTTS capture while it runs
// (docs/hardware-notes.md#phc-read): the budget is what a CM4 can afford, keep it small.
inline constexpr unsigned kOffsetSamples = 3;
// A GPIO timestamp pairs with an EXTTS edge when the two paths put it this close: the GPIO's
// latency tails stay far below it, a both-edges driver's falling edge (0.1 s later) far above.
inline constexpr double kGpioPairWindowNs = 10e6;
// Recent chosen bracket widths and GPIO differences kept for the status percentiles.
inline constexpr std::size_t kTransferHistory = 64;

struct ConductorOptions {
  unsigned pin = 0;
  unsigned channel = 0;
  bool set_pin = true;
  // Live cable-delay change (SIGHUP): the engine was built with one cable delay; a different
  // one is applied by moving each edge's PHC time by the difference (see set_cable_delay_shift).
  double cable_delay_shift_ns = 0;
  // Log steps, clockClass changes and carrier changes. Off in virtual time: the log would be
  // stamped with the host's time, and a simulated day would print thousands of lines.
  bool log_events = true;
  // The PHC-to-system transfer (lib/transfer): where this driver latches the PHC inside a
  // read's bracket (resolved from the configuration's "auto" by the daemon), and the GPIO PPS
  // cross-check's assumptions (used only with a GpioPpsSource).
  transfer::LatchModel latch_model = *transfer::find_latch_model("midpoint");
  transfer::GpioCheckConfig gpio_check;
};

// What one chronyd sample was computed from: the chosen PHC read, the latch model's estimate of
// its system time, the GPIO cross-check, and what chronyd was told.
struct SampleTransfer {
  phc::OffsetMethod method = phc::OffsetMethod::basic;
  transfer::Transfer transfer;        // the chosen read: PHC value, estimate, bracket interval
  transfer::CheckedTransfer checked;  // after the GPIO cross-check (PHC bound included)
  std::int64_t system_ns = 0;         // transfer.system_ns + the GPIO shift: sent to chronyd
  double bound_ns() const { return checked.bound_ns(); }  // |claimed − real| ≤ this
};

// Sees what the conductor did, as it did it: where the virtual-time runner judges each pulse
// and sample against the truth, and where a recorder would plug in. Default: nothing.
class ConductorObserver {
 public:
  virtual ~ConductorObserver() = default;
  // An engine output, after its commands were applied.
  virtual void applied(const discipline::Output& /*out*/, std::int64_t /*now_mono_ns*/) {}
  // A chrony sample as sent (delivered or not), with the transfer it was computed from (and its
  // bound: sample.bound_ns()).
  virtual void chrony_sample(const discipline::ChronySample& /*sample*/,
                             const SampleTransfer& /*transfer*/, double /*offset_ns*/,
                             std::int64_t /*now_mono_ns*/) {}
};

struct ConductorCounters {
  std::uint64_t extts_events = 0;         // records on our channel, fed to the engine
  std::uint64_t extts_other_channel = 0;  // ignored
  std::uint64_t phc_reads = 0;            // PHC − system offset readings
  std::uint64_t chrony_sent = 0;
  std::uint64_t chrony_not_delivered = 0;
  std::uint64_t chrony_skipped = 0;       // allowed, but no fresh reading and pulses coming
  std::uint64_t tod_without_fix = 0;      // time messages dropped: gpsd has no fix
  std::uint64_t gpsd_connects = 0;        // Connected events of the time-of-day source
  std::uint64_t steps = 0;
  std::uint64_t frequency_commands = 0;
  std::uint64_t quality_changes = 0;
};

// The ClockQuality announced when the daemon stops: the clock is no longer traceable.
discipline::ClockQuality final_quality(const discipline::ClockQuality& current);

// Engine leap warning → chrony's leap field.
refclock::Leap to_chrony_leap(discipline::LeapWarning w);

// True UTC − system time of a PHC value read at system time system_ns, for the engine's sample
// permission:  true UTC = phc − phc_minus_tai_ns − tai_utc_s·1e9;  offset = true UTC − system.
double chrony_offset_ns(std::int64_t phc_ns, std::int64_t system_ns,
                        const discipline::ChronySample& s);

class Conductor {
 public:
  // `chrony` and `ptp4l` may be null (output off). Everything must outlive the conductor.
  Conductor(discipline::Engine& engine, phc::PtpClock& clock, Clocks& clocks,
            ChronySink* chrony, QualityPublisher* ptp4l, ConductorOptions options);

  // Route the pin, enable EXTTS, start from a known frequency (0 ppb: the engine assumes it).
  // Throws phc::PhcError.
  void start();
  // The PHC's fd is readable: read every queued EXTTS event and feed them.
  void on_extts_readable();
  // Events from the time-of-day source.
  void on_tod_events(const std::vector<gpsd::Event>& events);
  // The 1 s timer (with the board temperature when there is a sensor).
  void on_tick(std::optional<double> temperature_c);
  void on_carrier(bool up);
  // The receiver watch's state changed: a new time mode goes to the engine (its bound).
  void on_receiver(const ReceiverStatus& state);
  // SIGTERM: tell ptp4l the clock is no longer traceable (bounded wait), disable EXTTS.
  // Never throws. Returns whether ptp4l confirmed (true when there is no ptp4l).
  bool stop(int ptp4l_timeout_ms);

  void set_cable_delay_shift_ns(double shift_ns) { options_.cable_delay_shift_ns = shift_ns; }
  void set_chrony(ChronySink* chrony) { chrony_ = chrony; }
  void set_ptp4l(QualityPublisher* ptp4l, std::int64_t now_mono_ns);
  // Null: none. Must outlive the conductor (or be reset first).
  void set_observer(ConductorObserver* observer) { observer_ = observer; }
  // The GPIO PPS cross-check's source (null: none). Must outlive the conductor.
  void set_gpio_pps(GpioPpsSource* gpio);

  const ConductorCounters& counters() const { return counters_; }
  // The NTP half: the system clock's bound, the transfer method, the GPIO cross-check.
  const TransferStatus& transfer_status() const;
  const std::optional<discipline::ClockQuality>& quality() const { return quality_; }
  const std::optional<discipline::PulseMeasurement>& last_pulse() const { return last_pulse_; }
  std::optional<double> last_chrony_offset_ns() const { return last_chrony_offset_ns_; }
  bool carrier() const { return carrier_; }
  int gpsd_fix_mode() const { return fix_mode_; }
  // What the time-of-day source last said of its gpsd connection (Connected / Disconnected
  // events); nullopt before it said anything (a source without gpsd never does).
  std::optional<bool> gpsd_connected() const { return gpsd_connected_; }
  std::optional<int> gpsd_tai_utc_s() const { return gpsd_tai_utc_s_; }
  // The receiver watch's last state; nullopt without a watch.
  const std::optional<ReceiverStatus>& receiver() const { return receiver_; }

 private:
  void feed(const discipline::Event& event, std::int64_t now_mono_ns);
  void apply(const discipline::Output& out, std::int64_t now_mono_ns);
  void read_offset(std::int64_t now_mono_ns);
  std::optional<phc::PhcReadings> request_reads();
  void note_chosen(const transfer::Transfer& t);
  void pair_gpio(const transfer::Transfer& t);
  std::optional<double> match_gpio(const pps::PpsTimestamp& edge, const transfer::Transfer& t);
  void note_alarm(const transfer::CheckedTransfer& c);
  void send_chrony(const discipline::ChronySample& s, std::int64_t now_mono_ns);
  void feed_gpsd(const gpsd::Event& e, std::int64_t now_mono_ns, std::int64_t now_real_ns);
  void arm_extts();
  void flush_chrony(std::int64_t now_mono_ns);

  discipline::Engine& engine_;
  phc::PtpClock& clock_;
  Clocks& clocks_;
  ChronySink* chrony_;
  QualityPublisher* ptp4l_;
  ConductorOptions options_;
  ConductorObserver* observer_ = nullptr;

  std::vector<phc::ExttsRecord> records_;
  std::vector<std::int64_t> wake_edges_phc_ns_;  // this wake-up's edges on our channel
  transfer::ReadSelector selector_;
  std::optional<SampleTransfer> reading_;  // the last request's chosen read (checked on send)
  std::optional<transfer::Transfer> previous_read_;  // for the system clock's rate vs the PHC
  double system_rate_ = 0;
  std::size_t rate_anchor_count_ = 0;
  std::deque<double> recent_widths_ns_;

  GpioPpsSource* gpio_ = nullptr;
  std::optional<transfer::GpioCrossCheck> gpio_check_;  // always engaged; empty without a wire
  pps::PpsEdgeTracker gpio_edges_;
  std::deque<double> recent_differences_ns_;
  std::int64_t reading_mono_ns_ = 0;
  bool reading_used_ = false;
  std::optional<std::int64_t> last_extts_mono_ns_;
  std::optional<discipline::ChronySample> pending_chrony_;

  std::optional<discipline::ClockQuality> quality_;
  std::optional<discipline::PulseMeasurement> last_pulse_;
  std::optional<double> last_chrony_offset_ns_;
  bool carrier_ = true;
  int fix_mode_ = 0;
  std::optional<bool> gpsd_connected_;
  std::optional<int> gpsd_tai_utc_s_;
  std::optional<ReceiverStatus> receiver_;
  discipline::LeapWarning gpsd_leap_ = discipline::LeapWarning::none;
  ConductorCounters counters_;
  mutable TransferStatus transfer_status_;  // percentiles filled in when read
  mutable bool percentiles_stale_ = false;
};

}  // namespace nanotime::conductor
