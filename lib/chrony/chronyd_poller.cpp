#include "chrony/chronyd_poller.hpp"

#include <exception>

#include <fmt/format.h>

#include "log/log.hpp"

namespace nanotime::chrony {

std::vector<std::string> chronyc_argv(const PollerOptions& o) {
  std::vector<std::string> argv = {o.chronyc, "-c", "-n"};
  if (!o.command_socket.empty()) {
    argv.emplace_back("-h");
    argv.push_back(o.command_socket);
  }
  return argv;
}

ChronydPoller::ChronydPoller(PollerOptions options, std::int64_t now_ns, OnView on_view,
                             Spawn spawn, LogFn log)
    : options_(std::move(options)), on_view_(std::move(on_view)),
      spawn_(spawn ? std::move(spawn) : Spawn(spawn_chronyc)),
      log_(log ? std::move(log) : LogFn([](const std::string& s) { log::warning("{}", s); })),
      schedule_(now_ns, options_.interval_ns, options_.timeout_ns),
      reach_log_(options_.log_every_ns) {}

void ChronydPoller::on_due(std::int64_t now_ns) {
  if (schedule_.timed_out(now_ns)) {
    finish(now_ns, fmt::format("chronyc did not finish within {} ms",
                               options_.timeout_ns / 1'000'000));
  }
  if (schedule_.start_due(now_ns)) start(now_ns);
}

void ChronydPoller::start(std::int64_t now_ns) {
  output_.clear();
  try {
    child_ = spawn_(chronyc_argv(options_), kQueryCommands);
  } catch (const std::exception& e) {
    finish(now_ns, e.what());
  }
}

void ChronydPoller::on_readable(std::int64_t now_ns) {
  if (!child_) return;
  if (child_->read_some(output_) == Child::Read::more) return;
  finish(now_ns, fmt::format("no answer to `{}` (is chronyd running?)",
                             fmt::join(chronyc_argv(options_), " ")));
}

void ChronydPoller::finish(std::int64_t now_ns, const std::string& why_if_unreachable) {
  child_.reset();  // kills and reaps a chronyc that is still running
  schedule_.finished();
  ChronydView view = view_from_output(output_, options_.phc_refid);
  output_.clear();
  if (auto line = reach_log_.on_result(view.reachable, now_ns, why_if_unreachable)) log_(*line);
  on_view_(view);
}

}  // namespace nanotime::chrony
