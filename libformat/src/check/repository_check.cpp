// check_repository: each complete snapshot through check_backup with one ReadOnce, so an archive
// that several snapshots hard-link is hashed and checked once; then `latest`.
#include "ifx/format/check/repository_check.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "ifx/format/check/read_once.hpp"

namespace ifx::check {
namespace fs = std::filesystem;

bool RepositoryCheckReport::valid() const {
  return defects.empty() &&
         std::all_of(snapshots.begin(), snapshots.end(), [](const SnapshotCheck& s) { return s.report.valid(); });
}

bool RepositoryCheckReport::incomplete() const {
  return std::any_of(defects.begin(), defects.end(), [](const Error& e) { return e.code == ErrorCode::io; }) ||
         std::any_of(snapshots.begin(), snapshots.end(), [](const SnapshotCheck& s) { return s.report.incomplete(); });
}

Checked RepositoryCheckReport::checked() const {
  Checked sum;
  for (const auto& s : snapshots) sum += s.report.checked;
  return sum;
}

std::size_t RepositoryCheckReport::defect_count() const {
  std::size_t n = defects.size();
  for (const auto& s : snapshots) n += s.report.defects.size();
  return n;
}

namespace {

Error latest_invalid(std::string message) { return Error{ErrorCode::latest_invalid, std::move(message), "latest"}; }

// `latest` must name the newest complete snapshot. Naming an older complete one is what a run
// killed between publishing and repointing leaves (the next ifx-backup or ifx-prune repoints
// it): a note, since every snapshot it could name is sound.
void check_latest(const Repository& repo, RepositoryCheckReport& report) {
  const auto& snapshots = repo.snapshots();
  const auto target = repo.latest_target();
  if (snapshots.empty()) {
    report.defects.push_back(
        latest_invalid(fmt::format("{} holds no complete snapshot: nothing to restore", repo.dir().string())));
    return;
  }
  const std::string& newest = snapshots.back().base;
  if (!target) {
    report.defects.push_back(
        latest_invalid(fmt::format("{}/latest is missing or not a symlink; expected a link to the newest snapshot {}",
                                   repo.dir().string(), newest)));
    return;
  }
  if (*target == newest) return;
  const bool names_snapshot = std::any_of(snapshots.begin(), snapshots.end(),
                                          [&](const Snapshot& s) { return s.base == *target; });
  if (!names_snapshot) {
    report.defects.push_back(latest_invalid(fmt::format(
        "{}/latest points at {}, which is no complete snapshot; expected {}", repo.dir().string(), *target, newest)));
    return;
  }
  report.notes.push_back(
      fmt::format("latest points at {}, not at the newest snapshot {} (a run was interrupted after publishing it; "
                  "the next ifx-backup or ifx-prune repoints it)",
                  *target, newest));
}

}  // namespace

Result<RepositoryCheckReport> check_repository(const RepositoryCheckOptions& options) {
  auto repo = Repository::open(options.repository_dir, false);
  if (!repo) return std::unexpected(repo.error());
  RepositoryCheckReport report;
  report.options = options;
  for (const auto& base : repo->pending())
    report.notes.push_back(
        fmt::format("{}.pending is a snapshot being written, or an interrupted one "
                    "(ifx-backup --resume continues it): not checked",
                    base));
  for (const auto& base : repo->removing())
    report.notes.push_back(
        fmt::format("{}.removing is a snapshot an interrupted ifx-prune was removing "
                    "(the next prune finishes): not checked",
                    base));
  check_latest(*repo, report);

  std::vector<Snapshot> todo = repo->snapshots();
  if (options.latest_only && !todo.empty()) todo.erase(todo.begin(), todo.end() - 1);
  ReadOnce read_once;
  for (std::size_t i = 0; i < todo.size(); ++i) {
    BackupCheckOptions o = options.backup;
    o.backup_dir = todo[i].dir;
    o.read_once = &read_once;
    if (i + 1 != todo.size()) {  // currency questions are for the newest snapshot
      o.max_age_ns.reset();
      o.expect_databases.clear();
    }
    auto checked = check_backup(o);
    if (checked) {
      report.snapshots.push_back({todo[i], std::move(*checked)});
      continue;
    }
    if (checked.error().code == ErrorCode::usage) return std::unexpected(checked.error());
    std::error_code ec;
    if (!fs::exists(todo[i].dir, ec)) {  // a prune running beside us removed it
      report.notes.push_back(
          fmt::format("{} was removed while the check ran (by ifx-prune): not checked", todo[i].base));
      continue;
    }
    Error e = std::move(checked.error());
    e.file = todo[i].base;
    report.defects.push_back(std::move(e));
  }
  report.reads_skipped = read_once.reads_skipped();
  report.bytes_skipped = read_once.bytes_skipped();
  return report;
}

}  // namespace ifx::check
