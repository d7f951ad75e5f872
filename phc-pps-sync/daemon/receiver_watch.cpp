#include "daemon/receiver_watch.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "log/log.hpp"
#include "util/units.hpp"

namespace nanotime::ppsd {
namespace {

namespace d = nanotime::discipline;

d::ReceiverTimeMode to_mode(ubx::TimeMode m) {
  switch (m) {
    case ubx::TimeMode::fixed: return d::ReceiverTimeMode::fixed;
    case ubx::TimeMode::survey_in: return d::ReceiverTimeMode::survey_in;
    case ubx::TimeMode::navigation: return d::ReceiverTimeMode::navigation;
    default: return d::ReceiverTimeMode::unknown;
  }
}

conductor::AntennaState to_antenna(ubx::Antenna a) {
  switch (a) {
    case ubx::Antenna::ok: return conductor::AntennaState::ok;
    case ubx::Antenna::short_circuit: return conductor::AntennaState::short_circuit;
    case ubx::Antenna::open: return conductor::AntennaState::open;
    case ubx::Antenna::off: return conductor::AntennaState::off;
    default: return conductor::AntennaState::unknown;
  }
}

int to_generation(ubx::Generation g) {
  switch (g) {
    case ubx::Generation::m8: return 8;
    case ubx::Generation::f9: return 9;
    default: return 0;
  }
}

// A blocking connect bounded by kConnectTimeout (gpsd is normally on loopback: immediate).
constexpr timeval kConnectTimeout{2, 0};

// The value of "key":"..." in a JSON line (gpsd's strings here carry no escapes).
std::string_view json_string_field(std::string_view line, std::string_view key) {
  const std::string needle = fmt::format("\"{}\":\"", key);
  const auto at = line.find(needle);
  if (at == std::string_view::npos) return {};
  const auto from = at + needle.size();
  const auto end = line.find('"', from);
  return end == std::string_view::npos ? std::string_view{} : line.substr(from, end - from);
}

// "A=x,B=y" → the value of `name`=.
std::string_view item(std::string_view list, std::string_view name) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view part = list.substr(0, comma);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=') {
      return part.substr(name.size() + 1);
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return {};
}

constexpr std::size_t kMaxLineBytes = 4096;  // gpsd's DEVICES lines are a few hundred bytes

}  // namespace

std::optional<GpsdDeviceInfo> parse_gpsd_device(std::string_view line) {
  if (line.find("\"class\":\"DEVICE") == std::string_view::npos) return std::nullopt;
  const std::string_view sub1 = json_string_field(line, "subtype1");
  const std::string_view model = item(sub1, "MOD");
  if (model.empty()) return std::nullopt;
  GpsdDeviceInfo d;
  d.model = std::string(model);
  d.firmware = std::string(item(sub1, "FWVER"));
  if (model.find("-M8") != std::string_view::npos) d.generation = 8;
  if (model.find("-F9") != std::string_view::npos) d.generation = 9;
  return d;
}

conductor::ReceiverStatus to_receiver_status(const ubx::ReceiverState& s, bool connected,
                                             std::int64_t now_mono_ns) {
  conductor::ReceiverStatus r;
  r.connected = connected;
  r.model = s.model;
  r.firmware = s.firmware;
  r.generation = to_generation(s.generation);
  r.mode = to_mode(s.time_mode);
  r.survey_active = s.survey.active;
  r.survey_duration_s = s.survey.dur_s;
  if (s.survey.seen) r.survey_accuracy_m = s.survey.accuracy_m;
  r.antenna = to_antenna(s.antenna);
  if (s.jamming_indicator) r.jamming_indicator = *s.jamming_indicator;
  r.satellites_used = s.satellites_used;
  r.timtp_present = ubx::tim_tp_present(s, now_mono_ns);
  return r;
}

void UbxWatchState::scan_lines(std::span<const std::uint8_t> bytes) {
  for (const std::uint8_t b : bytes) {
    if (b != '\n') {
      if (line_.size() < kMaxLineBytes) line_.push_back(static_cast<char>(b));
      continue;
    }
    if (auto d = parse_gpsd_device(line_)) device_ = std::move(d);
    line_.clear();
  }
}

void UbxWatchState::feed(std::span<const std::uint8_t> bytes, std::int64_t now_mono_ns) {
  scan_lines(bytes);
  parser_.feed(bytes);
  while (auto f = parser_.next()) ubx::fold(state_, *f, now_mono_ns);
}

void UbxWatchState::set_connected(bool connected) {
  if (connected == connected_) return;
  connected_ = connected;
  parser_.reset();  // a partial frame of the old connection never joins the new one
  line_.clear();
}

std::optional<conductor::ReceiverStatus> UbxWatchState::take_change(std::int64_t now_mono_ns) {
  conductor::ReceiverStatus s = to_receiver_status(state_, connected_, now_mono_ns);
  // The receiver's own MON-VER wins; gpsd's probe result fills in until one passes by.
  if (!state_.identified && device_) {
    s.model = device_->model;
    s.firmware = device_->firmware;
    s.generation = device_->generation;
  }
  if (last_ && *last_ == s) return std::nullopt;
  last_ = s;
  return s;
}

GpsdReceiverWatch::GpsdReceiverWatch(std::string host, int port)
    : host_(std::move(host)), port_(port) {}

std::string GpsdReceiverWatch::describe() const {
  return fmt::format("gpsd {}:{} (raw UBX)", host_, port_);
}

std::optional<std::int64_t> GpsdReceiverWatch::wake_mono_ns() const {
  return sock_.valid() ? next_check_mono_ns_ : backoff_.next_attempt_ns();
}

std::optional<conductor::ReceiverStatus> GpsdReceiverWatch::maintain(std::int64_t now) {
  if (!sock_.valid() && backoff_.due(now)) connect(now);
  next_check_mono_ns_ = now + util::kNsPerS;
  return watch_.take_change(now);
}

void GpsdReceiverWatch::connect(std::int64_t now) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(port_);
  if (const int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &res); rc != 0) {
    drop(now, fmt::format("cannot resolve {}: {}", host_, ::gai_strerror(rc)));
    return;
  }
  std::string why = "no address";
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    util::Fd s(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (!s.valid()) continue;
    ::setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &kConnectTimeout, sizeof kConnectTimeout);
    if (::connect(s.get(), a->ai_addr, a->ai_addrlen) == 0 &&
        ::send(s.get(), kRawWatchCommand.data(), kRawWatchCommand.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(kRawWatchCommand.size())) {
      sock_ = std::move(s);
      break;
    }
    why = std::strerror(errno);
  }
  ::freeaddrinfo(res);
  if (!sock_.valid()) {
    drop(now, why);
    return;
  }
  proved_ = false;
  watch_.set_connected(true);
  log::info("receiver watch: connected to {}", describe());
}

void GpsdReceiverWatch::drop(std::int64_t now, const std::string& why) {
  if (sock_.valid() || proved_) log::warning("receiver watch: {}: {}", describe(), why);
  sock_.reset();
  proved_ = false;
  watch_.set_connected(false);
  backoff_.failed(now);
}

std::optional<conductor::ReceiverStatus> GpsdReceiverWatch::read(std::int64_t now) {
  if (!sock_.valid()) return std::nullopt;
  std::array<std::uint8_t, 4096> buf{};
  const ssize_t n = ::recv(sock_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
  if (n == 0) {
    drop(now, "gpsd closed the connection");
  } else if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::nullopt;
    drop(now, std::strerror(errno));
  } else {
    const std::uint64_t before = watch_.frames();
    watch_.feed(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)), now);
    if (!proved_ && watch_.frames() > before) {
      proved_ = true;
      backoff_.succeeded();
    }
  }
  return watch_.take_change(now);
}

}  // namespace nanotime::ppsd
