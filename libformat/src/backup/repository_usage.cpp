#include "ifx/format/backup/repository_usage.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <utility>

namespace ifx {

std::vector<SnapshotFile> snapshot_files(const Snapshot& snapshot) {
  std::vector<SnapshotFile> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(snapshot.dir, ec)) {
    struct stat st {};
    if (::lstat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    out.push_back({st.st_dev, st.st_ino, static_cast<std::uint64_t>(st.st_size), st.st_nlink});
  }
  return out;
}

RepositoryUsage repository_usage(const std::vector<Snapshot>& snapshots) {
  RepositoryUsage usage;
  std::set<std::pair<dev_t, ino_t>> seen;
  for (const auto& s : snapshots) {
    SnapshotUsage one;
    for (const auto& f : snapshot_files(s)) {
      one.logical_bytes += f.size;
      if (seen.insert({f.device, f.inode}).second) one.added_bytes += f.size;
    }
    usage.logical_bytes += one.logical_bytes;
    usage.on_disk_bytes += one.added_bytes;
    usage.snapshots.push_back(one);
  }
  return usage;
}

}  // namespace ifx
