#pragma once
// IEEE 1588-2008 management messages as linuxptp 3.1.1's ptp4l speaks them on its Unix socket
// (uds_address, default /var/run/ptp4l). Our own encoder/decoder: no pmc, no libptpmgmt.
//
// On the wire (all big-endian, no padding):
//   0  header (34 bytes): tsmt = 0x0D (management), versionPTP 2, messageLength, domainNumber,
//      reserved, flagField[2], correctionField (8), reserved (4), sourcePortIdentity (10),
//      sequenceId, controlField 0x04 (management), logMessageInterval 0x7F
//   34 targetPortIdentity (10; all-ones = every clock, every port)
//   44 startingBoundaryHops, 45 boundaryHops (0: ptp4l must not forward it to the network)
//   46 actionField (low nibble), 47 reserved
//   48 TLV: tlvType (0x0001 MANAGEMENT | 0x0002 MANAGEMENT_ERROR_STATUS), lengthField, ...
//      MANAGEMENT:              managementId, dataField (lengthField = 2 + data length)
//      MANAGEMENT_ERROR_STATUS: managementErrorId, managementId, reserved (4), displayData
// A GET carries no dataField; a SET carries the whole dataset.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace nanotime::ptpmgmt {

enum class Action : std::uint8_t { get = 0, set = 1, response = 2, command = 3, acknowledge = 4 };

enum class ManagementId : std::uint16_t {
  parent_data_set = 0x2002,
  time_properties_data_set = 0x2003,
  port_data_set = 0x2004,
  grandmaster_settings_np = 0xC001,
};
std::string_view management_id_name(std::uint16_t id);

// timePropertiesDS.flags / GRANDMASTER_SETTINGS_NP time_flags bits (IEEE 1588 Table 20)
namespace time_flags {
constexpr std::uint8_t leap61 = 0x01;
constexpr std::uint8_t leap59 = 0x02;
constexpr std::uint8_t utc_offset_valid = 0x04;
constexpr std::uint8_t ptp_timescale = 0x08;
constexpr std::uint8_t time_traceable = 0x10;
constexpr std::uint8_t frequency_traceable = 0x20;
}  // namespace time_flags

constexpr std::uint8_t kTimeSourceGnss = 0x20;

struct PortIdentity {
  std::array<std::uint8_t, 8> clock_identity{};
  std::uint16_t port_number = 0;
  friend bool operator==(const PortIdentity&, const PortIdentity&) = default;
};
std::string to_string(const std::array<std::uint8_t, 8>& clock_identity);  // "001122.fffe.334455"
std::string to_string(const PortIdentity& p);                               // "...-1"

struct WireClockQuality {
  std::uint8_t clock_class = 248;
  std::uint8_t clock_accuracy = 0xFE;
  std::uint16_t offset_scaled_log_variance = 0xFFFF;
  friend bool operator==(const WireClockQuality&, const WireClockQuality&) = default;
};

// GRANDMASTER_SETTINGS_NP (linuxptp extension): 8 bytes.
struct GrandmasterSettings {
  WireClockQuality quality;
  std::int16_t utc_offset = 37;
  std::uint8_t time_flags = 0;
  std::uint8_t time_source = 0xA0;  // INTERNAL_OSCILLATOR
  friend bool operator==(const GrandmasterSettings&, const GrandmasterSettings&) = default;
};

// TIME_PROPERTIES_DATA_SET: 4 bytes.
struct TimeProperties {
  std::int16_t current_utc_offset = 0;
  std::uint8_t flags = 0;
  std::uint8_t time_source = 0;
  friend bool operator==(const TimeProperties&, const TimeProperties&) = default;
};

// PARENT_DATA_SET: 32 bytes.
struct ParentDataSet {
  PortIdentity parent_port_identity;
  std::uint8_t parent_stats = 0;
  std::uint16_t observed_parent_offset_scaled_log_variance = 0;
  std::int32_t observed_parent_clock_phase_change_rate = 0;
  std::uint8_t grandmaster_priority1 = 0;
  WireClockQuality grandmaster_clock_quality;
  std::uint8_t grandmaster_priority2 = 0;
  std::array<std::uint8_t, 8> grandmaster_identity{};
  friend bool operator==(const ParentDataSet&, const ParentDataSet&) = default;
};

// IEEE 1588 portState values.
enum class PortState : std::uint8_t {
  initializing = 1, faulty, disabled, listening, pre_master, master, passive, uncalibrated, slave
};
std::string_view port_state_name(std::uint8_t state);

// PORT_DATA_SET: 26 bytes.
struct PortDataSet {
  PortIdentity port_identity;
  std::uint8_t port_state = 0;
  std::int8_t log_min_delay_req_interval = 0;
  std::int64_t peer_mean_path_delay = 0;  // TimeInterval, ns × 2^16
  std::int8_t log_announce_interval = 0;
  std::uint8_t announce_receipt_timeout = 0;
  std::int8_t log_sync_interval = 0;
  std::uint8_t delay_mechanism = 0;
  std::int8_t log_min_pdelay_req_interval = 0;
  std::uint8_t version_number = 0;
  friend bool operator==(const PortDataSet&, const PortDataSet&) = default;
};

// A MANAGEMENT_ERROR_STATUS TLV (IEEE 1588 Table 72 error ids).
struct ManagementErrorStatus {
  std::uint16_t error_id = 0;
  std::uint16_t management_id = 0;
  std::string display;
  std::string describe() const;  // "WRONG_LENGTH (0x0003) for GRANDMASTER_SETTINGS_NP: ..."
};
std::string_view management_error_name(std::uint16_t error_id);

struct EmptyData {  // a GET request (no dataField)
  friend bool operator==(const EmptyData&, const EmptyData&) = default;
};

using Payload = std::variant<EmptyData, GrandmasterSettings, TimeProperties, ParentDataSet,
                             PortDataSet, ManagementErrorStatus>;

struct Message {
  std::uint8_t domain = 0;
  std::uint16_t sequence_id = 0;
  PortIdentity source;
  PortIdentity target;
  std::uint8_t starting_boundary_hops = 0;
  std::uint8_t boundary_hops = 0;
  Action action = Action::get;
  std::uint16_t management_id = 0;  // also set for error status replies
  Payload payload;
};

// ---- encoding ------------------------------------------------------------------------------

struct RequestOptions {
  std::uint8_t domain = 0;
  PortIdentity source;  // our identity; ptp4l echoes it as the reply's target
};

std::vector<std::uint8_t> encode_get(ManagementId id, std::uint16_t sequence_id,
                                     const RequestOptions& options = {});
std::vector<std::uint8_t> encode_set(const GrandmasterSettings& gs, std::uint16_t sequence_id,
                                     const RequestOptions& options = {});
// Any action/id with raw dataField bytes (tests, malformed-request checks, the debug tool).
std::vector<std::uint8_t> encode_raw(Action action, std::uint16_t management_id,
                                     std::span<const std::uint8_t> data,
                                     std::uint16_t sequence_id,
                                     const RequestOptions& options = {});
std::vector<std::uint8_t> encode_data(const GrandmasterSettings& gs);  // the 8 payload bytes

// ---- decoding ------------------------------------------------------------------------------

enum class DecodeErrorCode {
  truncated,             // shorter than a management message / its TLV
  bad_length,            // messageLength / lengthField inconsistent with the datagram
  wrong_message_type,    // not a management message
  bad_version,           // versionPTP != 2
  unknown_tlv,           // first TLV neither MANAGEMENT nor MANAGEMENT_ERROR_STATUS
  unknown_management_id, // a dataset this decoder does not know
  bad_dataset_size,      // dataField shorter than the dataset it claims to be
  bad_action,            // actionField not one of GET/SET/RESPONSE/COMMAND/ACKNOWLEDGE
};
std::string_view decode_error_name(DecodeErrorCode code);

struct DecodeError {
  DecodeErrorCode code;
  std::string message;
};

// Never reads outside `datagram`; every length is checked. GET requests decode with EmptyData.
std::variant<Message, DecodeError> decode(std::span<const std::uint8_t> datagram);

}  // namespace nanotime::ptpmgmt
