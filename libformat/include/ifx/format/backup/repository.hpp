// A snapshot repository (docs/FORMATS.md §3.12): a directory of complete portable backups, one
// per run, each readable on its own, and the little state the tools need beside them.
//
//   REPO/<base>/            a snapshot: a complete portable backup directory (its manifest is
//                           `<base>.manifest`); copy it out alone and it is an ordinary backup
//   REPO/<base>.pending/    a snapshot being written; renamed to REPO/<base>/ once complete
//   REPO/latest             symlink to the newest complete snapshot, replaced atomically
//   REPO/lock               held (flock) by the run that writes or prunes the repository
//   REPO/<base>.removing/   a snapshot being removed (renamed first, so it is never half a
//                           snapshot under its name); removed again by the next prune
//
// Snapshots share unchanged shard archives by hard link: removing one snapshot directory never
// takes a file away from another.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/format/backup/manifest.hpp"
#include "ifx/format/error.hpp"
#include "ifx/format/meta/meta_store.hpp"

namespace ifx {

struct Snapshot {
  std::string base;           // 20060102T150405Z
  std::filesystem::path dir;  // REPO/<base>
  std::int64_t time_ns = 0;   // the base name's time
};

// One shard archive of a complete snapshot, as its manifest records it.
struct SnapshotArchive {
  Snapshot snapshot;
  PortableManifest::ShardFileEntry entry;  // size, and extra keys such as "sha256"
  std::filesystem::path path;              // the archive file
};

class Repository {
 public:
  // A directory is a repository when it holds `lock`, `latest` or a snapshot directory, and no
  // backup files of its own. `create`: make the directory (0700) when it does not exist.
  static Result<Repository> open(const std::filesystem::path& dir, bool create);
  static bool is_repository(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  // Complete snapshots, oldest first.
  const std::vector<Snapshot>& snapshots() const { return snapshots_; }
  // Bases of snapshots being written (`<base>.pending/`), oldest first.
  const std::vector<std::string>& pending() const { return pending_; }
  std::filesystem::path pending_dir(std::string_view base) const;
  // A base for a new snapshot: `portable_base_name(now)`, or the next second while that name is
  // taken by a snapshot or a pending one (two runs within one second).
  std::string new_base(std::int64_t now_ns) const;

  // The manifest of a complete snapshot (read once, then kept).
  Result<const PortableManifest*> manifest(const Snapshot& snapshot);
  // The meta store a complete snapshot holds (its `.meta`, decoded once, then kept).
  Result<const meta::MetaData*> meta_store(const Snapshot& snapshot);
  // The newest complete snapshot whose manifest lists an archive of shard `id` of `db`/`rp`
  // compressed as `compression`.
  Result<std::optional<SnapshotArchive>> newest_archive_of(std::string_view db, std::string_view rp, std::uint64_t id,
                                                           ArchiveCompression compression);

  // Renames `<base>.pending/` to `<base>/`, fsyncs the repository, and points `latest` at it
  // (a new symlink renamed over the old one). Returns the snapshot.
  Result<Snapshot> publish(std::string_view base);

  // Removes a complete snapshot: renamed to `<base>.removing/` (fsynced), then deleted. Files it
  // shares with other snapshots by hard link stay theirs. The newest snapshot (`latest`) is
  // refused ("invalid-argument").
  Result<void> remove(std::string_view base);
  // `<base>.removing/` directories a killed removal left, and deleting them.
  const std::vector<std::string>& removing() const { return removing_; }
  void remove_leftovers();

 private:
  Repository() = default;
  void rescan();
  std::filesystem::path dir_;
  std::vector<Snapshot> snapshots_;
  std::vector<std::string> pending_;
  std::vector<std::string> removing_;
  std::map<std::string, PortableManifest> manifests_;
  std::map<std::string, meta::MetaData> metas_;
};

// A regular file of a snapshot's directory, and the inode behind the name: an archive shared by
// hard link is one inode under a name in each snapshot.
struct SnapshotFile {
  std::size_t snapshot = 0;  // index into the snapshots listed
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t size = 0;
  std::uint64_t links = 0;  // st_nlink: every name the inode has, in the repository or outside it
};
// The files directly inside each snapshot's directory (snapshots hold no subdirectories).
std::vector<SnapshotFile> snapshot_files(const std::vector<Snapshot>& snapshots);

// What snapshots take: `logical_bytes` every file of every snapshot (what copying each out on
// its own takes), `on_disk_bytes` each inode once (what the file system holds for them).
struct RepositoryUsage {
  std::uint64_t snapshots = 0;
  std::uint64_t logical_bytes = 0;
  std::uint64_t on_disk_bytes = 0;
};
RepositoryUsage repository_usage(const std::vector<Snapshot>& snapshots);

// The repository's lock: one writer or pruner at a time. flock() on REPO/lock, so the kernel
// frees it when its holder dies; the file also names the holder (pid, host, what it runs, since
// when) for the message a waiting run prints.
class RepositoryLock {
 public:
  // Waits up to `wait` for the lock; then "repository-locked", naming the holder.
  static Result<RepositoryLock> acquire(const std::filesystem::path& repository_dir, std::string_view holder,
                                        std::chrono::milliseconds wait);
  RepositoryLock(RepositoryLock&& other) noexcept;
  RepositoryLock& operator=(RepositoryLock&&) = delete;
  RepositoryLock(const RepositoryLock&) = delete;
  ~RepositoryLock();

  // The holder the lock file named when this run took it over from a process that is gone
  // ("" when the file was empty or its holder ended cleanly).
  const std::string& previous_holder() const { return previous_holder_; }

 private:
  RepositoryLock() = default;
  int fd_ = -1;
  std::string previous_holder_;
};

}  // namespace ifx
