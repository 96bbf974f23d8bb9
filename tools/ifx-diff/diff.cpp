// ifx-diff's operation: open both backups, pair their shards, compare the pairs in parallel,
// then the databases and retention policies around them.
#include "ifx-diff/diff.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "ifx/format/parallel_for.hpp"
#include "ifx-diff/meta_compare.hpp"
#include "ifx-diff/shard_compare.hpp"
#include "ifx/format/backup/repository.hpp"

namespace ifx::diff {
namespace fs = std::filesystem;

// Names and counters in the order of the enumerators.
std::string_view to_string(Status s) {
  static constexpr std::string_view kNames[] = {"added", "removed", "changed", "unchanged", "unreadable"};
  return kNames[static_cast<std::size_t>(s)];
}

std::string_view to_string(Evidence e) {
  static constexpr std::string_view kNames[] = {"none", "inode", "manifest", "content"};
  return kNames[static_cast<std::size_t>(e)];
}

void StatusCounts::add(Status s) {
  std::size_t* const counters[] = {&added, &removed, &changed, &unchanged, &unreadable};
  ++*counters[static_cast<std::size_t>(s)];
}

bool Report::complete() const {
  return std::none_of(shards.begin(), shards.end(), [](const ShardDiff& s) { return s.status == Status::unreadable; });
}

bool Report::same() const {
  return complete() &&
         std::all_of(databases.begin(), databases.end(), [](auto& d) { return d.status == Status::unchanged; }) &&
         std::all_of(shards.begin(), shards.end(), [](auto& s) { return s.status == Status::unchanged; });
}

int exit_code(const Report& r) {
  if (!r.complete()) return kExitUnreadable;
  return r.same() ? kExitSame : kExitDiffer;
}

namespace {

// A repository stands for its newest complete snapshot (what REPO/latest points at).
Result<Side> open_side(const fs::path& given) {
  fs::path dir = given;
  if (Repository::is_repository(given)) {
    auto repo = Repository::open(given, false);
    if (!repo) return std::unexpected(std::move(repo.error()));
    if (repo->snapshots().empty())
      return fail_in_file(ErrorCode::manifest_invalid, given.string(),
                          "the repository holds no complete snapshot to compare");
    dir = repo->snapshots().back().dir;
  }
  auto set = open_backup_set(dir);
  if (!set) return std::unexpected(std::move(set.error()));
  std::error_code ec;
  const fs::path resolved = fs::canonical(dir, ec);  // REPO/latest: the snapshot it names
  return Side{given, ec ? dir : resolved, std::move(*set)};
}

bool selected(const Options& o, const ShardInBackup& s) {
  return (!o.database || *o.database == s.database) &&
         (!o.retention_policy || *o.retention_policy == s.retention_policy) && (!o.shard || *o.shard == s.shard_id);
}

using ShardKey = std::tuple<std::string, std::string, std::uint64_t>;

// The shards either backup holds within the filters, by database, RP and ID.
std::map<ShardKey, ShardPair> pair_shards(const Options& o, const BackupSet& old_set, const BackupSet& new_set) {
  std::map<ShardKey, ShardPair> pairs;
  for (const auto& s : old_set.shards)
    if (selected(o, s)) pairs[{s.database, s.retention_policy, s.shard_id}].old_shard = &s;
  for (const auto& s : new_set.shards)
    if (selected(o, s)) pairs[{s.database, s.retention_policy, s.shard_id}].new_shard = &s;
  return pairs;
}

bool holds_database(const BackupSet& set, const std::string& db) {
  return meta::find_database(set.meta, db) ||
         std::any_of(set.shards.begin(), set.shards.end(), [&](auto& s) { return s.database == db; });
}

bool holds_retention_policy(const BackupSet& set, const Options& o) {
  for (const auto& db : set.meta.databases)
    if ((!o.database || *o.database == db.name) && meta::find_retention_policy(db, *o.retention_policy)) return true;
  return std::any_of(set.shards.begin(), set.shards.end(), [&](auto& s) {
    return s.retention_policy == *o.retention_policy && (!o.database || *o.database == s.database);
  });
}

// A filter that selects nothing in either backup is a mistake on the command line, not "the
// same": say what neither holds.
Result<void> check_filters(const Options& o, const BackupSet& old_set, const BackupSet& new_set,
                           const std::map<ShardKey, ShardPair>& pairs) {
  if (o.database && !holds_database(old_set, *o.database) && !holds_database(new_set, *o.database))
    return fail(ErrorCode::not_in_backup, fmt::format("database \"{}\" is in neither backup", *o.database));
  if (o.retention_policy && !holds_retention_policy(old_set, o) && !holds_retention_policy(new_set, o))
    return fail(ErrorCode::not_in_backup,
                fmt::format("retention policy \"{}\" is in neither backup{}", *o.retention_policy,
                            o.database ? fmt::format(" (in database \"{}\")", *o.database) : ""));
  if (o.shard && pairs.empty())
    return fail(ErrorCode::not_in_backup,
                fmt::format("shard {} is in neither backup (no archive holds it within the filters)", *o.shard));
  return {};
}

}  // namespace

Result<Report> run(const Options& options) {
  const auto started = std::chrono::steady_clock::now();
  auto old_side = open_side(options.old_backup);
  if (!old_side) return std::unexpected(std::move(old_side.error()));
  auto new_side = open_side(options.new_backup);
  if (!new_side) return std::unexpected(std::move(new_side.error()));
  Report report{options, std::move(*old_side), std::move(*new_side), {}, {}, 0};
  const BackupSet& old_set = report.old_side.set;
  const BackupSet& new_set = report.new_side.set;

  const auto pairs = pair_shards(options, old_set, new_set);
  if (auto r = check_filters(options, old_set, new_set, pairs); !r) return std::unexpected(std::move(r.error()));
  std::vector<ShardPair> todo;
  for (const auto& [key, pair] : pairs) todo.push_back(pair);
  report.shards.resize(todo.size());
  parallel_for(todo.size(), options.jobs, [&](std::size_t i) {
    report.shards[i] = compare_shard(options, old_set, new_set, todo[i]);
  });
  report.databases = compare_databases(options, old_set.meta, new_set.meta, report.shards);
  report.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace ifx::diff
