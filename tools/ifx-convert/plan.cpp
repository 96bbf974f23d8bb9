#include "ifx-convert/plan.hpp"

#include "ifx/format/io/file_size.hpp"
#include "ifx/format/backup/file_names.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace ifx::convert::detail {
namespace {

bool selected(const Options& o, const std::string& db, const std::string& rp, std::uint64_t id) {
  return (!o.database || *o.database == db) && (!o.retention_policy || *o.retention_policy == rp) &&
         (!o.shard || *o.shard == id);
}

// `name` is another increment `<stem>.<NN>` of the legacy shard file `archive` (§2.2).
bool is_increment_of(const std::string& name, const std::string& archive) {
  auto a = parse_legacy_shard_file(archive);
  auto n = parse_legacy_shard_file(name);
  return a && n && a->stem == n->stem;
}

bool belongs_to(const Error& e, const ShardInBackup& s, BackupFormat format) {
  for (const auto& a : s.archives) {
    if (e.file == a.file_name) return true;
    if (format == BackupFormat::Legacy && is_increment_of(e.file, a.file_name)) return true;
  }
  return false;
}

std::string filter_text(const Options& o) {
  std::vector<std::string> parts;
  if (o.database) parts.push_back("-db " + *o.database);
  if (o.retention_policy) parts.push_back("-rp " + *o.retention_policy);
  if (o.shard) parts.push_back(fmt::format("-shard {}", *o.shard));
  return fmt::format("{}", fmt::join(parts, " "));
}

// docs/FORMATS.md §2.1, §4.6, §4.7: what influxd's own legacy restore makes of the names we write.
void legacy_restore_warnings(const ShardInBackup& s, std::vector<std::string>& out) {
  const std::string stem = legacy_shard_stem(s.database, s.retention_policy, s.shard_id);
  const std::string file = legacy_increment_file(stem, 0);
  for (const auto* name : {&s.database, &s.retention_policy}) {
    const char* what = name == &s.database ? "database" : "retention policy";
    if (name->find('.') != std::string::npos)
      out.push_back(
          fmt::format("{}: the {} name \"{}\" holds a '.'; influxd's legacy restore splits file names "
                      "at '.' into exactly 4 parts and cannot restore this file (docs/FORMATS.md §2.1); "
                      "written anyway: restore it with ifx-restore, or keep the portable format",
                      file, what, *name));
    if (name->find_first_of("*?[") != std::string::npos)
      out.push_back(
          fmt::format("{}: the {} name \"{}\" holds a glob character (* ? [); influxd's legacy restore "
                      "finds its files by globbing and will miss or mix them up (docs/FORMATS.md §2.1)",
                      file, what, *name));
  }
  // §4.7: the offline restore trims '0' from both ends of the 5-digit ID to name the directory.
  const std::string padded = stem.substr(stem.rfind('.') + 1);
  const auto first = padded.find_first_not_of('0');
  const auto last = padded.find_last_not_of('0');
  const std::string trimmed = first == std::string::npos ? "" : padded.substr(first, last - first + 1);
  if (trimmed != std::to_string(s.shard_id))
    out.push_back(
        fmt::format("{}: influxd's offline restore (without -online) would put shard {} into the "
                    "directory {}/{}/{} instead of {} (it trims '0' from both ends of the ID, "
                    "docs/FORMATS.md §4.7); restore it with -online or with ifx-restore",
                    file, s.shard_id, s.database, s.retention_policy, trimmed.empty() ? "\"\"" : trimmed, s.shard_id));
}

}  // namespace

Plan make_plan(const BackupSet& set, const Options& o, std::vector<Error> defects) {
  Plan plan;
  for (const auto& s : set.shards) {
    if (!selected(o, s.database, s.retention_policy, s.shard_id)) continue;
    PlannedShard p{&s, {}, 0};
    for (const auto& a : s.archives)
      if (a.exists) p.archive_bytes += file_size_or_zero(set.dir / a.file_name);
    plan.shards.push_back(std::move(p));
  }
  for (auto& e : defects) {
    auto owner = std::find_if(plan.shards.begin(), plan.shards.end(),
                              [&](const PlannedShard& p) { return belongs_to(e, *p.shard, set.format); });
    if (owner != plan.shards.end()) owner->defects.push_back(std::move(e));
    else plan.backup_defects.push_back(std::move(e));
  }
  if (plan.shards.empty() && (o.database || o.retention_policy || o.shard))
    plan.warnings.push_back(
        fmt::format("no shard of the source matches {}: only the meta store is converted", filter_text(o)));
  if (o.to == TargetFormat::legacy)
    for (const auto& p : plan.shards) legacy_restore_warnings(*p.shard, plan.warnings);
  return plan;
}

std::optional<BackupScope> converted_scope(const BackupSet& set, const Options& o) {
  auto recorded = recorded_scope(set.manifest_files, set.manifests);
  BackupScope scope = recorded ? recorded->scope : BackupScope{};
  if (o.database) scope.database = *o.database;
  if (o.retention_policy) scope.retention_policy = *o.retention_policy;
  if (o.shard) scope.shard = *o.shard;
  if (recorded) return scope;

  // influxd records no scope (§3.4). Claim the filters only if the source holds every live shard
  // of the meta store they cover; otherwise say nothing, as the source did.
  std::set<std::uint64_t> present;
  for (const auto& s : set.shards)
    if (std::any_of(s.archives.begin(), s.archives.end(), [](const auto& a) { return a.exists; }))
      present.insert(s.shard_id);
  for (const auto& db : set.meta.databases)
    for (const auto& rp : db.retention_policies)
      for (const auto& g : rp.shard_groups) {
        if (g.deleted()) continue;
        for (const auto& sh : g.shards)
          if (selected(o, db.name, rp.name, sh.id) && !present.count(sh.id)) return std::nullopt;
      }
  return scope;
}

}  // namespace ifx::convert::detail
