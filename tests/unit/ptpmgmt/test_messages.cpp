// PTP management codec: expected bytes written by hand from IEEE 1588-2008 §13.3 (header),
// §15.4 (management message, TLVs) and linuxptp 3.1.1's GRANDMASTER_SETTINGS_NP layout — not
// produced by the encoder under test.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "ptpmgmt/messages.hpp"

using namespace nanotime::ptpmgmt;
using Bytes = std::vector<std::uint8_t>;

namespace {

// Header (34) + targetPortIdentity/hops/action (14) of a reply from ptp4l with clock identity
// 8e1a5e.fffe.e40244, port 0, to our port identity 0…0-0x0102.
Bytes reply_prefix(std::uint16_t message_length, std::uint16_t seq, std::uint8_t action) {
  return {
      0x0d, 0x02, static_cast<std::uint8_t>(message_length >> 8),
      static_cast<std::uint8_t>(message_length), 0x00, 0x00, 0x00, 0x00,  // domain 0, flags
      0, 0, 0, 0, 0, 0, 0, 0,                                             // correction
      0, 0, 0, 0,                                                         // reserved
      0x8e, 0x1a, 0x5e, 0xff, 0xfe, 0xe4, 0x02, 0x44, 0x00, 0x00,         // source port id
      static_cast<std::uint8_t>(seq >> 8), static_cast<std::uint8_t>(seq),
      0x04, 0x7f,                                                         // control, interval
      0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02,                                 // target: us
      0x00, 0x00, action, 0x00,                                           // hops, action
  };
}

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

template <typename T>
T expect_payload(const Bytes& datagram) {
  auto r = decode(datagram);
  if (auto* e = std::get_if<DecodeError>(&r)) FAIL("decode error: " << e->message);
  auto& m = std::get<Message>(r);
  REQUIRE(std::holds_alternative<T>(m.payload));
  return std::get<T>(m.payload);
}

DecodeErrorCode expect_error(const Bytes& datagram) {
  auto r = decode(datagram);
  REQUIRE(std::holds_alternative<DecodeError>(r));
  return std::get<DecodeError>(r).code;
}

// Reply to GET GRANDMASTER_SETTINGS_NP: class 6, accuracy 0x21, oslv 0x4e5d, utc 37,
// flags 0x3c, source GNSS. messageLength 48 + 4 + 2 + 8 = 62.
Bytes gm_reply(std::uint16_t seq = 0x1234) {
  return cat(reply_prefix(62, seq, 0x02),
             {0x00, 0x01, 0x00, 0x0a, 0xc0, 0x01, 0x06, 0x21, 0x4e, 0x5d, 0x00, 0x25, 0x3c, 0x20});
}

}  // namespace

TEST_CASE("GET TIME_PROPERTIES_DATA_SET encodes to the 54 bytes of the standard",
          "[unit][ptpmgmt]") {
  RequestOptions o;
  o.source.port_number = 0x0102;
  Bytes expected = {
      0x0d, 0x02, 0x00, 0x36,              // management, v2, messageLength 54
      0x00, 0x00, 0x00, 0x00,              // domain 0, reserved, flagField
      0, 0, 0, 0, 0, 0, 0, 0,              // correctionField
      0, 0, 0, 0,                          // reserved
      0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02,  // sourcePortIdentity
      0x12, 0x34,                          // sequenceId
      0x04, 0x7f,                          // controlField management, logMessageInterval
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // target: all
      0x00, 0x00, 0x00, 0x00,              // startingBoundaryHops, boundaryHops, GET, reserved
      0x00, 0x01, 0x00, 0x02, 0x20, 0x03,  // MANAGEMENT TLV, length 2, id 0x2003, no data
  };
  CHECK(encode_get(ManagementId::time_properties_data_set, 0x1234, o) == expected);
}

TEST_CASE("SET GRANDMASTER_SETTINGS_NP encodes the 8-byte dataset", "[unit][ptpmgmt]") {
  GrandmasterSettings g;
  g.quality = {6, 0x21, 0x4e5d};
  g.utc_offset = 37;
  g.time_flags = 0x3c;
  g.time_source = 0x20;
  RequestOptions o;
  o.domain = 24;
  Bytes expected = {
      0x0d, 0x02, 0x00, 0x3e, 0x18, 0x00, 0x00, 0x00,  // length 62, domain 24
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00,
      0x00, 0x07, 0x04, 0x7f,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0x00, 0x00, 0x01, 0x00,                          // SET
      0x00, 0x01, 0x00, 0x0a, 0xc0, 0x01,              // TLV length 2 + 8
      0x06, 0x21, 0x4e, 0x5d,                          // clockQuality
      0x00, 0x25,                                      // utc_offset 37
      0x3c,                                            // time_flags
      0x20,                                            // time_source GNSS
  };
  CHECK(encode_set(g, 7, o) == expected);
}

TEST_CASE("negative UTC offset is two's complement big-endian", "[unit][ptpmgmt]") {
  GrandmasterSettings g;
  g.utc_offset = -2;
  Bytes d = encode_data(g);
  REQUIRE(d.size() == 8);
  CHECK(d[4] == 0xff);
  CHECK(d[5] == 0xfe);
}

TEST_CASE("decode GRANDMASTER_SETTINGS_NP response", "[unit][ptpmgmt]") {
  auto r = decode(gm_reply());
  REQUIRE(std::holds_alternative<Message>(r));
  auto& m = std::get<Message>(r);
  CHECK(m.action == Action::response);
  CHECK(m.sequence_id == 0x1234);
  CHECK(m.management_id == 0xc001);
  CHECK(m.source.clock_identity ==
        std::array<std::uint8_t, 8>{0x8e, 0x1a, 0x5e, 0xff, 0xfe, 0xe4, 0x02, 0x44});
  CHECK(to_string(m.source) == "8e1a5e.fffe.e40244-0");
  CHECK(m.target.port_number == 0x0102);
  auto g = std::get<GrandmasterSettings>(m.payload);
  CHECK(g.quality.clock_class == 6);
  CHECK(g.quality.clock_accuracy == 0x21);
  CHECK(g.quality.offset_scaled_log_variance == 0x4e5d);
  CHECK(g.utc_offset == 37);
  CHECK(g.time_flags == 0x3c);
  CHECK(g.time_source == 0x20);
}

TEST_CASE("decode TIME_PROPERTIES_DATA_SET response", "[unit][ptpmgmt]") {
  // length 48 + 4 + 2 + 4 = 58; currentUtcOffset 37, flags leap61|UTC valid|PTP, source 0x20
  auto t = expect_payload<TimeProperties>(cat(reply_prefix(58, 1, 2),
      {0x00, 0x01, 0x00, 0x06, 0x20, 0x03, 0x00, 0x25, 0x0d, 0x20}));
  CHECK(t.current_utc_offset == 37);
  CHECK(t.flags == (0x01 | 0x04 | 0x08));
  CHECK(t.time_source == 0x20);
}

TEST_CASE("decode PARENT_DATA_SET response", "[unit][ptpmgmt]") {
  // 32 data bytes → TLV length 34, messageLength 48 + 4 + 34 = 86
  auto p = expect_payload<ParentDataSet>(cat(reply_prefix(86, 2, 2), {
      0x00, 0x01, 0x00, 0x22, 0x20, 0x02,
      0x00, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55, 0x00, 0x01,  // parentPortIdentity
      0x01, 0x00,                                                  // parentStats, reserved
      0xff, 0xff,                                                  // observed variance
      0x80, 0x00, 0x00, 0x01,                                      // phase change rate
      0x80,                                                        // priority1 128
      0x06, 0x21, 0x4e, 0x5d,                                      // gm clock quality
      0x7f,                                                        // priority2 127
      0x00, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55,              // gm identity
  }));
  CHECK(to_string(p.parent_port_identity) == "001122.fffe.334455-1");
  CHECK(p.parent_stats == 1);
  CHECK(p.observed_parent_offset_scaled_log_variance == 0xffff);
  CHECK(p.observed_parent_clock_phase_change_rate == -2147483647);
  CHECK(p.grandmaster_priority1 == 128);
  CHECK(p.grandmaster_clock_quality == WireClockQuality{6, 0x21, 0x4e5d});
  CHECK(p.grandmaster_priority2 == 127);
  CHECK(to_string(p.grandmaster_identity) == "001122.fffe.334455");
}

TEST_CASE("decode PORT_DATA_SET response", "[unit][ptpmgmt]") {
  // 26 data bytes → TLV length 28, messageLength 80
  auto p = expect_payload<PortDataSet>(cat(reply_prefix(80, 3, 2), {
      0x00, 0x01, 0x00, 0x1c, 0x20, 0x04,
      0x8e, 0x1a, 0x5e, 0xff, 0xfe, 0xe4, 0x02, 0x44, 0x00, 0x01,  // portIdentity
      0x06,                                                        // MASTER
      0x00,                                                        // logMinDelayReqInterval
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,              // peerMeanPathDelay −1 ns
      0x01, 0x03, 0xfd, 0x01, 0x00, 0x02,                          // intervals, E2E, v2
  }));
  CHECK(p.port_identity.port_number == 1);
  CHECK(p.port_state == 6);
  CHECK(port_state_name(p.port_state) == "MASTER");
  CHECK(p.peer_mean_path_delay == -65536);
  CHECK(p.log_announce_interval == 1);
  CHECK(p.announce_receipt_timeout == 3);
  CHECK(p.log_sync_interval == -3);
  CHECK(p.delay_mechanism == 1);
  CHECK(p.version_number == 2);
}

TEST_CASE("decode MANAGEMENT_ERROR_STATUS", "[unit][ptpmgmt]") {
  // TLV 0x0002 length 8: WRONG_LENGTH for GRANDMASTER_SETTINGS_NP, reserved; total 60
  auto e = expect_payload<ManagementErrorStatus>(cat(reply_prefix(60, 4, 2),
      {0x00, 0x02, 0x00, 0x08, 0x00, 0x03, 0xc0, 0x01, 0, 0, 0, 0}));
  CHECK(e.error_id == 3);
  CHECK(e.management_id == 0xc001);
  CHECK(e.describe() ==
        "ptp4l answered WRONG_LENGTH (0x0003) for GRANDMASTER_SETTINGS_NP (0xc001)");

  // with displayData "no" (PTPText: length 2, "no"), padded to even: TLV length 12
  auto e2 = expect_payload<ManagementErrorStatus>(cat(reply_prefix(64, 4, 2),
      {0x00, 0x02, 0x00, 0x0c, 0x00, 0x06, 0x20, 0x03, 0, 0, 0, 0, 0x02, 'n', 'o', 0x00}));
  CHECK(e2.display == "no");
  CHECK(management_error_name(e2.error_id) == "NOT_SUPPORTED");

  // display length claiming more than the TLV holds: clipped, not read past the end
  auto e3 = expect_payload<ManagementErrorStatus>(cat(reply_prefix(62, 4, 2),
      {0x00, 0x02, 0x00, 0x0a, 0x00, 0x06, 0x20, 0x03, 0, 0, 0, 0, 0xff, 'x'}));
  CHECK(e3.display == "x");
}

TEST_CASE("a GET request decodes with an empty payload", "[unit][ptpmgmt]") {
  auto r = decode(encode_get(ManagementId::parent_data_set, 9));
  REQUIRE(std::holds_alternative<Message>(r));
  CHECK(std::get<Message>(r).action == Action::get);
  CHECK(std::holds_alternative<EmptyData>(std::get<Message>(r).payload));
}

TEST_CASE("bytes past messageLength are ignored", "[unit][ptpmgmt]") {
  Bytes b = gm_reply();
  b.push_back(0xaa);
  b.push_back(0xbb);
  CHECK(expect_payload<GrandmasterSettings>(b).quality.clock_class == 6);
}

TEST_CASE("malformed replies are typed errors", "[unit][ptpmgmt]") {
  Bytes good = gm_reply();

  CHECK(expect_error(Bytes(good.begin(), good.begin() + 33)) == DecodeErrorCode::truncated);
  CHECK(expect_error({}) == DecodeErrorCode::truncated);

  Bytes b = good;
  b[0] = 0x0b;  // Announce
  CHECK(expect_error(b) == DecodeErrorCode::wrong_message_type);

  b = good;
  b[1] = 0x01;
  CHECK(expect_error(b) == DecodeErrorCode::bad_version);

  b = good;
  b[1] = 0x12;  // minor version 1 (linuxptp 4.x), major 2: accepted
  CHECK(std::holds_alternative<Message>(decode(b)));

  b = good;
  b[3] = 63;  // messageLength one more than the datagram
  CHECK(expect_error(b) == DecodeErrorCode::bad_length);

  b = good;
  b[3] = 51;  // too short for header + management + TLV header
  CHECK(expect_error(b) == DecodeErrorCode::truncated);

  b = good;
  b[51] = 0x0b;  // TLV lengthField 11 > 10 bytes left
  CHECK(expect_error(b) == DecodeErrorCode::bad_length);

  b = good;
  b[49] = 0x03;  // TLV type 3
  CHECK(expect_error(b) == DecodeErrorCode::unknown_tlv);

  b = good;
  b[52] = 0x20;
  b[53] = 0x00;  // DEFAULT_DATA_SET: not ours
  CHECK(expect_error(b) == DecodeErrorCode::unknown_management_id);

  b = good;
  b[46] = 0x05;
  CHECK(expect_error(b) == DecodeErrorCode::bad_action);

  // TLV claims 6 bytes of GRANDMASTER_SETTINGS_NP (needs 8): lengthField 8, messageLength 60
  b = cat(reply_prefix(60, 1, 2), {0x00, 0x01, 0x00, 0x08, 0xc0, 0x01, 6, 0x21, 0x4e, 0x5d, 0, 0x25});
  CHECK(expect_error(b) == DecodeErrorCode::bad_dataset_size);

  // MANAGEMENT TLV with lengthField 1 (no room for the id)
  b = cat(reply_prefix(53, 1, 2), {0x00, 0x01, 0x00, 0x01, 0xc0});
  CHECK(expect_error(b) == DecodeErrorCode::truncated);

  // error status shorter than its fixed 8 bytes
  b = cat(reply_prefix(56, 1, 2), {0x00, 0x02, 0x00, 0x04, 0x00, 0x03, 0xc0, 0x01});
  CHECK(expect_error(b) == DecodeErrorCode::truncated);

  // a response to GET without data is not a valid dataset
  b = cat(reply_prefix(54, 1, 2), {0x00, 0x01, 0x00, 0x02, 0xc0, 0x01});
  CHECK(expect_error(b) == DecodeErrorCode::bad_dataset_size);
}

TEST_CASE("every truncation and every byte flip decodes without crashing", "[unit][ptpmgmt]") {
  // Under the sanitizer build this is a small deterministic fuzz run.
  Bytes good = gm_reply();
  for (std::size_t n = 0; n < good.size(); ++n) {
    Bytes prefix(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK(std::holds_alternative<DecodeError>(decode(prefix)));
  }
  std::mt19937 rng(42);
  for (int i = 0; i < 20000; ++i) {
    Bytes b = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
    b.resize(rng() % (b.size() + 8));
    (void)decode(b);
  }
  SUCCEED();
}

TEST_CASE("names", "[unit][ptpmgmt]") {
  CHECK(management_id_name(0x2003) == "TIME_PROPERTIES_DATA_SET");
  CHECK(management_id_name(0xc001) == "GRANDMASTER_SETTINGS_NP");
  CHECK(port_state_name(9) == "SLAVE");
  CHECK(port_state_name(0) == "UNKNOWN");
  CHECK(decode_error_name(DecodeErrorCode::bad_length) == "bad_length");
}
