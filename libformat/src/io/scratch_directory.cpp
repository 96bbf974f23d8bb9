#include "ifx/format/io/scratch_directory.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace ifx {

std::filesystem::path default_scratch_root() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? std::filesystem::path(t) : std::filesystem::path("/tmp");
}

namespace fs = std::filesystem;
namespace {

// The lock file sits beside the directory ("<dir>.lock"), so the directory holds only what its
// user puts there (some need it empty). It is made first (mkostemps: a unique name) and locked,
// and only then the directory named after it, so a directory never exists without its lock
// being held, except after its owner died. A sweeper that catches a fresh lock file before its
// owner locks it can only remove that file (there is no directory yet); the owner notices (the
// file has no name any more) and starts again.
fs::path lock_path(const fs::path& dir) { return fs::path(dir.string() + ".lock"); }

// Once per root and process: sweeping on every create() would list $TMPDIR once per shard.
void sweep_once(const fs::path& root) {
  static std::mutex mu;
  static std::set<fs::path> swept;
  std::lock_guard lock(mu);
  if (!swept.insert(root).second) return;
  ScratchDirectory::remove_abandoned(root);
}

}  // namespace

Result<ScratchDirectory> ScratchDirectory::create(const fs::path& root, std::string_view prefix) {
  sweep_once(root);
  auto failed = [&](const char* what) {
    return fail(ErrorCode::io,
                fmt::format("cannot create a scratch directory under {}: {}: {} (is there room? the tools "
                            "take --scratch-dir)",
                            root.string(), what, std::strerror(errno)));
  };
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string tmpl = (root / fmt::format("{}-XXXXXX.lock", prefix)).string();
    const int fd = ::mkostemps(tmpl.data(), 5, O_CLOEXEC);
    if (fd < 0) return failed("its lock file");
    struct stat st {};
    if (::flock(fd, LOCK_EX) != 0 || ::fstat(fd, &st) != 0) {
      ::close(fd);
      return failed("locking it");
    }
    if (st.st_nlink == 0) {  // a sweeper removed it before we locked it: take another name
      ::close(fd);
      continue;
    }
    const fs::path dir = tmpl.substr(0, tmpl.size() - 5);
    if (::mkdir(dir.c_str(), 0700) != 0) {
      const int err = errno;
      ::unlink(tmpl.c_str());
      ::close(fd);
      errno = err;
      if (err == EEXIST) continue;
      return failed("the directory");
    }
    ScratchDirectory d;
    d.path_ = dir;
    d.lock_fd_ = fd;
    return d;
  }
  errno = EEXIST;
  return failed("no free name");
}

std::size_t ScratchDirectory::remove_abandoned(const fs::path& root) {
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with("ifx-") || !name.ends_with(".lock") || !it->is_regular_file(ec)) continue;
    int fd = ::open(it->path().c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    struct stat st {};
    // Nobody holds it: the owner is gone (or has not locked it yet, see above). Still named: not
    // already swept by another process between our listing and our lock.
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::fstat(fd, &st) == 0 && st.st_nlink > 0) {
      const fs::path dir = root / name.substr(0, name.size() - 5);
      std::error_code rm;
      const bool existed = fs::is_directory(fs::symlink_status(dir, rm));
      fs::remove_all(dir, rm);
      if (!rm) {
        ::unlink(it->path().c_str());
        if (existed) ++removed;
      }
    }
    ::close(fd);
  }
  return removed;
}

ScratchDirectory::ScratchDirectory(ScratchDirectory&& other) noexcept
    : path_(std::exchange(other.path_, {})), lock_fd_(std::exchange(other.lock_fd_, -1)) {}

ScratchDirectory& ScratchDirectory::operator=(ScratchDirectory&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
    lock_fd_ = std::exchange(other.lock_fd_, -1);
  }
  return *this;
}

ScratchDirectory::~ScratchDirectory() { remove(); }

void ScratchDirectory::remove() noexcept {
  std::error_code ec;
  if (!path_.empty()) {
    fs::remove_all(path_, ec);
    if (lock_fd_ >= 0) ::unlink(lock_path(path_).c_str());
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);  // the lock goes last: a sweeper meanwhile sees it held
  lock_fd_ = -1;
}

}  // namespace ifx
