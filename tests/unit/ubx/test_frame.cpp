// UBX framing: the expected bytes are worked out by hand from the u-blox interface description
// (sync B5 62, class, id, u16 little-endian length, payload, Fletcher-8 over class..payload),
// not produced by the encoder under test.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ubx/frame.hpp"

using namespace nanotime::ubx;
using Bytes = std::vector<std::uint8_t>;

namespace {

const Bytes kMonVerPoll = {0xB5, 0x62, 0x0A, 0x04, 0x00, 0x00, 0x0E, 0x34};
// ACK-ACK answering CFG-MSG (06 01).
const Bytes kAckAckCfgMsg = {0xB5, 0x62, 0x05, 0x01, 0x02, 0x00, 0x06, 0x01, 0x0F, 0x38};

std::vector<Frame> drain(FrameParser& p) {
  std::vector<Frame> out;
  while (auto f = p.next()) out.push_back(std::move(*f));
  return out;
}

void feed(FrameParser& p, const Bytes& b) { p.feed(b); }
void feed(FrameParser& p, const std::string& s) {
  p.feed(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace

TEST_CASE("encode: MON-VER poll and ACK-ACK match the hand-made bytes") {
  CHECK(encode(Frame{0x0A, 0x04, {}}) == kMonVerPoll);
  CHECK(encode(Frame{0x05, 0x01, {0x06, 0x01}}) == kAckAckCfgMsg);
}

TEST_CASE("checksum: Fletcher-8 of class..payload") {
  const Bytes b = {0x05, 0x01, 0x02, 0x00, 0x06, 0x01};
  auto [a, bb] = checksum(b);
  CHECK(a == 0x0F);
  CHECK(bb == 0x38);
}

TEST_CASE("message_name: known and unknown messages") {
  CHECK(message_name(0x0D, 0x04) == "UBX-TIM-SVIN");
  CHECK(message_name(0x06, 0x8A) == "UBX-CFG-VALSET");
  CHECK(message_name(0x0D, 0x99) == "UBX-0x0D-0x99");
}

TEST_CASE("FrameParser: one frame fed whole and byte by byte") {
  FrameParser whole;
  feed(whole, kAckAckCfgMsg);
  auto frames = drain(whole);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0] == Frame{0x05, 0x01, {0x06, 0x01}});

  FrameParser split;
  const Bytes two = cat({kMonVerPoll, kAckAckCfgMsg});
  std::vector<Frame> got;
  for (std::uint8_t b : two) {
    split.feed(std::span(&b, 1));
    while (auto f = split.next()) got.push_back(*f);
  }
  REQUIRE(got.size() == 2);
  CHECK(got[0] == Frame{0x0A, 0x04, {}});
  CHECK(got[1] == Frame{0x05, 0x01, {0x06, 0x01}});
  CHECK(split.garbage_bytes() == 0);
  CHECK(split.frames() == 2);
}

TEST_CASE("FrameParser: NMEA, JSON and noise between frames are dropped and counted") {
  FrameParser p;
  const std::string nmea = "$GNRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n";
  const std::string json = "{\"class\":\"TPV\",\"mode\":3}\n";
  feed(p, nmea);
  feed(p, kMonVerPoll);
  feed(p, json);
  feed(p, Bytes{0xB5, 0x00, 0x62, 0xB5});  // a lone sync byte, a wrong second byte, ...
  feed(p, kAckAckCfgMsg);
  auto frames = drain(p);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].msg_class == 0x0A);
  CHECK(frames[1].msg_class == 0x05);
  CHECK(p.garbage_bytes() == nmea.size() + json.size() + 4);
  CHECK(p.bad_checksums() == 0);
}

TEST_CASE("FrameParser: a bad checksum costs one byte and the next frame is still found") {
  FrameParser p;
  Bytes bad = kAckAckCfgMsg;
  bad.back() ^= 0xFF;
  feed(p, cat({bad, kMonVerPoll}));
  auto frames = drain(p);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0] == Frame{0x0A, 0x04, {}});
  CHECK(p.bad_checksums() == 1);
  CHECK(p.garbage_bytes() == bad.size());
}

TEST_CASE("FrameParser: a frame hidden inside a false candidate is found") {
  // B5 62 xx xx with length 4: the candidate swallows the start of the real frame; when its
  // checksum fails the scan restarts one byte later and finds the real one.
  FrameParser p;
  const Bytes fake = {0xB5, 0x62, 0x01, 0x02, 0x04, 0x00};
  feed(p, cat({fake, kAckAckCfgMsg}));
  auto frames = drain(p);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0] == Frame{0x05, 0x01, {0x06, 0x01}});
  CHECK(p.bad_checksums() == 1);
}

TEST_CASE("FrameParser: an absurd length is rejected at once, not waited for") {
  FrameParser p;
  feed(p, cat({Bytes{0xB5, 0x62, 0x0D, 0x04, 0xFF, 0xFF}, kMonVerPoll}));
  auto frames = drain(p);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0] == Frame{0x0A, 0x04, {}});
  CHECK(p.oversize() == 1);
  CHECK(p.garbage_bytes() == 6);
}

TEST_CASE("FrameParser: the largest allowed payload passes, one more is oversize") {
  FrameParser p(100);
  feed(p, encode(Frame{0x01, 0x35, Bytes(100, 0xAB)}));
  feed(p, encode(Frame{0x01, 0x35, Bytes(101, 0xAB)}));
  auto frames = drain(p);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].payload.size() == 100);
  CHECK(p.oversize() == 1);
}

TEST_CASE("FrameParser: memory stays bounded whatever is fed") {
  FrameParser p;
  std::mt19937 rng(7);
  Bytes noise(1 << 16);
  for (auto& b : noise) b = std::uint8_t(rng());
  for (int i = 0; i < 64; ++i) {
    p.feed(noise);
    CHECK(p.buffered_bytes() <= kMaxPayloadBytes + kOverheadBytes);
  }
  // Frames never taken out: the queue keeps only the newest.
  const Bytes many = [] {
    Bytes b;
    for (int i = 0; i < 200; ++i) b.insert(b.end(), kMonVerPoll.begin(), kMonVerPoll.end());
    return b;
  }();
  FrameParser q;
  q.feed(many);
  CHECK(q.frames() == 200);
  CHECK(q.queue_overflow() == 200 - FrameParser::kMaxQueuedFrames);
  CHECK(drain(q).size() == FrameParser::kMaxQueuedFrames);
}

TEST_CASE("FrameParser: an incomplete frame waits; reset drops it") {
  FrameParser p;
  feed(p, Bytes(kAckAckCfgMsg.begin(), kAckAckCfgMsg.end() - 1));
  CHECK_FALSE(p.next());
  CHECK(p.buffered_bytes() == kAckAckCfgMsg.size() - 1);
  p.reset();
  CHECK(p.buffered_bytes() == 0);
  feed(p, Bytes{kAckAckCfgMsg.back()});
  CHECK_FALSE(p.next());
}

TEST_CASE("FrameParser: one huge feed with frames spread through text loses none") {
  // feed() works through its input in slices of one maximum frame; frames that straddle a
  // slice boundary must survive.
  FrameParser p;
  Bytes stream;
  const std::string line = "$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00*74\r\n";
  int expected = 0;
  for (int i = 0; i < 3000; ++i) {
    stream.insert(stream.end(), line.begin(), line.end());
    const Frame f{0x0D, 0x01, Bytes(std::size_t(i % 40), std::uint8_t(i))};
    const Bytes b = encode(f);
    stream.insert(stream.end(), b.begin(), b.end());
    ++expected;
  }
  p.feed(stream);
  // Only the newest kMaxQueuedFrames wait in the queue; the count says all were found.
  CHECK(p.frames() == std::uint64_t(expected));
  CHECK(p.garbage_bytes() == 3000 * line.size());
  CHECK(p.bad_checksums() == 0);
  CHECK(p.buffered_bytes() == 0);
}

TEST_CASE("with text_lines the parser also hands out NMEA and JSON lines, in stream order",
          "[unit]") {
  FrameParser p(ParserOptions{.text_lines = true});
  Bytes in = {'x', 0xB5, 0x00};
  const std::string text = "$GNTXT,01,01,02,u-blox AG - www.u-blox.com*4E\r\n{\"class\":\"DEVICE\"}\n";
  in.insert(in.end(), text.begin(), text.end());
  in = cat({in, kAckAckCfgMsg});
  Bytes bad = kAckAckCfgMsg;
  bad.back() ^= 1;  // a corrupt checksum
  in = cat({in, bad});
  // Fed one byte at a time: frames and lines cut anywhere still come out whole.
  for (const std::uint8_t b : in) p.feed(std::span(&b, 1));
  std::vector<FrameParser::Item> items;
  while (auto it = p.next_item()) items.push_back(*it);
  REQUIRE(items.size() == 3);
  CHECK(std::get<std::string>(items[0]) == "$GNTXT,01,01,02,u-blox AG - www.u-blox.com*4E");
  CHECK(std::get<std::string>(items[1]) == "{\"class\":\"DEVICE\"}");
  CHECK(std::get<Frame>(items[2]) == Frame{0x05, 0x01, {0x06, 0x01}});
  CHECK(p.lines() == 2);
  CHECK(p.frames() == 1);
  CHECK(p.garbage_bytes() >= 3 + bad.size() - 2);
}

TEST_CASE("a text line cut by a frame is dropped, the frame kept; an endless line is dropped",
          "[unit]") {
  FrameParser p(ParserOptions{.text_lines = true});
  feed(p, std::string("$GNTXT,01,01,02,ANTSTA"));
  feed(p, kMonVerPoll);
  feed(p, std::string("TUS=OK*3B\r\n$GNGGA,1*00\n"));
  auto a = p.next_item();
  REQUIRE(a);
  CHECK(std::get<Frame>(*a) == Frame{0x0A, 0x04, {}});
  auto b = p.next_item();
  REQUIRE(b);
  CHECK(std::get<std::string>(*b) == "$GNGGA,1*00");
  CHECK_FALSE(p.next_item());

  // A line that never ends is held only up to kMaxLineBytes.
  feed(p, std::string("{") + std::string(kMaxLineBytes + 10, 'a'));
  CHECK(p.buffered_bytes() <= kMaxLineBytes);
  CHECK_FALSE(p.next_item());
  feed(p, kAckAckCfgMsg);
  CHECK(drain(p) == std::vector<Frame>{Frame{0x05, 0x01, {0x06, 0x01}}});
}

TEST_CASE("without text_lines, next() skips lines and next_item() gives frames only", "[unit]") {
  FrameParser plain;
  feed(plain, std::string("$GNTXT,hello*00\r\n"));
  feed(plain, kMonVerPoll);
  auto it = plain.next_item();
  REQUIRE(it);
  CHECK(std::get<Frame>(*it) == Frame{0x0A, 0x04, {}});
  CHECK(plain.lines() == 0);

  FrameParser text(ParserOptions{.text_lines = true});
  feed(text, std::string("$GNTXT,hello*00\r\n"));
  feed(text, kMonVerPoll);
  CHECK(drain(text) == std::vector<Frame>{Frame{0x0A, 0x04, {}}});
}
