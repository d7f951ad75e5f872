#include "ptpmgmt/messages.hpp"

#include <fmt/format.h>

namespace nanotime::ptpmgmt {
namespace {

constexpr std::size_t kHeaderSize = 34;
constexpr std::size_t kManagementSize = 48;  // header + target + hops + action + reserved
constexpr std::size_t kTlvHeaderSize = 4;
constexpr std::uint8_t kMessageTypeManagement = 0x0D;
constexpr std::uint8_t kVersionPtp = 2;
constexpr std::uint8_t kControlManagement = 0x04;
constexpr std::uint8_t kLogIntervalUnused = 0x7F;
constexpr std::uint16_t kTlvManagement = 0x0001;
constexpr std::uint16_t kTlvManagementErrorStatus = 0x0002;

// Big-endian writer.
class Writer {
 public:
  void u8(std::uint8_t v) { b_.push_back(v); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void zeros(std::size_t n) { b_.insert(b_.end(), n, 0); }
  void bytes(std::span<const std::uint8_t> s) { b_.insert(b_.end(), s.begin(), s.end()); }
  void port_identity(const PortIdentity& p) {
    bytes(p.clock_identity);
    u16(p.port_number);
  }
  void put_u16_at(std::size_t off, std::uint16_t v) {
    b_[off] = static_cast<std::uint8_t>(v >> 8);
    b_[off + 1] = static_cast<std::uint8_t>(v);
  }
  std::vector<std::uint8_t>& data() { return b_; }

 private:
  std::vector<std::uint8_t> b_;
};

// Bounds-checked big-endian reader over a span; callers check remaining() before reading.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> s) : s_(s) {}
  std::size_t remaining() const { return s_.size() - pos_; }
  std::uint8_t u8() { return s_[pos_++]; }
  std::uint16_t u16() {
    std::uint16_t v = static_cast<std::uint16_t>((s_[pos_] << 8) | s_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  std::uint32_t u32() {
    std::uint32_t hi = u16();
    return (hi << 16) | u16();
  }
  std::uint64_t u64() {
    std::uint64_t hi = u32();
    return (hi << 32) | u32();
  }
  void skip(std::size_t n) { pos_ += n; }
  PortIdentity port_identity() {
    PortIdentity p;
    for (auto& b : p.clock_identity) b = u8();
    p.port_number = u16();
    return p;
  }
  WireClockQuality quality() {
    WireClockQuality q;
    q.clock_class = u8();
    q.clock_accuracy = u8();
    q.offset_scaled_log_variance = u16();
    return q;
  }
  std::span<const std::uint8_t> rest() const { return s_.subspan(pos_); }

 private:
  std::span<const std::uint8_t> s_;
  std::size_t pos_ = 0;
};

DecodeError err(DecodeErrorCode code, std::string message) { return {code, std::move(message)}; }

std::size_t dataset_size(std::uint16_t id) {
  switch (static_cast<ManagementId>(id)) {
    case ManagementId::grandmaster_settings_np: return 8;
    case ManagementId::time_properties_data_set: return 4;
    case ManagementId::parent_data_set: return 32;
    case ManagementId::port_data_set: return 26;
  }
  return 0;
}

Payload decode_dataset(std::uint16_t id, Reader r) {
  switch (static_cast<ManagementId>(id)) {
    case ManagementId::grandmaster_settings_np: {
      GrandmasterSettings g;
      g.quality = r.quality();
      g.utc_offset = static_cast<std::int16_t>(r.u16());
      g.time_flags = r.u8();
      g.time_source = r.u8();
      return g;
    }
    case ManagementId::time_properties_data_set: {
      TimeProperties t;
      t.current_utc_offset = static_cast<std::int16_t>(r.u16());
      t.flags = r.u8();
      t.time_source = r.u8();
      return t;
    }
    case ManagementId::parent_data_set: {
      ParentDataSet p;
      p.parent_port_identity = r.port_identity();
      p.parent_stats = r.u8();
      r.skip(1);
      p.observed_parent_offset_scaled_log_variance = r.u16();
      p.observed_parent_clock_phase_change_rate = static_cast<std::int32_t>(r.u32());
      p.grandmaster_priority1 = r.u8();
      p.grandmaster_clock_quality = r.quality();
      p.grandmaster_priority2 = r.u8();
      for (auto& b : p.grandmaster_identity) b = r.u8();
      return p;
    }
    case ManagementId::port_data_set: {
      PortDataSet p;
      p.port_identity = r.port_identity();
      p.port_state = r.u8();
      p.log_min_delay_req_interval = static_cast<std::int8_t>(r.u8());
      p.peer_mean_path_delay = static_cast<std::int64_t>(r.u64());
      p.log_announce_interval = static_cast<std::int8_t>(r.u8());
      p.announce_receipt_timeout = r.u8();
      p.log_sync_interval = static_cast<std::int8_t>(r.u8());
      p.delay_mechanism = r.u8();
      p.log_min_pdelay_req_interval = static_cast<std::int8_t>(r.u8());
      p.version_number = r.u8() & 0x0F;
      return p;
    }
  }
  return EmptyData{};
}

}  // namespace

std::string_view management_id_name(std::uint16_t id) {
  switch (id) {
    case 0x2002: return "PARENT_DATA_SET";
    case 0x2003: return "TIME_PROPERTIES_DATA_SET";
    case 0x2004: return "PORT_DATA_SET";
    case 0xC001: return "GRANDMASTER_SETTINGS_NP";
    default: return "unknown management id";
  }
}

std::string_view management_error_name(std::uint16_t error_id) {
  switch (error_id) {
    case 0x0001: return "RESPONSE_TOO_BIG";
    case 0x0002: return "NO_SUCH_ID";
    case 0x0003: return "WRONG_LENGTH";
    case 0x0004: return "WRONG_VALUE";
    case 0x0005: return "NOT_SETABLE";
    case 0x0006: return "NOT_SUPPORTED";
    case 0xFFFE: return "GENERAL_ERROR";
    default: return "unknown error";
  }
}

std::string ManagementErrorStatus::describe() const {
  return fmt::format("ptp4l answered {} (0x{:04x}) for {} (0x{:04x}){}{}",
                     management_error_name(error_id), error_id,
                     management_id_name(management_id), management_id,
                     display.empty() ? "" : ": ", display);
}

std::string_view port_state_name(std::uint8_t state) {
  static constexpr std::string_view names[] = {"INITIALIZING", "FAULTY",  "DISABLED",
                                               "LISTENING",    "PRE_MASTER", "MASTER",
                                               "PASSIVE",      "UNCALIBRATED", "SLAVE"};
  if (state >= 1 && state <= 9) return names[state - 1];
  return "UNKNOWN";
}

std::string_view decode_error_name(DecodeErrorCode code) {
  switch (code) {
    case DecodeErrorCode::truncated: return "truncated";
    case DecodeErrorCode::bad_length: return "bad_length";
    case DecodeErrorCode::wrong_message_type: return "wrong_message_type";
    case DecodeErrorCode::bad_version: return "bad_version";
    case DecodeErrorCode::unknown_tlv: return "unknown_tlv";
    case DecodeErrorCode::unknown_management_id: return "unknown_management_id";
    case DecodeErrorCode::bad_dataset_size: return "bad_dataset_size";
    case DecodeErrorCode::bad_action: return "bad_action";
  }
  return "?";
}

std::string to_string(const std::array<std::uint8_t, 8>& c) {
  return fmt::format("{:02x}{:02x}{:02x}.{:02x}{:02x}.{:02x}{:02x}{:02x}", c[0], c[1], c[2],
                     c[3], c[4], c[5], c[6], c[7]);
}

std::string to_string(const PortIdentity& p) {
  return fmt::format("{}-{}", to_string(p.clock_identity), p.port_number);
}

std::vector<std::uint8_t> encode_raw(Action action, std::uint16_t management_id,
                                     std::span<const std::uint8_t> data,
                                     std::uint16_t sequence_id, const RequestOptions& options) {
  Writer w;
  w.u8(kMessageTypeManagement);  // transportSpecific 0
  w.u8(kVersionPtp);
  w.u16(0);                      // messageLength, patched below
  w.u8(options.domain);
  w.u8(0);                       // reserved
  w.zeros(2);                    // flagField
  w.zeros(8);                    // correctionField
  w.zeros(4);                    // reserved
  w.port_identity(options.source);
  w.u16(sequence_id);
  w.u8(kControlManagement);
  w.u8(kLogIntervalUnused);
  PortIdentity all_ones;
  all_ones.clock_identity.fill(0xFF);
  all_ones.port_number = 0xFFFF;
  w.port_identity(all_ones);
  w.u8(0);  // startingBoundaryHops: 0, ptp4l answers itself and forwards nothing
  w.u8(0);  // boundaryHops
  w.u8(static_cast<std::uint8_t>(action) & 0x0F);
  w.u8(0);
  w.u16(kTlvManagement);
  w.u16(static_cast<std::uint16_t>(2 + data.size()));
  w.u16(management_id);
  w.bytes(data);
  w.put_u16_at(2, static_cast<std::uint16_t>(w.data().size()));
  return std::move(w.data());
}

std::vector<std::uint8_t> encode_get(ManagementId id, std::uint16_t sequence_id,
                                     const RequestOptions& options) {
  return encode_raw(Action::get, static_cast<std::uint16_t>(id), {}, sequence_id, options);
}

std::vector<std::uint8_t> encode_data(const GrandmasterSettings& gs) {
  Writer w;
  w.u8(gs.quality.clock_class);
  w.u8(gs.quality.clock_accuracy);
  w.u16(gs.quality.offset_scaled_log_variance);
  w.u16(static_cast<std::uint16_t>(gs.utc_offset));
  w.u8(gs.time_flags);
  w.u8(gs.time_source);
  return std::move(w.data());
}

std::vector<std::uint8_t> encode_set(const GrandmasterSettings& gs, std::uint16_t sequence_id,
                                     const RequestOptions& options) {
  auto data = encode_data(gs);
  return encode_raw(Action::set, static_cast<std::uint16_t>(ManagementId::grandmaster_settings_np),
                    data, sequence_id, options);
}

std::variant<Message, DecodeError> decode(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kHeaderSize) {
    return err(DecodeErrorCode::truncated,
               fmt::format("{} bytes: shorter than a PTP header (34)", datagram.size()));
  }
  Reader h(datagram);
  std::uint8_t tsmt = h.u8();
  if ((tsmt & 0x0F) != kMessageTypeManagement) {
    return err(DecodeErrorCode::wrong_message_type,
               fmt::format("messageType 0x{:x} is not management (0xd)", tsmt & 0x0F));
  }
  std::uint8_t version = h.u8();
  if ((version & 0x0F) != kVersionPtp) {
    return err(DecodeErrorCode::bad_version,
               fmt::format("versionPTP {} (expected 2)", version & 0x0F));
  }
  std::uint16_t message_length = h.u16();
  if (message_length > datagram.size()) {
    return err(DecodeErrorCode::bad_length,
               fmt::format("messageLength {} exceeds the {} bytes received", message_length,
                           datagram.size()));
  }
  if (message_length < kManagementSize + kTlvHeaderSize) {
    return err(DecodeErrorCode::truncated,
               fmt::format("messageLength {} too short for a management message with a TLV "
                           "(52)", message_length));
  }
  Reader r(datagram.first(message_length));  // trailing bytes beyond messageLength: ignored
  Message m;
  r.skip(4);
  m.domain = r.u8();
  r.skip(1 + 2 + 8 + 4);
  m.source = r.port_identity();
  m.sequence_id = r.u16();
  r.skip(2);  // controlField, logMessageInterval: informational
  m.target = r.port_identity();
  m.starting_boundary_hops = r.u8();
  m.boundary_hops = r.u8();
  std::uint8_t action = r.u8() & 0x0F;
  if (action > static_cast<std::uint8_t>(Action::acknowledge)) {
    return err(DecodeErrorCode::bad_action, fmt::format("actionField {}", action));
  }
  m.action = static_cast<Action>(action);
  r.skip(1);

  std::uint16_t tlv_type = r.u16();
  std::uint16_t tlv_length = r.u16();
  if (tlv_length > r.remaining()) {
    return err(DecodeErrorCode::bad_length,
               fmt::format("TLV lengthField {} exceeds the {} bytes left in the message",
                           tlv_length, r.remaining()));
  }
  Reader tlv(r.rest().first(tlv_length));
  if (tlv_type == kTlvManagementErrorStatus) {
    if (tlv_length < 8) {
      return err(DecodeErrorCode::truncated,
                 fmt::format("MANAGEMENT_ERROR_STATUS lengthField {} < 8", tlv_length));
    }
    ManagementErrorStatus e;
    e.error_id = tlv.u16();
    e.management_id = tlv.u16();
    tlv.skip(4);
    if (tlv.remaining() >= 1) {  // displayData: PTPText (length octet + text), optional
      std::size_t n = tlv.u8();
      if (n > tlv.remaining()) n = tlv.remaining();
      auto text = tlv.rest().first(n);
      e.display.assign(text.begin(), text.end());
    }
    m.management_id = e.management_id;
    m.payload = std::move(e);
    return m;
  }
  if (tlv_type != kTlvManagement) {
    return err(DecodeErrorCode::unknown_tlv,
               fmt::format("TLV type 0x{:04x} is not MANAGEMENT (0x0001)", tlv_type));
  }
  if (tlv_length < 2) {
    return err(DecodeErrorCode::truncated,
               fmt::format("MANAGEMENT TLV lengthField {} < 2", tlv_length));
  }
  m.management_id = tlv.u16();
  std::size_t expected = dataset_size(m.management_id);
  if (expected == 0) {
    return err(DecodeErrorCode::unknown_management_id,
               fmt::format("managementId 0x{:04x} not supported", m.management_id));
  }
  if (tlv.remaining() == 0 && m.action == Action::get) {
    m.payload = EmptyData{};
    return m;
  }
  if (tlv.remaining() < expected) {
    return err(DecodeErrorCode::bad_dataset_size,
               fmt::format("{} needs {} data bytes, the TLV has {}",
                           management_id_name(m.management_id), expected, tlv.remaining()));
  }
  // A longer dataField (odd-length padding, a future extension) is accepted: the fields we
  // know are at fixed offsets.
  m.payload = decode_dataset(m.management_id, tlv);
  return m;
}

}  // namespace nanotime::ptpmgmt
