// ifx-prune's operation: lock, decide with the retention rules, count what each removal frees
// (by inode: a file still linked from a kept snapshot frees nothing), remove.
#include "ifx-prune/prune.hpp"

#include <unistd.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "ifx/format/backup/repository.hpp"
#include "ifx/format/text/rfc3339.hpp"

namespace ifx::prune {
namespace fs = std::filesystem;

std::size_t Report::removed() const {
  return static_cast<std::size_t>(std::count_if(snapshots.begin(), snapshots.end(), [](auto& s) { return !s.keep; }));
}

namespace {

struct FileOnDisk {
  std::uint64_t size = 0;
  std::uint64_t links = 0;  // st_nlink
  std::uint64_t in_kept = 0;
  std::map<std::size_t, std::uint64_t> in_removed;  // snapshot index → names it has for the file
};

// Bytes each removed snapshot frees: its files that no kept snapshot links and that have no name
// outside the removed snapshots (a file shared by two removed snapshots is counted once, at the
// first).
void count_freed(const std::vector<Snapshot>& snapshots, std::vector<SnapshotOutcome>& out) {
  std::map<std::pair<std::uint64_t, std::uint64_t>, FileOnDisk> files;
  for (const SnapshotFile& s : snapshot_files(snapshots)) {
    FileOnDisk& f = files[{s.device, s.inode}];
    f.size = s.size;
    f.links = s.links;
    if (out[s.snapshot].keep) ++f.in_kept;
    else ++f.in_removed[s.snapshot];
  }
  for (const auto& [id, f] : files) {
    std::uint64_t removed_names = 0;
    for (const auto& [i, n] : f.in_removed) removed_names += n;
    if (f.in_kept || f.in_removed.empty() || removed_names != f.links) continue;
    out[f.in_removed.begin()->first].freed_bytes += f.size;
  }
}

std::int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string lock_holder() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("ifx-prune (pid {} on {}, since {})", ::getpid(), host,
                     text::format_rfc3339_nano(wall_clock_ns()));
}

}  // namespace

Result<Report> run(const Options& o) {
  auto lock = RepositoryLock::acquire(o.repo, lock_holder(), o.lock_wait);
  if (!lock) return std::unexpected(lock.error());
  auto repo = Repository::open(o.repo, false);
  if (!repo) return std::unexpected(repo.error());
  Report report;
  report.options = o;
  if (!lock->previous_holder().empty())
    report.notes.push_back(fmt::format("took over the repository's lock from {}, which ended without releasing it",
                                       lock->previous_holder()));
  if (!repo->removing().empty() && !o.dry_run) {
    report.notes.push_back(
        fmt::format("finished removing {} snapshot(s) an interrupted prune left", repo->removing().size()));
    repo->remove_leftovers();
  }
  if (!o.policy.any())
    report.notes.push_back("no --keep-* rule given: every snapshot is kept (give at least one rule to remove any)");

  const std::vector<Snapshot> snapshots = repo->snapshots();
  std::vector<std::int64_t> times;
  for (const auto& s : snapshots) times.push_back(s.time_ns);
  auto decisions = apply_retention(times, o.policy, o.now_ns.value_or(wall_clock_ns()));
  if (!decisions) return std::unexpected(decisions.error());
  for (std::size_t i = 0; i < snapshots.size(); ++i)
    report.snapshots.push_back(
        {snapshots[i].base, snapshots[i].time_ns, (*decisions)[i].keep, (*decisions)[i].reasons, 0});
  count_freed(snapshots, report.snapshots);
  for (const auto& s : report.snapshots) report.freed_bytes += s.freed_bytes;
  if (o.dry_run) return report;
  for (const auto& s : report.snapshots) {
    if (s.keep) continue;
    if (auto r = repo->remove(s.base); !r) return std::unexpected(r.error());
  }
  return report;
}

}  // namespace ifx::prune
