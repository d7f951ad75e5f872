#include "link.hpp"

#include <time.h>

#include <cstdio>

#include <fmt/format.h>

#include "ubx/messages.hpp"

namespace nanotime::rcv {

std::int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

Link::Link(Port& port, double deadline_s, bool verbose)
    : port_(port), deadline_ms_(now_ms() + static_cast<std::int64_t>(deadline_s * 1000)),
      verbose_(verbose) {}

void Link::run(receiver::Poll& m) { drive(m); }
void Link::run(receiver::Apply& m) { drive(m); }

bool Link::swallow_trailing_ack(const receiver::Frame& f) {
  if (f.msg_class != receiver::kClsAck || f.payload.size() < 2 || f.payload[0] != receiver::kClsCfg) {
    return false;
  }
  int& n = trailing_acks_[f.payload[1]];
  if (n == 0) return false;
  --n;
  return true;
}

template <class M>
void Link::feed(M* m, const receiver::Bytes& bytes, std::uint64_t step) {
  parser_.feed(bytes);
  // Stop at the first item after the machine moved on: the rest belongs to the next request,
  // which must be sent first.
  while (m == nullptr || m->step() == step) {
    const auto item = parser_.next_item();
    if (!item) return;
    if (const auto* u = std::get_if<ubx::Frame>(&*item)) {
      const ubx::Frame& f = *u;
      if (verbose_) {
        std::fprintf(stderr, "recv %02x %02x (%zu bytes)\n", f.msg_class, f.msg_id, f.payload.size());
      }
      ubx::fold(state_, f, now_ms() * 1'000'000);
      if (swallow_trailing_ack(f)) continue;
      if (m != nullptr) {
        m->on_frame(f);
        if (m->step() != step && f.msg_class == receiver::kClsCfg) ++trailing_acks_[f.msg_id];
      }
    } else {
      const auto& line = std::get<std::string>(*item);
      // gpsd refuses a write with an ERROR line (e.g. "Type of /dev/ttyAMA0 is unknown." in
      // its first seconds): the frame never reached the receiver, say why.
      if (line.starts_with(R"({"class":"ERROR")") && line != last_gpsd_error_) {
        last_gpsd_error_ = line;
        std::fprintf(stderr, "nanotime-receiver: gpsd: %s\n", line.c_str());
      }
      if (m != nullptr) {
        if constexpr (requires { m->on_text(std::string{}); }) m->on_text(line);
      }
    }
  }
}

template <class M>
void Link::drive(M& m) {
  // A connection lost in the middle (gpsd stopped, device unplugged) ends this run like a
  // silent receiver, so that the report still says what was and was not applied.
  try {
    drive_unguarded(m);
  } catch (const PortError& e) {
    if (!broken_) std::fprintf(stderr, "nanotime-receiver: %s\n", e.what());
    broken_ = true;
    m.abort();
  }
}

template <class M>
void Link::drive_unguarded(M& m) {
  while (const receiver::Request* r = m.pending()) {
    if (broken_) {
      m.abort();
      return;
    }
    if (expired()) {
      m.abort();
      return;
    }
    if (verbose_) std::fprintf(stderr, "send %s\n", r->what.c_str());
    port_.write(receiver::encode(r->frame));
    const std::uint64_t step = m.step();
    const std::int64_t until = now_ms() + static_cast<std::int64_t>(m.timeout_s() * 1000);
    // Items already buffered (from before this request) are looked at first.
    feed(&m, {}, step);
    while (m.step() == step) {
      const std::int64_t left = std::min(until, deadline_ms_) - now_ms();
      if (left <= 0) {
        if (expired()) {
          m.abort();
        } else {
          m.on_timeout();
        }
        break;
      }
      feed(&m, port_.read(static_cast<int>(left)), step);
    }
  }
}

void Link::listen(int ms) {
  const std::int64_t until = std::min(now_ms() + ms, deadline_ms_);
  try {
    for (std::int64_t left = until - now_ms(); left > 0 && !broken_; left = until - now_ms()) {
      feed<receiver::Poll>(nullptr, port_.read(static_cast<int>(left)), 0);
    }
  } catch (const PortError& e) {
    std::fprintf(stderr, "nanotime-receiver: %s\n", e.what());
    broken_ = true;
  }
}

std::optional<Identity> identify(Link& link, const receiver::Timing& t) {
  receiver::Poll p({{receiver::Frame{receiver::kClsMon, ubx::id::mon_ver, {}}, false,
                     receiver::kClsMon, ubx::id::mon_ver, {}, "poll MON-VER"}},
                   t);
  link.run(p);
  if (!p.replies()[0]) return std::nullopt;
  const auto& f = *p.replies()[0];
  const auto v = ubx::decode_mon_ver(f);
  if (const auto* e = std::get_if<ubx::DecodeError>(&v)) {
    Identity id;
    id.info.firmware = "(undecodable MON-VER: " + e->message + ")";
    return id;
  }
  Identity id{ubx::classify(std::get<ubx::MonVer>(v)), std::nullopt};
  if (id.info.generation == ubx::Generation::m8) id.generation = receiver::Generation::m8;
  if (id.info.generation == ubx::Generation::f9) id.generation = receiver::Generation::f9;
  return id;
}

std::string describe(const Identity& id) {
  return fmt::format("model {}, firmware {}, generation {}",
                     id.info.model.empty() ? "(not reported)" : id.info.model, id.info.firmware,
                     ubx::to_string(id.info.generation));
}

}  // namespace nanotime::rcv
