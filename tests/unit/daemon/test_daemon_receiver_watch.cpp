// The receiver watch's pure part: bytes of gpsd's raw stream (JSON lines, NMEA and UBX frames
// mixed, split anywhere) → ReceiverStatus. The UBX frames are built here from the u-blox
// interface description by hand (payload offsets, little-endian, Fletcher-8 checksum computed
// by this file's own loop), not with lib/ubx's encoder.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/receiver_watch.hpp"

using namespace nanotime;
using Bytes = std::vector<std::uint8_t>;

namespace {
constexpr std::int64_t kS = 1000000000;

void put_u32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// B5 62 class id len(LE16) payload CK_A CK_B, checksum over class..payload.
Bytes frame(std::uint8_t cls, std::uint8_t id, const Bytes& payload) {
  Bytes f = {0xB5, 0x62, cls, id, static_cast<std::uint8_t>(payload.size() & 0xff),
             static_cast<std::uint8_t>(payload.size() >> 8)};
  f.insert(f.end(), payload.begin(), payload.end());
  std::uint8_t a = 0, b = 0;
  for (std::size_t i = 2; i < f.size(); ++i) {
    a = static_cast<std::uint8_t>(a + f[i]);
    b = static_cast<std::uint8_t>(b + a);
  }
  f.push_back(a);
  f.push_back(b);
  return f;
}

// UBX-TIM-SVIN (0x0D 0x04, 28 bytes): dur U4 @0, meanV U4 (mm²) @16, obs U4 @20, valid U1 @24,
// active U1 @25.
Bytes tim_svin(std::uint32_t dur_s, std::uint32_t mean_v_mm2, bool valid, bool active) {
  Bytes p(28, 0);
  put_u32(p, 0, dur_s);
  put_u32(p, 16, mean_v_mm2);
  put_u32(p, 20, dur_s);
  p[24] = valid ? 1 : 0;
  p[25] = active ? 1 : 0;
  return frame(0x0D, 0x04, p);
}

// UBX-MON-HW (0x0A 0x09, 60 bytes): aStatus U1 @20 (2 OK, 3 SHORT, 4 OPEN), aPower U1 @21
// (1 on), jamInd U1 @45.
Bytes mon_hw(std::uint8_t a_status, std::uint8_t jam_ind) {
  Bytes p(60, 0);
  p[20] = a_status;
  p[21] = 1;
  p[45] = jam_ind;
  return frame(0x0A, 0x09, p);
}

// UBX-TIM-TP (0x0D 0x01, 16 bytes): towMS U4 @0, qErr I4 (ps) @8.
Bytes tim_tp(std::uint32_t tow_ms) {
  Bytes p(16, 0);
  put_u32(p, 0, tow_ms);
  put_u32(p, 8, 1234);
  return frame(0x0D, 0x01, p);
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes join(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
}  // namespace

TEST_CASE("hand-made frame: the checksum this file computes is the spec's (known vector)",
          "[unit]") {
  // UBX-ACK-ACK for CFG-PRT (06 00): B5 62 05 01 02 00 06 00 0E 37, a frame u-blox's
  // documentation and every UBX tool show.
  CHECK(frame(0x05, 0x01, {0x06, 0x00}) == Bytes{0xB5, 0x62, 0x05, 0x01, 0x02, 0x00, 0x06, 0x00,
                                                  0x0E, 0x37});
}

TEST_CASE("survey-in, antenna, jamming and TIM-TP from a mixed stream split anywhere",
          "[unit]") {
  const Bytes stream = join({
      text("{\"class\":\"VERSION\",\"release\":\"3.22\"}\r\n"),
      text("$GNRMC,120000.00,A,4807.038,N,01131.000,E,0.0,0.0,010126,,,A*6A\r\n"),
      tim_svin(420, 6250000, false, true),   // σ² = 6.25e6 mm² → 2.5 m
      text("{\"class\":\"TPV\",\"mode\":3}\r\n"),
      mon_hw(3, 17),                          // antenna SHORT, jamming 17
      tim_tp(5000),
  });
  // Split into 7-byte pieces: frames straddle reads.
  ppsd::UbxWatchState w;
  w.set_connected(true);
  for (std::size_t i = 0; i < stream.size(); i += 7) {
    const std::size_t n = std::min<std::size_t>(7, stream.size() - i);
    w.feed(std::span<const std::uint8_t>(stream.data() + i, n), 100 * kS);
  }
  const auto s = w.take_change(100 * kS);
  REQUIRE(s);
  CHECK(s->connected);
  CHECK(s->mode == discipline::ReceiverTimeMode::survey_in);
  CHECK(s->survey_active);
  CHECK(s->survey_duration_s == 420);
  REQUIRE(s->survey_accuracy_m);
  CHECK(*s->survey_accuracy_m == Approx(2.5));
  CHECK(s->antenna == conductor::AntennaState::short_circuit);
  CHECK(s->jamming_indicator == 17);
  CHECK(s->timtp_present);
  // Nothing new: no change.
  CHECK_FALSE(w.take_change(100 * kS));
  // TIM-TP stops: absent after the 3 s window, with no input at all.
  const auto later = w.take_change(104 * kS);
  REQUIRE(later);
  CHECK_FALSE(later->timtp_present);
  // The survey ends with a valid position: fixed mode.
  w.feed(tim_svin(2000, 40000, true, false), 105 * kS);
  const auto fixed = w.take_change(105 * kS);
  REQUIRE(fixed);
  CHECK(fixed->mode == discipline::ReceiverTimeMode::fixed);
  CHECK_FALSE(fixed->survey_active);
  CHECK(*fixed->survey_accuracy_m == Approx(0.2));
}

TEST_CASE("garbage, a corrupted frame and a lost connection: defined outcomes", "[unit]") {
  ppsd::UbxWatchState w;
  const auto first = w.take_change(0);
  REQUIRE(first);  // the first call always reports (all unknown, not connected)
  CHECK_FALSE(first->connected);
  CHECK(first->mode == discipline::ReceiverTimeMode::unknown);
  w.set_connected(true);
  Bytes bad = tim_svin(10, 100, false, true);
  bad.back() ^= 0xff;  // checksum broken: dropped
  const Bytes junk = {0xB5, 0x62, 0xff, 0xff, 0xff, 0xff, 0x00, 0xB5};
  w.feed(join({junk, bad, text("\xff\xfe random")}), kS);
  const auto s = w.take_change(kS);
  REQUIRE(s);
  CHECK(s->connected);
  CHECK(s->mode == discipline::ReceiverTimeMode::unknown);
  CHECK_FALSE(s->survey_accuracy_m);
  // A frame cut by a reconnect never completes with the new connection's bytes.
  const Bytes good = tim_svin(30, 100, false, true);
  w.feed(Bytes(good.begin(), good.begin() + 10), 2 * kS);
  w.set_connected(false);
  w.set_connected(true);
  w.feed(Bytes(good.begin() + 10, good.end()), 3 * kS);
  const auto after = w.take_change(3 * kS);
  CHECK((!after || after->mode == discipline::ReceiverTimeMode::unknown));
  w.feed(good, 4 * kS);
  const auto ok = w.take_change(4 * kS);
  REQUIRE(ok);
  CHECK(ok->mode == discipline::ReceiverTimeMode::survey_in);
}

TEST_CASE("gpsd's DEVICES object names the model before any MON-VER passes by", "[unit]") {
  // Recorded from gpsd 3.22 in front of the fake LEA-M8T (tests/integration/ubxfake.py), the
  // reply to ?WATCH: gpsd's own start-up MON-VER probe, as subtype/subtype1.
  const std::string devices =
      R"({"class":"DEVICES","devices":[{"class":"DEVICE","path":"/dev/pts/0","driver":"u-blox",)"
      R"("subtype":"SW ROM CORE 3.01 (107888),HW 00080000","subtype1":"FWVER=TIM 1.10,)"
      R"(PROTVER=22.00,MOD=LEA-M8T,FIS=0xEF4015 (100111),GPS;GLO;GAL;BDS,SBAS;IMES;QZSS",)"
      R"("activated":"2026-12-07T05:40:53.055Z","flags":1,"native":1,"bps":38400}]})";
  const auto d = ppsd::parse_gpsd_device(devices);
  REQUIRE(d);
  CHECK(d->model == "LEA-M8T");
  CHECK(d->firmware == "TIM 1.10");
  CHECK(d->generation == 8);
  const auto f9 = ppsd::parse_gpsd_device(
      R"({"class":"DEVICE","subtype1":"ROM BASE 0x118B2060,FWVER=TIM 2.20,PROTVER=29.20,)"
      R"(MOD=ZED-F9T,GPS;GLO;GAL;BDS,SBAS;QZSS,NAVIC"})");
  REQUIRE(f9);
  CHECK(f9->model == "ZED-F9T");
  CHECK(f9->generation == 9);
  CHECK_FALSE(ppsd::parse_gpsd_device(R"({"class":"DEVICE","driver":"NMEA0183"})"));
  CHECK_FALSE(ppsd::parse_gpsd_device(R"({"class":"TPV","subtype1":"MOD=X"})"));
  CHECK_FALSE(ppsd::parse_gpsd_device(R"({"class":"DEVICE","subtype1":"MOD=)"));

  // In the stream: the DEVICES line, then binary; the status names the model.
  ppsd::UbxWatchState w;
  w.set_connected(true);
  w.feed(join({text(devices + "\r\n"), tim_tp(1000)}), kS);
  const auto s = w.take_change(kS);
  REQUIRE(s);
  CHECK(s->model == "LEA-M8T");
  CHECK(s->firmware == "TIM 1.10");
  CHECK(s->generation == 8);
}
