#pragma once
// Drives the pure machines of lib/receiver over a Port: sends each pending request, feeds back
// what arrives, times out per request and gives up at the overall deadline. Every frame seen
// also updates a ubx::ReceiverState (for `status`).

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "port.hpp"
#include "receiver/apply.hpp"
#include "receiver/settings.hpp"
#include "ubx/frame.hpp"
#include "ubx/receiver_state.hpp"

namespace nanotime::rcv {

std::int64_t now_ms();

class Link {
 public:
  Link(Port& port, double deadline_s, bool verbose);
  void run(receiver::Poll& m);
  void run(receiver::Apply& m);
  // Reads for `ms` (bounded by the deadline), folding what arrives into state().
  void listen(int ms);
  bool expired() const { return now_ms() >= deadline_ms_; }
  const ubx::ReceiverState& state() const { return state_; }
  const Port& port() const { return port_; }

 private:
  template <class M>
  void drive(M& m);
  template <class M>
  void drive_unguarded(M& m);
  bool swallow_trailing_ack(const receiver::Frame& f);
  template <class M>
  void feed(M* m, const receiver::Bytes& bytes, std::uint64_t step);

  Port& port_;
  std::int64_t deadline_ms_;
  bool verbose_;
  // Frames and text lines (boot banner, gpsd's JSON). One gpsd read (8 KiB) can hold a hundred
  // lines, all queued before the first is taken: room for every item of one read.
  ubx::FrameParser parser_{ubx::ParserOptions{.text_lines = true, .max_queued = 8192 / 8}};
  ubx::ReceiverState state_;
  // A CFG message answered with its reply is followed by an ACK-ACK (gen 8 polls, VALGET);
  // counted per CFG id so that it is not taken for the ACK of a write sent next.
  std::array<int, 256> trailing_acks_{};
  std::string last_gpsd_error_;
  bool broken_ = false;  // the port failed: every later request is unanswered
};

// The receiver's identity from MON-VER.
struct Identity {
  ubx::ReceiverInfo info;
  std::optional<receiver::Generation> generation;  // nullopt: neither M8 nor F9
};
// nullopt when the receiver did not answer the MON-VER poll.
std::optional<Identity> identify(Link& link, const receiver::Timing& t);
std::string describe(const Identity& id);

}  // namespace nanotime::rcv
