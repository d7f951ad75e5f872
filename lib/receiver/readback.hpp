#pragma once
// What the receiver says its configuration is, how to ask for it, and the difference from the
// desired Settings (what `configure --dry-run` prints and `configure` changes).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "receiver/frame.hpp"
#include "receiver/settings.hpp"

namespace nanotime::receiver {

// A request and the answer it waits for: an ACK/NAK of (cls, id), or a reply (cls, id) whose
// payload starts with `prefix` (CFG-MSG answers with the polled class/id, CFG-TP5 with tpIdx).
struct Request {
  Frame frame;
  bool expect_ack = false;
  std::uint8_t cls = 0, id = 0;
  Bytes prefix;
  std::string what;  // "poll CFG-TP5", "VALSET 12 keys"
};

struct Readback {
  std::map<std::string, Bytes> m8;           // message identity (m8_identity) -> reply payload
  std::map<std::uint32_t, std::int64_t> f9;  // key id -> value in the RAM layer
  void absorb(const Frame& reply);           // records a CFG reply (poll answer or VALGET)
};

std::string m8_identity(const M8Field& f);
// The polls that read every setting back (gen 8: one per message, gen 9: VALGETs of <= 32 keys).
std::vector<Request> read_requests(const std::vector<Setting>& settings, Generation g);
std::optional<std::int64_t> read_value(const Setting& s, const Readback& rb);

struct Change {
  const Setting* setting = nullptr;
  std::optional<std::int64_t> from;  // nullopt: could not be read back
  std::int64_t to = 0;
};
std::vector<Change> diff(const std::vector<Setting>& desired, const Readback& rb);
// "CFG-TP5 antCableDelay: 0 ns -> 56 ns"
std::string describe(const Change& c);
std::string with_unit(std::optional<std::int64_t> v, const std::string& unit);

// Gen 8: the CFG message that writes `group` (settings of one message), built on the read-back
// payload so that fields we do not manage keep their values. nullopt when it was not read.
std::optional<Frame> m8_write(const std::vector<const Setting*>& group, const Readback& rb);
// Gen 9: VALSET frames for `keys` into `layers` (1 RAM, 2 BBR, 4 flash); more than one frame is
// one transaction (begin / continue / end), so the receiver applies all or nothing. Each frame
// stays below gpsd's 255-byte limit for a ?DEVICE write.
std::vector<Frame> f9_valset(const std::vector<const Setting*>& keys, std::uint8_t layers);

}  // namespace nanotime::receiver
