// nanotime-status: like `chronyc tracking`, for the whole box. Fetches /status from
// phc-pps-sync and gps-sock-bridge, runs `chronyc -c tracking` and `chronyc -c sources`, prints
// one screen (or --json) and exits 0 locked, 1 degraded, 2 failed (status/client/health.hpp).
// The I/O lives here; what it means is decided by pure, unit-tested functions in
// status/client/.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "status/catalog.hpp"
#include "status/client/http_client.hpp"
#include "status/client/json_reader.hpp"
#include "status/client/report.hpp"
#include "util/units.hpp"

extern char** environ;

namespace {

using namespace nanotime::status;

std::int64_t mono_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * nanotime::util::kMsPerS + ts.tv_nsec / nanotime::util::kNsPerMs;
}

// Runs argv (no shell) and returns its stdout if it exits 0 within timeout_ms; else sets `error`.
std::optional<std::string> run_capture(const std::vector<std::string>& argv, int timeout_ms,
                                       std::string& error) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    error = fmt::format("cannot run {}: {}", argv[0], std::strerror(rc));
    return std::nullopt;
  }
  std::string text;
  const std::int64_t deadline = mono_ms() + timeout_ms;
  bool timed_out = false;
  char buf[4096];
  while (true) {
    const std::int64_t left = deadline - mono_ms();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR) break;
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      break;
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    error = fmt::format("{} did not answer within {} ms", argv[0], timeout_ms);
    return std::nullopt;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    error = fmt::format("`{}` failed (is chronyd running?)", fmt::join(argv, " "));
    return std::nullopt;
  }
  return text;
}

std::optional<JsonValue> fetch_status(const std::string& endpoint, int timeout_ms, std::string& error) {
  try {
    HttpResult r = http_get(endpoint, "/status?history=0", timeout_ms);
    if (r.status != 200) {
      error = fmt::format("HTTP status {}", r.status);
      return std::nullopt;
    }
    return parse_json(r.body);
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nanotime-status: is this box's time locked to GNSS? "
               "Exit code 0 locked, 1 degraded, 2 failed."};
  std::string phc_endpoint = fmt::format("127.0.0.1:{}", kPhcPpsSyncPort);
  std::string bridge_endpoint = fmt::format("127.0.0.1:{}", kGpsSockBridgePort);
  bool no_bridge = false;
  std::string chronyc = "chronyc";
  std::string chrony_socket;
  std::string phc_refid = "PHC0";
  std::string pps_refid = "PPS";
  double limit_ns = 50000;
  int timeout_ms = 3000;
  bool json = false;
  app.add_option("--phc", phc_endpoint, "phc-pps-sync status endpoint (host:port or unix:/path)")->capture_default_str();
  app.add_option("--bridge", bridge_endpoint, "gps-sock-bridge status endpoint")->capture_default_str();
  app.add_flag("--no-bridge", no_bridge, "this box runs without gps-sock-bridge");
  app.add_option("--chronyc", chronyc, "chronyc program")->capture_default_str();
  app.add_option("--chrony-socket", chrony_socket, "chronyd command socket (chronyc -h)");
  app.add_option("--phc-refid", phc_refid, "chrony refid of phc-pps-sync's SOCK refclock")->capture_default_str();
  app.add_option("--pps-refid", pps_refid, "chrony refid of the gpsd PPS cross-check (\"\" for none)")->capture_default_str();
  app.add_option("--cross-check-limit-ns", limit_ns, "largest PHC vs PPS disagreement that is fine")
      ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--timeout-ms", timeout_ms, "per request")->capture_default_str()->check(CLI::Range(100, 60000));
  app.add_flag("--json", json, "print one JSON object instead of text");
  CLI11_PARSE(app, argc, argv);

  Report r;
  r.phc_endpoint = phc_endpoint;
  r.phc_status = fetch_status(phc_endpoint, timeout_ms, r.phc_error);
  r.bridge_expected = !no_bridge;
  r.bridge_endpoint = bridge_endpoint;
  if (!no_bridge) r.bridge_status = fetch_status(bridge_endpoint, timeout_ms, r.bridge_error);

  std::vector<std::string> base = {chronyc, "-n", "-c"};
  if (!chrony_socket.empty()) base.insert(base.begin() + 1, {"-h", chrony_socket});
  auto with = [&](const char* cmd) {
    auto v = base;
    v.emplace_back(cmd);
    return v;
  };
  if (auto t = run_capture(with("tracking"), timeout_ms, r.chrony_error)) {
    r.tracking = parse_chronyc_tracking(*t);
    if (!r.tracking) r.chrony_error = "unexpected `chronyc -c tracking` output";
  }
  if (r.tracking) {
    std::string ignored;
    if (auto s = run_capture(with("sources"), timeout_ms, ignored)) r.sources = parse_chronyc_sources(*s);
  }
  r.input.phc_refid = phc_refid;
  r.input.pps_refid = pps_refid;
  r.input.cross_check_limit_s = limit_ns * 1e-9;
  r = make_report(std::move(r));
  const std::string out = json ? render_json(r) : render_text(r);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return r.health.code;
}
