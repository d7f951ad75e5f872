// NTP SHM refclock writer: see shm_writer.hpp.
#include "refclock/shm_writer.hpp"

#include <fmt/format.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "refclock/sock_sample.hpp"

namespace nanotime::refclock {

namespace {

std::string key_name(key_t key) {
  return key == IPC_PRIVATE ? std::string("IPC_PRIVATE") : fmt::format("{:#x}", key);
}

[[noreturn]] void fail(key_t key, const std::string& what) {
  throw std::runtime_error(fmt::format("NTP SHM segment {}: {}", key_name(key), what));
}

}  // namespace

ShmFields make_shm_fields(const ShmSample& sample, int precision) {
  const SplitTime c = split_system_ns(sample.reference_ns);
  const SplitTime r = split_system_ns(sample.system_ns);
  ShmFields f{};
  f.clock_sec = static_cast<time_t>(c.sec);
  f.clock_usec = static_cast<int>(c.usec);
  f.clock_nsec = static_cast<unsigned>(c.usec * 1000 + c.sub_us_ns);
  f.receive_sec = static_cast<time_t>(r.sec);
  f.receive_usec = static_cast<int>(r.usec);
  f.receive_nsec = static_cast<unsigned>(r.usec * 1000 + r.sub_us_ns);
  f.leap = static_cast<int>(sample.leap);
  f.precision = precision;
  return f;
}

void ShmTimeView::store(const ShmFields& f) {
  seg_->mode = 1;
  seg_->clockTimeStampSec = f.clock_sec;
  seg_->clockTimeStampUSec = f.clock_usec;
  seg_->clockTimeStampNSec = f.clock_nsec;
  seg_->receiveTimeStampSec = f.receive_sec;
  seg_->receiveTimeStampUSec = f.receive_usec;
  seg_->receiveTimeStampNSec = f.receive_nsec;
  seg_->leap = f.leap;
  seg_->precision = f.precision;
  seg_->nsamples = 0;
}

ShmSegment::ShmSegment(key_t key, int perm) : key_(key) {
  if ((perm & ~0777) != 0) fail(key, fmt::format("permissions {:#o} are not 0..0777", perm));
  if (key != IPC_PRIVATE) id_ = ::shmget(key, sizeof(ShmTime), 0);
  if (key == IPC_PRIVATE || (id_ < 0 && errno == ENOENT)) {
    id_ = ::shmget(key, sizeof(ShmTime), IPC_CREAT | IPC_EXCL | perm);
    created_ = id_ >= 0;
    if (id_ < 0 && errno == EEXIST) id_ = ::shmget(key, sizeof(ShmTime), 0);  // lost a race
  }
  if (id_ < 0) {
    const int e = errno;
    if (e == EINVAL) {
      fail(key, fmt::format("exists with a size other than {} bytes (a writer or reader with "
                            "another time_t size? remove it with `ipcrm -M {}`)",
                            sizeof(ShmTime), key_name(key)));
    }
    if (e == EACCES) {
      fail(key, fmt::format("permission denied (created by another user with a stricter mode; "
                            "chrony: refclock SHM unit:perm={:#o})",
                            perm));
    }
    fail(key, fmt::format("shmget failed: {}", std::strerror(e)));
  }
  shmid_ds ds{};
  if (::shmctl(id_, IPC_STAT, &ds) != 0)
    fail(key, fmt::format("shmctl IPC_STAT: {}", std::strerror(errno)));
  if (ds.shm_segsz != sizeof(ShmTime)) {
    fail(key, fmt::format("has {} bytes, expected {} (struct shmTime of this platform)",
                          ds.shm_segsz, sizeof(ShmTime)));
  }
  const int mode = static_cast<int>(ds.shm_perm.mode & 0777);
  if (mode != perm) {
    fail(key, fmt::format("has mode {:#o}, expected {:#o} (chrony: refclock SHM unit:perm=...; "
                          "remove it with `ipcrm -M {}` if stale)",
                          mode, perm, key_name(key)));
  }
  void* p = ::shmat(id_, nullptr, 0);
  if (p == reinterpret_cast<void*>(-1)) fail(key, fmt::format("shmat: {}", std::strerror(errno)));
  seg_ = static_cast<ShmTime*>(p);
}

ShmSegment::ShmSegment(ShmSegment&& o) noexcept
    : key_(o.key_),
      id_(std::exchange(o.id_, -1)),
      seg_(std::exchange(o.seg_, nullptr)),
      created_(o.created_) {}

ShmSegment::~ShmSegment() {
  if (seg_ != nullptr) ::shmdt(seg_);
}

void ShmSegment::remove() {
  if (id_ >= 0) ::shmctl(id_, IPC_RMID, nullptr);
}

ShmWriter::ShmWriter(ShmSegment segment, int precision)
    : segment_(std::move(segment)), precision_(precision) {}

ShmWriter::ShmWriter(int unit, int perm, int precision)
    : ShmWriter(ShmSegment(shm_key_for_unit(unit), perm), precision) {}

void ShmWriter::write(const ShmSample& sample) {
  ShmTimeView view(segment_.get());
  write_mode1(view, make_shm_fields(sample, precision_));
  ++written_;
}

}  // namespace nanotime::refclock
