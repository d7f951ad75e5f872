#pragma once
// The conversation with the receiver, without I/O. A machine holds the request to send now;
// the caller sends it, feeds back every frame and text line that arrives, and calls
// on_timeout() when the request's timeout passes. Retries are the machine's business.
//
//   Poll:  a list of requests (readback, MON-VER, TIM-SVIN) -> their replies.
//   Apply: the changes -> writes (gen 8: one CFG message at a time, each read back; gen 9: one
//          VALSET transaction, then VALGET) -> an exact per-setting Report.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "receiver/frame.hpp"
#include "receiver/readback.hpp"

namespace nanotime::receiver {

struct Timing {
  double timeout_s = 1.5;  // per request
  int retries = 2;         // after the first try
};

// True for the boot banner a u-blox receiver prints when it (re)starts ("$GNTXT,...,u-blox AG -
// www.u-blox.com"). An "unsolicited" MON-VER is no sign: gpsd polls MON-VER itself when it
// (re)identifies the receiver, and its answers reach every raw watcher.
bool is_reset_sign(const std::string& line);

// Does `f` answer `r`? 1: yes (ACK or the reply), -1: NAK, 0: not for this request.
int answers(const Request& r, const Frame& f);

class Poll {
 public:
  Poll(std::vector<Request> requests, Timing t);
  const Request* pending() const;  // nullptr when done
  double timeout_s() const { return timing_.timeout_s; }
  std::uint64_t step() const { return step_; }  // changes whenever pending() does
  void on_frame(const Frame& f);
  void on_timeout();
  void abort();
  // Replies in request order; nullopt for a request that got none (or a NAK).
  const std::vector<std::optional<Frame>>& replies() const { return replies_; }
  // True for a request the receiver refused (ACK-NAK): it does not know what was asked.
  bool refused(std::size_t i) const { return refused_[i]; }
  bool any_answer() const;

 private:
  void advance();
  std::vector<Request> requests_;
  Timing timing_;
  std::vector<std::optional<Frame>> replies_;
  std::vector<bool> refused_;
  std::size_t at_ = 0;
  int tries_ = 0;
  std::uint64_t step_ = 0;
};

enum class Outcome { applied, refused, unanswered, lost, not_sent };
std::string to_string(Outcome o);

struct SettingResult {
  Change change;
  Outcome outcome = Outcome::not_sent;
  std::optional<std::int64_t> read_after;  // the value read back last
};

struct Report {
  std::vector<SettingResult> results;
  bool reset_seen = false;
  bool all_applied() const;
  // One line per setting: "applied   CFG-TP5 antCableDelay: 0 ns -> 56 ns", then a summary.
  std::string text() const;
};

class Apply {
 public:
  // `changes` point into settings that outlive the machine; `before` is the readback they were
  // computed from (gen 8 writes are built on it). `layers` is gen 9's VALSET layer mask.
  Apply(Generation g, std::vector<Change> changes, Readback before, std::uint8_t layers, Timing t);
  const Request* pending() const;
  double timeout_s() const { return timing_.timeout_s; }
  std::uint64_t step() const { return step_; }
  void on_frame(const Frame& f);
  void on_text(const std::string& line);
  void on_timeout();
  // The overall deadline passed: what was not answered is reported so.
  void abort();
  const Report& report() const { return report_; }

 private:
  enum class Kind { write, verify };
  struct Step {
    Kind kind;
    Request request;
    std::vector<std::size_t> settings;  // indexes into report_.results
  };
  void build_m8(const Readback& before);
  void build_f9(std::uint8_t layers);
  void finish_step(int answer, const Frame* reply);
  void on_verify_reply(const Step& s, const Frame& reply);
  void give_up();
  void advance();

  Generation gen_;
  Timing timing_;
  Readback readback_;
  std::vector<Step> steps_;
  std::size_t final_verify_ = 0;  // the first step of the final read back
  std::size_t at_ = 0;
  int tries_ = 0;
  std::uint64_t step_ = 0;
  Report report_;
  std::vector<bool> acked_;  // per result: the write was ACKed
};

}  // namespace nanotime::receiver
