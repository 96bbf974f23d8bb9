// What CI expects of a backup beyond being intact: that it is recent (--max-age) and that the
// databases it must hold are there with data (--expect-db).
#include <chrono>

#include <fmt/format.h>
#include <sys/stat.h>

#include "ifx/format/check/backup_check.hpp"
#include "ifx/format/meta/meta_store.hpp"
#include "ifx/format/text/go_duration.hpp"
#include "ifx/format/text/rfc3339.hpp"

namespace ifx::check {
namespace {

std::optional<std::int64_t> mtime_ns(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec;
}

// The newest backup run in the directory and the file that dates it: a portable manifest's base
// name is its UTC creation time (docs/FORMATS.md §3.1); legacy files carry no time, so meta.NN's
// modification time stands for it (open_backup_set's `created_ns`).
std::pair<std::optional<std::int64_t>, std::string> newest_backup(const BackupSet& set) {
  std::optional<std::int64_t> best;
  std::string file;
  for (const auto& name : set.manifest_files) {
    auto t = parse_portable_base_time(name);
    if (!t) t = mtime_ns(set.dir / name);
    if (t && (!best || *t >= *best)) best = t, file = name;
  }
  if (!best && !set.meta_file.empty())
    best = set.created_ns ? set.created_ns : mtime_ns(set.dir / set.meta_file), file = set.meta_file;
  return {best, file};
}

}  // namespace

void check_freshness(const BackupSet& set, const BackupCheckOptions& o, DefectSink& sink) {
  if (!o.max_age_ns) return;
  const std::int64_t now = o.now_ns ? *o.now_ns
                                    : std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count();
  auto [made, file] = newest_backup(set);
  if (!made) {
    sink.add(defect(ErrorCode::backup_too_old, file, "", std::nullopt,
                    "cannot tell when the newest backup was made, so it cannot be shown younger than --max-age"));
    return;
  }
  if (now - *made <= *o.max_age_ns) return;
  sink.add(defect(
      ErrorCode::backup_too_old, file, "", std::nullopt,
      fmt::format("the newest backup was made at {}, {} ago; --max-age allows {}", text::format_rfc3339_nano(*made),
                  text::format_human_duration(now - *made), text::format_human_duration(*o.max_age_ns))));
}

void check_expected_databases(const BackupSet& set, const BackupCheckOptions& o,
                              const std::map<std::string, std::uint64_t>& blocks_per_database, DefectSink& sink) {
  for (const auto& name : o.expect_databases) {
    if (!meta::find_database(set.meta, name)) {
      sink.add(defect(ErrorCode::db_missing, set.meta_file, "", std::nullopt,
                      fmt::format("database {} is not in the backup's meta store", printable(name))));
      continue;
    }
    std::size_t archives = 0;
    for (const auto& s : set.shards)
      if (s.database == name && o.selects(s.database, s.retention_policy, s.shard_id)) archives += s.archives.size();
    auto it = blocks_per_database.find(name);
    if (archives == 0)
      sink.add(defect(ErrorCode::db_empty, set.meta_file, "", std::nullopt,
                      fmt::format("database {} is in the meta store but the backup holds no shard archive of it",
                                  printable(name))));
    else if (it == blocks_per_database.end() || it->second == 0)
      sink.add(defect(ErrorCode::db_empty, set.meta_file, "", std::nullopt,
                      fmt::format("database {} has {} archive file{} in the backup but they hold no TSM data",
                                  printable(name), archives, archives == 1 ? "" : "s")));
  }
}

}  // namespace ifx::check
