#include "ifx-restore/plan.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ifx/format/meta/meta_store.hpp"

namespace ifx::restore {
namespace {

constexpr std::string_view kInternalDatabase = "_internal";

std::string names_of_databases(const meta::MetaData& m) {
  std::vector<std::string> names;
  for (const auto& d : m.databases) names.push_back("\"" + d.name + "\"");
  return names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
}

std::string names_of_rps(const meta::DatabaseInfo& d) {
  std::vector<std::string> names;
  for (const auto& r : d.retention_policies) names.push_back("\"" + r.name + "\"");
  return names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

Result<void> check_flags(const Options& o) {
  if (o.new_database && !o.database)
    return fail(ErrorCode::usage, "-newdb needs -db: name the database of the backup to restore under the new name");
  if (o.new_retention_policy && !o.retention_policy)
    return fail(ErrorCode::usage,
                "-newrp needs -rp: name the retention policy of the backup to restore under the new name");
  if (o.shard && (!o.database || !o.retention_policy))
    return fail(ErrorCode::usage,
                "-shard needs -db and -rp: a shard is restored into its database and retention policy "
                "(SHOW SHARDS lists them)");
  if (o.retention_policy && !o.database)
    return fail(ErrorCode::usage, "-rp needs -db: name the database the retention policy belongs to");
  if (o.new_database && o.new_database->empty()) return fail(ErrorCode::usage, "-newdb is empty");
  if (o.new_retention_policy && o.new_retention_policy->empty()) return fail(ErrorCode::usage, "-newrp is empty");
  if (o.new_duration_ns && *o.new_duration_ns < 0) return fail(ErrorCode::usage, "-newduration must not be negative");
  if (o.mode == Mode::Offline) {
    if (o.data_dir.empty() && o.meta_dir.empty())
      return fail(ErrorCode::usage,
                  "an offline restore needs -metadir and/or -datadir (or pass -portable or -online to "
                  "restore into a running influxd)");
    if (o.merge)
      return fail(ErrorCode::usage, "--merge writes over HTTP into a running server: use it with -portable or -online");
    if (o.new_database || o.new_retention_policy)
      return fail(ErrorCode::usage,
                  "-newdb/-newrp are not supported offline (influxd ignores them there, docs/FORMATS.md §4.7): "
                  "restore online with -portable or -online to rename");
    if (!o.data_dir.empty() && !o.database && !o.meta_dir.empty()) return {};  // every database of the backup
  } else {
    if (!o.meta_dir.empty() || !o.data_dir.empty())
      return fail(ErrorCode::usage,
                  "-metadir/-datadir are for an offline restore; leave out -portable/-online for that");
  }
  if (o.merge && o.new_duration_ns)
    return fail(ErrorCode::usage,
                "-newduration applies to a retention policy the restore creates; --merge writes into "
                "existing ones");
  return {};
}

const DatabasePlan* find_database_plan(const RestorePlan& plan, std::string_view source) {
  for (const auto& d : plan.databases)
    if (d.source == source) return &d;
  return nullptr;
}

Result<RestorePlan> make_plan(const Options& o) {
  auto set = open_backup_set(o.backup_dir);
  if (!set) return std::unexpected(set.error());
  RestorePlan plan{std::move(*set), {}, {}, {}};
  const meta::MetaData& m = plan.set.meta;

  if (o.database) {
    const meta::DatabaseInfo* db = meta::find_database(m, *o.database);
    if (!db)
      return fail(ErrorCode::not_in_backup, fmt::format("database \"{}\" is not in this backup; it holds {}",
                                                        *o.database, names_of_databases(m)));
    DatabasePlan dp{db->name, o.new_database.value_or(db->name), {}};
    if (o.retention_policy) {
      const meta::RetentionPolicyInfo* rp = meta::find_retention_policy(*db, *o.retention_policy);
      if (!rp)
        return fail(ErrorCode::not_in_backup,
                    fmt::format("retention policy \"{}\" is not in database \"{}\" of this backup; "
                                "it has {}",
                                *o.retention_policy, db->name, names_of_rps(*db)));
      dp.retention_policies.push_back({rp->name, o.new_retention_policy.value_or(rp->name)});
    } else {
      for (const auto& rp : db->retention_policies) dp.retention_policies.push_back({rp.name, rp.name});
    }
    plan.databases.push_back(std::move(dp));
  } else {
    for (const auto& db : m.databases) {
      // Online, the server's meta import skips it (§5.3) and the server has its own. Offline,
      // the meta store is restored whole, _internal included, so its shards come along.
      if (db.name == kInternalDatabase && o.mode != Mode::Offline) {
        plan.notes.push_back(
            fmt::format("database \"{}\" (the server's own monitoring) is left out, as influxd's "
                        "restore leaves it out; restore it with -db {} -newdb NAME",
                        db.name, db.name));
        continue;
      }
      DatabasePlan dp{db.name, db.name, {}};
      for (const auto& rp : db.retention_policies) dp.retention_policies.push_back({rp.name, rp.name});
      plan.databases.push_back(std::move(dp));
    }
  }

  bool shard_found = false;
  for (std::size_t i = 0; i < plan.set.shards.size(); ++i) {
    const ShardInBackup& s = plan.set.shards[i];
    const DatabasePlan* dp = find_database_plan(plan, s.database);
    if (!dp) continue;
    const RetentionPolicyPlan* rpp = nullptr;
    for (const auto& r : dp->retention_policies)
      if (r.source == s.retention_policy) rpp = &r;
    if (!rpp) continue;
    if (o.shard && *o.shard != s.shard_id) continue;
    shard_found = true;
    auto loc = meta::find_shard(m, s.shard_id);
    if (!s.in_meta || !loc) {
      plan.notes.push_back(
          fmt::format("shard {} ({}/{}): the backup's meta store does not list it there, so the "
                      "server cannot create it; skipped",
                      s.shard_id, s.database, s.retention_policy));
      continue;
    }
    plan.shards.push_back({i, dp->target, rpp->target, loc->shard_group->start_ns, loc->shard_group->end_ns});
  }
  if (o.shard && !shard_found)
    return fail(ErrorCode::not_in_backup, fmt::format("shard {} of {}/{} is not in this backup (no archive holds it)",
                                                      *o.shard, *o.database, *o.retention_policy));
  return plan;
}

DatabaseOutcome planned_database(const RestorePlan& plan, const DatabasePlan& d, bool created) {
  DatabaseOutcome out{d.source, d.target, created, {}};
  for (const auto& r : d.retention_policies) {
    RetentionPolicyOutcome rp{r.target, 0, 0, {}};
    for (const auto& sp : plan.shards)
      if (sp.target_database == d.target && sp.target_retention_policy == r.target) ++rp.shards;
    out.retention_policies.push_back(std::move(rp));
  }
  return out;
}

void record_planned_shards(const RestorePlan& plan, bool keeps_ids, Report& report) {
  for (const auto& sp : plan.shards) {
    const ShardInBackup& s = plan.set.shards[sp.index];
    report.shards.push_back({s.database, s.retention_policy, s.shard_id, sp.target_database, sp.target_retention_policy,
                             keeps_ids ? s.shard_id : 0, s.archives.size(), 0, 0, false, false, "planned"});
  }
}

}  // namespace ifx::restore
