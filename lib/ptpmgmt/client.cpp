#include "ptpmgmt/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <fmt/format.h>

#include "util/units.hpp"

namespace nanotime::ptpmgmt {
namespace {

using std::chrono::milliseconds;

// sockaddr_un for a path, or an abstract name when the path starts with '@'.
socklen_t make_address(const std::string& path, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    throw std::system_error(ENAMETOOLONG, std::generic_category(),
                            fmt::format("unix socket path too long: {}", path));
  }
  const bool abstract = !path.empty() && path[0] == '@';
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (abstract) addr.sun_path[0] = '\0';
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() +
                                (abstract ? 0 : 1));
}

std::int64_t mono_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * util::kMsPerS + ts.tv_nsec / util::kNsPerMs;
}

std::string default_local_name() {
  static std::atomic<unsigned> counter{0};
  return fmt::format("@nanotime-ptpmgmt.{}.{}", ::getpid(), counter++);
}

}  // namespace

std::string_view client_status_name(ClientStatus s) {
  switch (s) {
    case ClientStatus::ok: return "ok";
    case ClientStatus::not_reachable: return "not_reachable";
    case ClientStatus::timeout: return "timeout";
    case ClientStatus::error_status: return "error_status";
    case ClientStatus::bad_reply: return "bad_reply";
  }
  return "?";
}

PtpMgmtClient::PtpMgmtClient(ClientOptions options) : options_(std::move(options)) {
  if (options_.local_path.empty()) options_.local_path = default_local_name();
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "ptpmgmt: socket");
  fd_.reset(fd);
  sockaddr_un local{};
  socklen_t len = make_address(options_.local_path, local);
  if (options_.local_path.front() != '@') {
    ::unlink(options_.local_path.c_str());  // a stale socket file from a crashed run
    unlink_local_ = true;
  }
  if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&local), len) != 0) {
    unlink_local_ = false;
    throw std::system_error(errno, std::generic_category(),
                            fmt::format("ptpmgmt: cannot bind local socket {}",
                                        options_.local_path));
  }
}

PtpMgmtClient::~PtpMgmtClient() {
  if (unlink_local_) ::unlink(options_.local_path.c_str());
}

SendResult PtpMgmtClient::send_bytes(std::span<const std::uint8_t> datagram) {
  SendResult r;
  sockaddr_un peer{};
  socklen_t len = make_address(options_.ptp4l_path, peer);
  ssize_t n = ::sendto(fd_.get(), datagram.data(), datagram.size(), 0,
                       reinterpret_cast<sockaddr*>(&peer), len);
  if (n < 0) {
    int e = errno;
    r.status = ClientStatus::not_reachable;
    r.message = fmt::format("ptp4l not reachable at {}: {}{}", options_.ptp4l_path,
                            std::strerror(e),
                            e == ENOENT || e == ECONNREFUSED
                                ? " (is ptp4l running, with this uds_address?)"
                            : e == EACCES || e == EPERM ? " (ptp4l's socket needs root)"
                                                        : "");
  }
  return r;
}

SendResult PtpMgmtClient::send_raw(Action action, std::uint16_t management_id,
                                   std::span<const std::uint8_t> data) {
  RequestOptions ro;
  ro.domain = options_.domain;
  ro.source.port_number = static_cast<std::uint16_t>(::getpid());
  std::uint16_t seq = next_sequence_++;
  SendResult r = send_bytes(encode_raw(action, management_id, data, seq, ro));
  r.sequence_id = seq;
  return r;
}

SendResult PtpMgmtClient::send_get(ManagementId id) {
  return send_raw(Action::get, static_cast<std::uint16_t>(id), {});
}

SendResult PtpMgmtClient::send_set(const GrandmasterSettings& settings) {
  auto data = encode_data(settings);
  return send_raw(Action::set, static_cast<std::uint16_t>(ManagementId::grandmaster_settings_np),
                  data);
}

std::optional<std::variant<Message, DecodeError>> PtpMgmtClient::receive() {
  std::uint8_t buf[1500];
  ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), MSG_TRUNC);
  if (n < 0) return std::nullopt;  // EAGAIN (nothing queued), or an error: nothing to report
  if (static_cast<std::size_t>(n) > sizeof(buf)) {
    return std::variant<Message, DecodeError>(
        DecodeError{DecodeErrorCode::bad_length,
                    fmt::format("{}-byte datagram is larger than any management reply", n)});
  }
  return decode(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(n)));
}

Result<Message> PtpMgmtClient::wait_for(std::uint16_t sequence_id, std::uint16_t management_id,
                                        milliseconds timeout) {
  Result<Message> out;
  std::string last_problem;
  const std::int64_t deadline = mono_ms() + timeout.count();
  for (;;) {
    while (auto got = receive()) {
      if (auto* e = std::get_if<DecodeError>(&*got)) {
        last_problem = fmt::format("malformed answer ({}: {})", decode_error_name(e->code),
                                   e->message);
        continue;
      }
      auto& m = std::get<Message>(*got);
      if (m.sequence_id != sequence_id) continue;  // a late answer to an earlier request
      if (auto* es = std::get_if<ManagementErrorStatus>(&m.payload)) {
        out.status = ClientStatus::error_status;
        out.message = es->describe();
        out.error = *es;
        out.value = std::move(m);
        return out;
      }
      if (m.action != Action::response && m.action != Action::acknowledge) {
        last_problem = "answer with an unexpected actionField";
        continue;
      }
      if (m.management_id != management_id) {
        last_problem = fmt::format("answer for {} instead of {}",
                                   management_id_name(m.management_id),
                                   management_id_name(management_id));
        continue;
      }
      out.value = std::move(m);
      return out;
    }
    std::int64_t left = deadline - mono_ms();
    if (left <= 0) break;
    pollfd p{fd_.get(), POLLIN, 0};
    int pr = ::poll(&p, 1, static_cast<int>(left));
    if (pr < 0 && errno != EINTR) break;
  }
  out.status = last_problem.empty() ? ClientStatus::timeout : ClientStatus::bad_reply;
  out.message = fmt::format("ptp4l at {} gave no valid answer for {} within {} ms{}{}",
                            options_.ptp4l_path, management_id_name(management_id),
                            timeout.count(), last_problem.empty() ? "" : ": ", last_problem);
  return out;
}

Result<Message> PtpMgmtClient::request(Action action, std::uint16_t management_id,
                                       std::span<const std::uint8_t> data,
                                       milliseconds timeout) {
  SendResult s = send_raw(action, management_id, data);
  if (!s.ok()) {
    Result<Message> r;
    r.status = s.status;
    r.message = s.message;
    return r;
  }
  return wait_for(s.sequence_id, management_id, timeout);
}

template <typename T>
Result<T> PtpMgmtClient::typed(Result<Message> r) {
  Result<T> out;
  out.status = r.status;
  out.message = std::move(r.message);
  out.error = std::move(r.error);
  if (!out.ok()) return out;
  if (auto* v = std::get_if<T>(&r.value.payload)) {
    out.value = *v;
  } else {
    out.status = ClientStatus::bad_reply;
    out.message = fmt::format("ptp4l's answer for {} carried no dataset",
                              management_id_name(r.value.management_id));
  }
  return out;
}

Result<GrandmasterSettings> PtpMgmtClient::get_grandmaster_settings(milliseconds timeout) {
  return typed<GrandmasterSettings>(request(
      Action::get, static_cast<std::uint16_t>(ManagementId::grandmaster_settings_np), {},
      timeout));
}

Result<GrandmasterSettings> PtpMgmtClient::set_grandmaster_settings(
    const GrandmasterSettings& settings, milliseconds timeout) {
  auto data = encode_data(settings);
  return typed<GrandmasterSettings>(request(
      Action::set, static_cast<std::uint16_t>(ManagementId::grandmaster_settings_np), data,
      timeout));
}

Result<TimeProperties> PtpMgmtClient::get_time_properties(milliseconds timeout) {
  return typed<TimeProperties>(request(
      Action::get, static_cast<std::uint16_t>(ManagementId::time_properties_data_set), {},
      timeout));
}

Result<ParentDataSet> PtpMgmtClient::get_parent_data_set(milliseconds timeout) {
  return typed<ParentDataSet>(request(
      Action::get, static_cast<std::uint16_t>(ManagementId::parent_data_set), {}, timeout));
}

Result<std::vector<PortDataSet>> PtpMgmtClient::get_port_data_sets(milliseconds timeout) {
  constexpr auto id = static_cast<std::uint16_t>(ManagementId::port_data_set);
  Result<std::vector<PortDataSet>> out;
  SendResult s = send_raw(Action::get, id, {});
  if (!s.ok()) {
    out.status = s.status;
    out.message = s.message;
    return out;
  }
  Result<PortDataSet> first = typed<PortDataSet>(wait_for(s.sequence_id, id, timeout));
  if (!first.ok()) {
    out.status = first.status;
    out.message = first.message;
    out.error = first.error;
    return out;
  }
  out.value.push_back(first.value);
  // ptp4l answers for every port in the same pass: the others follow at once.
  for (;;) {
    Result<PortDataSet> more = typed<PortDataSet>(wait_for(s.sequence_id, id, milliseconds(50)));
    if (!more.ok()) break;
    out.value.push_back(more.value);
  }
  return out;
}

}  // namespace nanotime::ptpmgmt
