// libFuzzer target: the UBX frame parser and every message decoder (lib/ubx) on arbitrary
// bytes, and the ReceiverState fold on whatever frames come out. Built only with
// -DNANOTIME_FUZZ=ON and clang (tests/fuzz/CMakeLists.txt).
// Checks, besides "no crash / no out-of-bounds read / no UB" (ASan, UBSan):
//   - the parser's buffer stays within one maximum frame (or, keeping text lines, one line);
//   - a parser keeping text lines finds the same frames, and its lines are whole: '$' or '{'
//     first, no newline or sync byte inside, at most kMaxLineBytes;
//   - every frame it returns re-encodes to bytes that parse back to the same frame;
//   - every successful decode survives encode -> decode unchanged, and for the messages that
//     keep every byte (ACK, TIM-TP, CFG-MSG, CFG-CFG, CFG-VALGET) re-encodes to the same payload.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "ubx/frame.hpp"
#include "ubx/messages.hpp"
#include "ubx/receiver_state.hpp"

using namespace nanotime::ubx;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// decode(encode(d)) == d; with `exact`, encode(d) is also byte for byte the input payload.
template <class Decode, class Encode>
void round_trip(const Frame& f, Decode decode, Encode encode_fn, bool exact) {
  auto r = decode(f);
  if (r.index() != 0) {
    check(!std::get<DecodeError>(r).message.empty());
    return;
  }
  const auto& value = std::get<0>(r);
  const Frame again = encode_fn(value);
  auto r2 = decode(again);
  check(r2.index() == 0 && std::get<0>(r2) == value);
  if (exact) check(again == f);
}

void decode_all(const Frame& f) {
  round_trip(f, decode_ack, encode_ack, true);
  round_trip(f, decode_mon_ver, encode_mon_ver, false);
  round_trip(f, decode_tim_svin, encode_tim_svin, false);
  round_trip(f, decode_tim_tp, encode_tim_tp, true);
  round_trip(f, decode_nav_timels, encode_nav_timels, false);
  round_trip(f, decode_mon_hw, encode_mon_hw, false);
  round_trip(f, decode_mon_rf, encode_mon_rf, false);
  round_trip(f, decode_nav_pvt, encode_nav_pvt, false);
  round_trip(f, decode_cfg_tmode2, encode_cfg_tmode2, false);
  round_trip(f, decode_cfg_tp5, encode_cfg_tp5, false);
  round_trip(f, decode_cfg_msg, encode_cfg_msg, true);
  round_trip(f, decode_cfg_nav5, encode_cfg_nav5, false);
  round_trip(f, decode_cfg_cfg, encode_cfg_cfg, true);
  round_trip(f, decode_cfg_valset, encode_cfg_valset, false);
  round_trip(f, decode_cfg_valget_poll, encode_cfg_valget_poll, true);
  round_trip(f, decode_cfg_valget_response, encode_cfg_valget_response, true);
  auto ver = decode_mon_ver(f);
  if (auto* v = std::get_if<MonVer>(&ver)) (void)classify(*v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte chooses where the stream is split, so split frames get exercised too.
  std::span<const std::uint8_t> in(data + 1, size - 1);
  const std::size_t cut = in.empty() ? 0 : data[0] % (in.size() + 1);

  FrameParser parser;
  FrameParser text_parser(ParserOptions{.text_lines = true});
  std::vector<Frame> frames, text_frames;
  ReceiverState state;
  std::int64_t now_ns = 0;
  for (auto part : {in.first(cut), in.subspan(cut)}) {
    parser.feed(part);
    text_parser.feed(part);
    check(parser.buffered_bytes() <= kMaxPayloadBytes + kOverheadBytes);
    check(text_parser.buffered_bytes() <= std::max(kMaxPayloadBytes + kOverheadBytes, kMaxLineBytes));
    while (auto item = text_parser.next_item()) {
      if (auto* f = std::get_if<Frame>(&*item)) {
        text_frames.push_back(std::move(*f));
        continue;
      }
      const auto& line = std::get<std::string>(*item);
      check(!line.empty() && (line[0] == '$' || line[0] == '{') && line.size() <= kMaxLineBytes);
      check(line.find('\n') == std::string::npos && line.find(char(kSync1)) == std::string::npos);
    }
    while (auto f = parser.next()) {
      frames.push_back(*f);
      check(f->payload.size() <= kMaxPayloadBytes);
      FrameParser again;
      again.feed(encode(*f));
      auto g = again.next();
      check(g && *g == *f && again.garbage_bytes() == 0);
      decode_all(*f);
      now_ns += 500'000'000;
      (void)fold(state, *f, now_ns);
      (void)tim_tp_present(state, now_ns);
    }
  }
  if (parser.queue_overflow() == 0 && text_parser.queue_overflow() == 0) check(frames == text_frames);
  return 0;
}
