#include "ifx-convert/plan.hpp"

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

// `name` is `<stem>.<digits>`: another increment of a legacy shard file `<stem>.<NN>` (§2.2).
bool is_increment_of(const std::string& name, const std::string& archive) {
  const auto dot = archive.rfind('.');
  if (dot == std::string::npos || name.size() <= dot + 1 || name.compare(0, dot + 1, archive, 0, dot + 1) != 0)
    return false;
  return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(dot) + 1, name.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
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

// FORMATS.md §2.1, §4.6, §4.7: what influxd's own legacy restore makes of the names we write.
void legacy_restore_warnings(const ShardInBackup& s, std::vector<std::string>& out) {
  const std::string file = fmt::format("{}.{}.{:05}.00", s.database, s.retention_policy, s.shard_id);
  for (const auto* name : {&s.database, &s.retention_policy}) {
    const char* what = name == &s.database ? "database" : "retention policy";
    if (name->find('.') != std::string::npos)
      out.push_back(fmt::format("{}: the {} name \"{}\" holds a '.'; influxd's legacy restore splits file names "
                                "at '.' into exactly 4 parts and cannot restore this file (FORMATS.md §2.1); "
                                "written anyway: restore it with ifx-restore, or keep the portable format",
                                file, what, *name));
    if (name->find_first_of("*?[") != std::string::npos)
      out.push_back(fmt::format("{}: the {} name \"{}\" holds a glob character (* ? [); influxd's legacy restore "
                                "finds its files by globbing and will miss or mix them up (FORMATS.md §2.1)",
                                file, what, *name));
  }
  // §4.7: the offline restore trims '0' from both ends of the 5-digit ID to name the directory.
  std::string padded = fmt::format("{:05}", s.shard_id);
  const auto first = padded.find_first_not_of('0');
  const auto last = padded.find_last_not_of('0');
  const std::string trimmed = first == std::string::npos ? "" : padded.substr(first, last - first + 1);
  if (trimmed != std::to_string(s.shard_id))
    out.push_back(fmt::format("{}: influxd's offline restore (without -online) would put shard {} into the "
                              "directory {}/{}/{} instead of {} (it trims '0' from both ends of the ID, "
                              "FORMATS.md §4.7); restore it with -online or with ifx-restore",
                              file, s.shard_id, s.database, s.retention_policy,
                              trimmed.empty() ? "\"\"" : trimmed, s.shard_id));
}

}  // namespace

Plan make_plan(const BackupSet& set, const Options& o, std::vector<Error> defects) {
  Plan plan;
  for (const auto& s : set.shards) {
    if (!selected(o, s.database, s.retention_policy, s.shard_id)) continue;
    PlannedShard p{&s, {}, 0};
    for (const auto& a : s.archives) {
      std::error_code ec;
      if (a.exists) p.archive_bytes += std::filesystem::file_size(set.dir / a.file_name, ec);
    }
    plan.shards.push_back(std::move(p));
  }
  for (auto& e : defects) {
    auto owner = std::find_if(plan.shards.begin(), plan.shards.end(),
                              [&](const PlannedShard& p) { return belongs_to(e, *p.shard, set.format); });
    if (owner != plan.shards.end()) owner->defects.push_back(std::move(e));
    else plan.backup_defects.push_back(std::move(e));
  }
  if (plan.shards.empty() && (o.database || o.retention_policy || o.shard))
    plan.warnings.push_back(fmt::format("no shard of the source matches {}: only the meta store is converted",
                                        filter_text(o)));
  if (o.to == TargetFormat::legacy)
    for (const auto& p : plan.shards) legacy_restore_warnings(*p.shard, plan.warnings);
  return plan;
}

nlohmann::ordered_json converted_scope(const BackupSet& set, const Options& o) {
  nlohmann::ordered_json scope = {{"database", nullptr}, {"retention_policy", nullptr}, {"shard", nullptr},
                                  {"start", nullptr},    {"end", nullptr},              {"since", nullptr}};
  bool recorded = false;
  for (std::size_t i = set.manifests.size(); i-- > 0 && !recorded;) {  // the newest that records one
    const PortableManifest& m = set.manifests[i];
    if (auto it = m.extra.find("scope"); it != m.extra.end() && it->is_object()) {
      for (auto field = scope.begin(); field != scope.end(); ++field)
        if (auto v = it->find(field.key()); v != it->end()) *field = *v;
      recorded = true;
    } else if (m.limited) {  // Enterprise's limited backup (§3.4)
      if (!m.database.empty()) scope["database"] = m.database;
      if (!m.policy.empty()) scope["retention_policy"] = m.policy;
      if (m.shard_id != 0) scope["shard"] = m.shard_id;
      recorded = true;
    }
  }
  if (o.database) scope["database"] = *o.database;
  if (o.retention_policy) scope["retention_policy"] = *o.retention_policy;
  if (o.shard) scope["shard"] = *o.shard;
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
          if (selected(o, db.name, rp.name, sh.id) && !present.count(sh.id)) return nullptr;
      }
  return scope;
}

}  // namespace ifx::convert::detail
