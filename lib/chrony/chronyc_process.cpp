#include "chrony/chronyc_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <system_error>

extern char** environ;

namespace nanotime::chrony {
namespace {

struct Pipe {
  util::Fd read, write;
};

Pipe make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  return {util::Fd(p[0]), util::Fd(p[1])};
}

class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&fa_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &fa_; }

 private:
  posix_spawn_file_actions_t fa_;
};

class SpawnAttr {
 public:
  SpawnAttr() {
    posix_spawnattr_init(&attr_);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&attr_, &none);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr_); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
  posix_spawnattr_t* get() { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

// The program's path, found as execvp would find it, or an exception. Checked here rather than
// left to posix_spawnp: under qemu's user-mode emulation (the cross-built packages' unit tests)
// a failed exec in the child is not reported back, and the caller would see a silent chronyc.
std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) != 0) {
      throw std::system_error(errno, std::generic_category(), "cannot run " + name);
    }
    return name;
  }
  const char* env = std::getenv("PATH");
  std::string_view path = env != nullptr && *env != '\0' ? env : "/usr/local/bin:/usr/bin:/bin";
  int first_error = ENOENT;
  while (true) {
    const auto colon = path.find(':');
    std::string dir(path.substr(0, colon));
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (errno == EACCES) first_error = EACCES;
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  throw std::system_error(first_error, std::generic_category(), "cannot run " + name);
}

}  // namespace

ChronycProcess::ChronycProcess(const std::vector<std::string>& argv, std::string_view input) {
  if (argv.empty()) throw std::system_error(EINVAL, std::generic_category(), "no program");
  const std::string program = resolve_program(argv[0]);
  Pipe in = make_pipe();
  Pipe out = make_pipe();
  // The whole input goes in before the child runs: a few bytes, far below PIPE_BUF.
  if (::write(in.write.get(), input.data(), input.size()) != static_cast<ssize_t>(input.size())) {
    throw std::system_error(errno, std::generic_category(), "writing chronyc's commands");
  }
  in.write.reset();
  FileActions fa;
  posix_spawn_file_actions_adddup2(fa.get(), in.read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(fa.get(), out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_addopen(fa.get(), STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // chronyc starts with default signals: the daemon ignores SIGPIPE (an ignored signal stays
  // ignored across exec) and a daemon may block signals it reads another way.
  SpawnAttr attr;
  const int rc = ::posix_spawn(&pid_, program.c_str(), fa.get(), attr.get(), args.data(), environ);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "cannot run " + argv[0]);
  ::fcntl(out.read.get(), F_SETFL, ::fcntl(out.read.get(), F_GETFL) | O_NONBLOCK);
  out_ = std::move(out.read);
}

ChronycProcess::~ChronycProcess() {
  if (pid_ <= 0) return;
  // Done or not, it goes: an answer after the time limit is not wanted.
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == 0) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

Child::Read ChronycProcess::read_some(std::string& out) {
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(out_.get(), buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return Read::eof;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return Read::more;
    return Read::eof;  // a read error ends the query like an EOF: what came so far is judged
  }
}

std::unique_ptr<Child> spawn_chronyc(const std::vector<std::string>& argv, std::string_view input) {
  return std::make_unique<ChronycProcess>(argv, input);
}

}  // namespace nanotime::chrony
