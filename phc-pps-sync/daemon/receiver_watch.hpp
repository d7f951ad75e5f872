#pragma once
// The receiver watch (conductor::ReceiverWatch): a second connection to gpsd that asks for the
// receiver's bytes as they come (?WATCH raw) and folds the UBX frames among them into a
// ubx::ReceiverState (lib/ubx). Passive: it never writes to the receiver (nanotime-receiver
// configures which messages it sends). What gpsd 3.22 passes through: docs/hardware-notes.md
// #ubx-gpsd. JSON, NMEA and anything else in the stream is skipped by the frame parser.
//
// UbxWatchState is the pure part (bytes + times in, ReceiverStatus out), tested without gpsd.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "conductor/ports.hpp"
#include "gpsd/backoff.hpp"
#include "ubx/frame.hpp"
#include "ubx/receiver_state.hpp"
#include "util/fd.hpp"

namespace nanotime::ppsd {

// What the watch asks gpsd for: every device's data passed through as it arrives.
inline constexpr std::string_view kRawWatchCommand = "?WATCH={\"enable\":true,\"raw\":2}\n";

// What gpsd itself learned of the receiver at its start-up probe (its own MON-VER poll), from
// the DEVICES/DEVICE object it sends a watcher: "subtype1":"...,FWVER=TIM 2.20,...,MOD=ZED-F9T,..."
// (gpsd 3.22). So a passive watch knows the model without ever polling the receiver.
struct GpsdDeviceInfo {
  std::string model;     // MOD=
  std::string firmware;  // FWVER=
  int generation = 0;    // from the model: -M8 → 8, -F9 → 9, else 0
};
// One line of gpsd's JSON (a DEVICES or DEVICE object); nullopt when it names no u-blox model.
std::optional<GpsdDeviceInfo> parse_gpsd_device(std::string_view line);

// ubx::ReceiverState (at mono time now: is TIM-TP still coming?) → the conductor's view.
conductor::ReceiverStatus to_receiver_status(const ubx::ReceiverState& s, bool connected,
                                             std::int64_t now_mono_ns);

class UbxWatchState {
 public:
  // Bytes from gpsd's stream, arrived at now.
  void feed(std::span<const std::uint8_t> bytes, std::int64_t now_mono_ns);
  void set_connected(bool connected);
  // The status now, if it differs from the last one taken (the first call always gives one).
  std::optional<conductor::ReceiverStatus> take_change(std::int64_t now_mono_ns);
  const ubx::ReceiverState& state() const { return state_; }
  std::uint64_t frames() const { return parser_.frames(); }

 private:
  void scan_lines(std::span<const std::uint8_t> bytes);

  ubx::FrameParser parser_;
  ubx::ReceiverState state_;
  std::string line_;                       // gpsd's JSON lines among the binary
  std::optional<GpsdDeviceInfo> device_;   // what gpsd said of the receiver
  bool connected_ = false;
  std::optional<conductor::ReceiverStatus> last_;
};

class GpsdReceiverWatch final : public conductor::ReceiverWatch {
 public:
  GpsdReceiverWatch(std::string host, int port);
  int fd() const override { return sock_.get(); }
  // Reconnects when due; once a second while connected (TIM-TP absence shows without input).
  std::optional<std::int64_t> wake_mono_ns() const override;
  std::optional<conductor::ReceiverStatus> maintain(std::int64_t now_mono_ns) override;
  std::optional<conductor::ReceiverStatus> read(std::int64_t now_mono_ns) override;
  std::string describe() const override;

 private:
  void connect(std::int64_t now_mono_ns);
  void drop(std::int64_t now_mono_ns, const std::string& why);

  std::string host_;
  int port_;
  util::Fd sock_;
  gpsd::Backoff backoff_;
  UbxWatchState watch_;
  std::int64_t next_check_mono_ns_ = 0;
  bool proved_ = false;  // a frame arrived on this connection
};

}  // namespace nanotime::ppsd
