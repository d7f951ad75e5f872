#pragma once
// PtpMgmtClient: management messages to ptp4l over its Unix datagram socket (uds_address).
//
// ptp4l answers to the address a request came from, so our socket is bound to a private
// address: an abstract one by default (nothing to clean up, no file permissions), or a path.
// Abstract addresses belong to a network namespace: with the default, the client must run in
// ptp4l's network namespace (systemd PrivateNetwork= would lose the replies; use local_path).
// ptp4l's socket is root-owned 0660: the sender needs uid 0 or ptp4l's group.
// The socket is non-blocking. Two ways to use it:
//   - event loop: poll fd() for POLLIN, send()/receive() never block; match replies by the
//     sequence id send() returned;
//   - blocking helpers (get_*/set_*) that wait with poll() for at most `timeout`.
// Failures are values, not exceptions, with a sentence that says what is wrong; only the
// constructor throws (std::system_error) when the local socket cannot be made.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "ptpmgmt/messages.hpp"
#include "util/fd.hpp"

namespace nanotime::ptpmgmt {

struct ClientOptions {
  std::string ptp4l_path = "/var/run/ptp4l";
  std::string local_path;  // empty: abstract "@nanotime-ptpmgmt.<pid>.<n>"
  std::uint8_t domain = 0;
};

enum class ClientStatus {
  ok,
  not_reachable,  // no socket at the path, nobody listening, or no permission
  timeout,        // sent, but no matching answer in time
  error_status,   // ptp4l answered MANAGEMENT_ERROR_STATUS
  bad_reply,      // only malformed / unexpected answers arrived
};
std::string_view client_status_name(ClientStatus s);

template <typename T>
struct Result {
  ClientStatus status = ClientStatus::ok;
  std::string message;                           // empty when ok
  T value{};
  std::optional<ManagementErrorStatus> error;    // for error_status
  bool ok() const { return status == ClientStatus::ok; }
};

struct SendResult {
  ClientStatus status = ClientStatus::ok;
  std::string message;
  std::uint16_t sequence_id = 0;
  bool ok() const { return status == ClientStatus::ok; }
};

class PtpMgmtClient {
 public:
  explicit PtpMgmtClient(ClientOptions options);
  ~PtpMgmtClient();
  PtpMgmtClient(const PtpMgmtClient&) = delete;
  PtpMgmtClient& operator=(const PtpMgmtClient&) = delete;

  int fd() const { return fd_.get(); }
  const ClientOptions& options() const { return options_; }

  // ---- non-blocking ----
  SendResult send_get(ManagementId id);
  SendResult send_set(const GrandmasterSettings& settings);
  SendResult send_raw(Action action, std::uint16_t management_id,
                      std::span<const std::uint8_t> data);
  // A datagram exactly as given (fuzzing ptp4l, tests); no sequence id bookkeeping.
  SendResult send_bytes(std::span<const std::uint8_t> datagram);
  // One queued datagram, decoded; nullopt when nothing is queued.
  std::optional<std::variant<Message, DecodeError>> receive();

  // ---- blocking, bounded by `timeout` ----
  Result<Message> request(Action action, std::uint16_t management_id,
                          std::span<const std::uint8_t> data, std::chrono::milliseconds timeout);
  Result<GrandmasterSettings> get_grandmaster_settings(std::chrono::milliseconds timeout);
  Result<GrandmasterSettings> set_grandmaster_settings(const GrandmasterSettings& settings,
                                                       std::chrono::milliseconds timeout);
  Result<TimeProperties> get_time_properties(std::chrono::milliseconds timeout);
  Result<ParentDataSet> get_parent_data_set(std::chrono::milliseconds timeout);
  // One answer per PTP port; waits briefly after the first for the others.
  Result<std::vector<PortDataSet>> get_port_data_sets(std::chrono::milliseconds timeout);

 private:
  Result<Message> wait_for(std::uint16_t sequence_id, std::uint16_t management_id,
                           std::chrono::milliseconds timeout);
  template <typename T>
  Result<T> typed(Result<Message> r);

  ClientOptions options_;
  util::Fd fd_;
  std::uint16_t next_sequence_ = 0;
  bool unlink_local_ = false;
};

}  // namespace nanotime::ptpmgmt
