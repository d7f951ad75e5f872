#pragma once
// `nanotime record`'s way in (docs/recording.md#on-demand): a Unix datagram socket, by default
// /run/nanotime/phc-pps-sync.record.sock, created mode 0600 — only root on this box may send
// to it. Chosen over a POST to the status endpoint: that one may listen on the network (with
// `allow`), serves GET/HEAD only, and its safety tests stay as they are; a socket file's
// permissions are the whole access control here, and it carries no data anyone else reads.
//
// Requests are one datagram of text; the reply goes to the sender's (bound) address:
//   "start SECONDS"  start an on-demand recording for SECONDS (0: until "stop") → "ok PATH MODE"
//                    MODE: "attached" (a new file), or "running" (the configured recording from
//                    the daemon's start is already on: PATH is its current file)
//   "stop"           → "ok PATH BYTES" (the last on-demand recording), or "error …"
//   anything else    → "error …"

#include <optional>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>

#include "util/fd.hpp"

namespace nanotime::ppsd {

struct ControlRequest {
  std::string text;
  sockaddr_un from{};
  socklen_t from_len = 0;
};

class RecordControl {
 public:
  // Binds `path` (a stale socket file is replaced). Throws std::runtime_error naming it.
  explicit RecordControl(std::string path);
  ~RecordControl();
  RecordControl(const RecordControl&) = delete;
  RecordControl& operator=(const RecordControl&) = delete;

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  // One queued request, without waiting; nullopt when none.
  std::optional<ControlRequest> receive();
  // Best effort: a client that went away gets nothing.
  void reply(const ControlRequest& to, const std::string& text);

 private:
  std::string path_;
  util::Fd fd_;
};

// "start 20" → 20 s; "start 0" → 0 (until stop); nullopt: not a start request or a bad number.
std::optional<double> parse_start(const std::string& text);

}  // namespace nanotime::ppsd
