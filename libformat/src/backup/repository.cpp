#include "ifx/format/backup/repository.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/io/atomic_file.hpp"
#include "ifx/format/meta/meta_envelope.hpp"

namespace ifx {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kLockFile = "lock";
constexpr std::string_view kLatest = "latest";
constexpr std::string_view kPendingDirSuffix = ".pending";
constexpr std::string_view kRemovingDirSuffix = ".removing";

std::unexpected<Error> io_error(const std::filesystem::path& path, std::string message) {
  return fail_in_file(ErrorCode::io, path.string(), std::move(message));
}

bool present(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

// `name` is exactly a base (`20060102T150405Z`).
bool is_base(std::string_view name) { return portable_base_of(name) == name; }

bool holds_backup_files(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (e.is_regular_file(ec) && (is_manifest_file(n) || parse_legacy_meta_file(n))) return true;
  }
  return false;
}

}  // namespace

bool Repository::is_repository(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  if (present(dir / kLockFile) || present(dir / kLatest)) return true;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (e.is_directory(ec) && is_base(n) && present(e.path() / portable_manifest_file(n))) return true;
  }
  return false;
}

Result<Repository> Repository::open(const fs::path& dir, bool create) {
  std::error_code ec;
  if (!present(dir)) {
    if (!create) return io_error(dir, fmt::format("{} does not exist (expected a snapshot repository)", dir.string()));
    fs::create_directories(dir, ec);
    if (ec) return io_error(dir, fmt::format("cannot create the repository {}: {}", dir.string(), ec.message()));
    ::chmod(dir.c_str(), 0700);  // as influxd's backup directories: the meta holds password hashes
    const fs::path parent = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
    if (auto r = fsync_dir(parent); !r) return std::unexpected(r.error());
  } else if (!fs::is_directory(dir, ec)) {
    return io_error(dir, fmt::format("{} exists and is not a directory", dir.string()));
  }
  if (holds_backup_files(dir))
    return fail(ErrorCode::usage,
                fmt::format("{} holds a backup of its own (a manifest or meta.NN file), so it is not a snapshot "
                            "repository: give an empty or new directory to --repo",
                            dir.string()));
  Repository r;
  r.dir_ = dir;
  r.rescan();
  return r;
}

void Repository::rescan() {
  snapshots_.clear();
  pending_.clear();
  removing_.clear();
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const std::string n = e.path().filename().string();
    if (!e.is_directory(ec) || e.is_symlink(ec)) continue;
    if (is_base(n) && present(e.path() / portable_manifest_file(n))) {
      snapshots_.push_back(Snapshot{n, e.path(), *parse_portable_base_time(n)});
    } else if (n.ends_with(kPendingDirSuffix)) {
      const std::string base = n.substr(0, n.size() - kPendingDirSuffix.size());
      if (is_base(base)) pending_.push_back(base);
    } else if (n.ends_with(kRemovingDirSuffix)) {
      const std::string base = n.substr(0, n.size() - kRemovingDirSuffix.size());
      if (is_base(base)) removing_.push_back(base);
    }
  }
  std::sort(snapshots_.begin(), snapshots_.end(), [](const auto& a, const auto& b) { return a.base < b.base; });
  std::sort(pending_.begin(), pending_.end());
  std::sort(removing_.begin(), removing_.end());
}

fs::path Repository::pending_dir(std::string_view base) const {
  return dir_ / fmt::format("{}{}", base, kPendingDirSuffix);
}

std::string Repository::new_base(std::int64_t now_ns) const {
  for (;; now_ns += 1'000'000'000) {
    std::string base = portable_base_name(now_ns);
    if (!present(dir_ / base) && !present(pending_dir(base))) return base;
  }
}

Result<const PortableManifest*> Repository::manifest(const Snapshot& snapshot) {
  if (auto it = manifests_.find(snapshot.base); it != manifests_.end()) return &it->second;
  auto m = read_manifest_file(snapshot.dir / portable_manifest_file(snapshot.base));
  if (!m) return std::unexpected(std::move(m.error()));
  return &manifests_.emplace(snapshot.base, std::move(*m)).first->second;
}

Result<const meta::MetaData*> Repository::meta_store(const Snapshot& snapshot) {
  if (auto it = metas_.find(snapshot.base); it != metas_.end()) return &it->second;
  auto m = manifest(snapshot);
  if (!m) return std::unexpected(m.error());
  const fs::path path = snapshot.dir / (*m)->meta.file_name;
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return io_error(path, fmt::format("cannot read {}", path.string()));
  auto blob = meta::parse_portable_meta(bytes);
  if (!blob) return std::unexpected(std::move(blob.error()).in_file(path.string()));
  auto data = meta::decode_meta_data(*blob);
  if (!data) return std::unexpected(std::move(data.error()).in_file(path.string()));
  return &metas_.emplace(snapshot.base, std::move(*data)).first->second;
}

Result<std::optional<SnapshotArchive>> Repository::newest_archive_of(std::string_view db, std::string_view rp,
                                                                     std::uint64_t id, ArchiveCompression compression) {
  for (auto s = snapshots_.rbegin(); s != snapshots_.rend(); ++s) {
    auto m = manifest(*s);
    if (!m) return std::unexpected(std::move(m.error()));
    for (const auto& f : (*m)->files) {
      if (f.database != db || f.policy != rp || f.shard_id != id) continue;
      auto name = parse_portable_file(f.file_name);
      if (!name || name->kind != PortableFileKind::shard_archive || name->compression != compression) continue;
      if (!present(s->dir / f.file_name)) continue;  // a damaged snapshot offers nothing
      return std::optional(SnapshotArchive{*s, f, s->dir / f.file_name});
    }
  }
  return std::optional<SnapshotArchive>();
}

Result<Snapshot> Repository::publish(std::string_view base) {
  const fs::path from = pending_dir(base);
  const fs::path to = dir_ / std::string(base);
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0)
    return io_error(to, fmt::format("cannot rename {} to {}: {}", from.string(), to.string(), std::strerror(errno)));
  if (auto r = fsync_dir(dir_); !r) return std::unexpected(r.error());
  // `latest` is replaced by a rename, never removed first: a reader always finds one.
  const fs::path link_tmp = dir_ / fmt::format("{}.{}{}", kLatest, ::getpid(), kPendingSuffix);
  std::error_code ec;
  fs::remove(link_tmp, ec);
  if (::symlink(std::string(base).c_str(), link_tmp.c_str()) != 0)
    return io_error(link_tmp, fmt::format("cannot create {}: {}", link_tmp.string(), std::strerror(errno)));
  if (::rename(link_tmp.c_str(), (dir_ / kLatest).c_str()) != 0) {
    const int err = errno;
    fs::remove(link_tmp, ec);
    return io_error(dir_ / kLatest,
                    fmt::format("cannot point {} at {}: {}", (dir_ / kLatest).string(), base, std::strerror(err)));
  }
  if (auto r = fsync_dir(dir_); !r) return std::unexpected(r.error());
  rescan();
  return Snapshot{std::string(base), to, *parse_portable_base_time(base)};
}

Result<void> Repository::remove(std::string_view base) {
  if (!snapshots_.empty() && snapshots_.back().base == base)
    return fail(ErrorCode::invalid_argument,
                fmt::format("{} is the newest snapshot of {} (latest): it is never removed", base, dir_.string()));
  const fs::path from = dir_ / std::string(base);
  const fs::path to = dir_ / fmt::format("{}{}", base, kRemovingDirSuffix);
  if (::rename(from.c_str(), to.c_str()) != 0)
    return io_error(from, fmt::format("cannot rename {} to {}: {}", from.string(), to.string(), std::strerror(errno)));
  if (auto r = fsync_dir(dir_); !r) return std::unexpected(r.error());
  std::error_code ec;
  fs::remove_all(to, ec);
  if (ec) return io_error(to, fmt::format("cannot remove {}: {}", to.string(), ec.message()));
  rescan();
  return {};
}

void Repository::remove_leftovers() {
  for (const auto& base : removing_) {
    std::error_code ec;
    fs::remove_all(dir_ / fmt::format("{}{}", base, kRemovingDirSuffix), ec);
  }
  rescan();
}

// ---- what snapshots take ---------------------------------------------------------------------

std::vector<SnapshotFile> snapshot_files(const std::vector<Snapshot>& snapshots) {
  std::vector<SnapshotFile> files;
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(snapshots[i].dir, ec)) {
      struct stat st {};
      if (::lstat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      files.push_back({i, static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                       static_cast<std::uint64_t>(st.st_size), static_cast<std::uint64_t>(st.st_nlink)});
    }
  }
  return files;
}

RepositoryUsage repository_usage(const std::vector<Snapshot>& snapshots) {
  RepositoryUsage usage;
  usage.snapshots = snapshots.size();
  std::set<std::pair<std::uint64_t, std::uint64_t>> counted;
  for (const auto& f : snapshot_files(snapshots)) {
    usage.logical_bytes += f.size;
    if (counted.insert({f.device, f.inode}).second) usage.on_disk_bytes += f.size;
  }
  return usage;
}

// ---- the lock ------------------------------------------------------------------------------------

namespace {

std::string read_holder(int fd) {
  std::string text(4096, '\0');
  const ssize_t n = ::pread(fd, text.data(), text.size(), 0);
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  return text;
}

}  // namespace

Result<RepositoryLock> RepositoryLock::acquire(const fs::path& repository_dir, std::string_view holder,
                                               std::chrono::milliseconds wait) {
  const fs::path path = repository_dir / kLockFile;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(path, fmt::format("cannot open the lock {}: {}", path.string(), std::strerror(errno)));
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      const int err = errno;
      ::close(fd);
      return io_error(path, fmt::format("cannot lock {}: {}", path.string(), std::strerror(err)));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      const std::string other = read_holder(fd);
      ::close(fd);
      auto e = fail(ErrorCode::repository_locked,
                    fmt::format("the repository {} is in use by {}; waited {} s (--lock-wait S waits longer)",
                                repository_dir.string(), other.empty() ? std::string("another run") : other,
                                std::chrono::duration_cast<std::chrono::seconds>(wait).count()));
      e.error().file = path.string();
      return e;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  RepositoryLock lock;
  lock.fd_ = fd;
  // A holder that ends cleanly empties the file; text left in it names one that died.
  lock.previous_holder_ = read_holder(fd);
  const std::string line = std::string(holder) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size()))
    return io_error(path, fmt::format("cannot write the lock {}: {}", path.string(), std::strerror(errno)));
  return lock;
}

RepositoryLock::RepositoryLock(RepositoryLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), previous_holder_(std::move(other.previous_holder_)) {}

RepositoryLock::~RepositoryLock() {
  if (fd_ < 0) return;
  if (::ftruncate(fd_, 0) != 0) {
    // The kernel frees the lock anyway; a stale name in the file only makes a later message longer.
  }
  ::close(fd_);  // releases the flock
}

}  // namespace ifx
