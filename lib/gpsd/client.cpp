#include "gpsd/client.hpp"

#include <gps.h>

#include <cerrno>
#include <cstring>

#include "log/log.hpp"

namespace nanotime::gpsd {

GpsdClient::GpsdClient(std::string host, int port)
    : host_(std::move(host)),
      port_(std::to_string(port)),
      endpoint_(host_.find(':') != std::string::npos ? "[" + host_ + "]:" + port_
                                                     : host_ + ":" + port_),
      data_(std::make_unique<gps_data_t>()) {}

GpsdClient::~GpsdClient() { close(); }

int GpsdClient::fd() const { return connected_ ? data_->gps_fd : -1; }

void GpsdClient::close() {
  if (connected_) {
    (void)gps_close(data_.get());
    connected_ = false;
  }
}

Event GpsdClient::disconnect(std::int64_t now_ns, std::string reason) {
  close();
  backoff_.failed(now_ns);
  if (!reported_down_) {
    log::warning("gpsd {}: connection lost ({}); reconnecting", endpoint_, reason);
    reported_down_ = true;
  }
  return Disconnected{std::move(reason)};
}

std::vector<Event> GpsdClient::maintain(std::int64_t now_ns) {
  std::vector<Event> out;
  if (connected_ || !backoff_.due(now_ns)) return out;

  // gps_open fills the whole struct (and clears ->toff, which the 3.22 quirk relies on).
  std::memset(data_.get(), 0, sizeof(gps_data_t));
  if (gps_open(host_.c_str(), port_.c_str(), data_.get()) != 0) {
    const char* why = gps_errstr(errno);
    backoff_.failed(now_ns);
    if (!reported_down_) {
      log::warning("gpsd {}: cannot connect ({}); retrying with backoff up to 30 s", endpoint_,
                   why);
      reported_down_ = true;
    }
    return out;
  }
  connected_ = true;
  if (gps_stream(data_.get(), WATCH_ENABLE | WATCH_JSON | WATCH_PPS, nullptr) != 0) {
    out.push_back(disconnect(now_ns, "cannot send the WATCH command"));
    return out;
  }
  log::notice("gpsd {}: connected", endpoint_);
  reported_down_ = false;
  out.emplace_back(Connected{});
  return out;
}

std::vector<Event> GpsdClient::read_events(std::int64_t now_ns) {
  std::vector<Event> out;
  if (!connected_) return out;
  // libgps reads one message per gps_read and buffers the rest; gps_waiting(…, 0) tells whether
  // more are ready without blocking. Bounded so a flood cannot starve the event loop.
  for (int i = 0; i < 64; ++i) {
    // libgps 3.22 clears only the "union" flags (TOFF, PPS, ...) per message: MODE_SET and the
    // like stay set from an earlier TPV. Clearing them makes each snapshot one message.
    data_->set = 0;
    errno = 0;
    const int n = gps_read(data_.get(), nullptr, 0);
    if (n < 0) {
      out.push_back(disconnect(now_ns, errno != 0 ? std::strerror(errno)
                                                  : "closed by gpsd or unreadable data"));
      return out;
    }
    if (n == 0) break;  // nothing complete yet
    const std::size_t before = out.size();
    translator_.translate(*data_, out);
    if (out.size() == before && (data_->set & ~(ONLINE_SET | PACKET_SET)) == 0) {
      // libgps understood nothing in it (an unknown class, wrong field types): say so once —
      // the log counts repeats — so a misbehaving gpsd is visible, and use nothing from it.
      log::notice("gpsd {}: ignored a message nanotime does not understand", endpoint_);
    }
    for (std::size_t k = before; k < out.size(); ++k) {
      if (std::holds_alternative<TimeReport>(out[k]) || std::holds_alternative<PulseReport>(out[k])) {
        backoff_.succeeded();  // this connection works: the next loss starts at 1 s again
      }
    }
    if (!gps_waiting(data_.get(), 0)) break;
  }
  return out;
}

}  // namespace nanotime::gpsd
