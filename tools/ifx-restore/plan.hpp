// What a restore will do, decided before anything changes: which databases and RPs of the
// backup, under which target names, and which shards (docs/FORMATS.md §5.3 import rules: -db picks one
// database, -rp one RP which becomes the only and default RP of the target, no -db means every
// database but _internal; -shard one shard of -db/-rp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ifx-restore/restore.hpp"
#include "ifx/format/backup/backup_set.hpp"

namespace ifx::restore {

struct RetentionPolicyPlan {
  std::string source;
  std::string target;
};

struct DatabasePlan {
  std::string source;
  std::string target;
  std::vector<RetentionPolicyPlan> retention_policies;
};

struct ShardPlan {
  std::size_t index = 0;  // into BackupSet::shards
  std::string target_database;
  std::string target_retention_policy;
  std::int64_t start_ns = 0;  // the shard group's range (kept by the import, §5.3)
  std::int64_t end_ns = 0;
};

struct RestorePlan {
  BackupSet set;
  std::vector<DatabasePlan> databases;
  std::vector<ShardPlan> shards;   // in meta order
  std::vector<std::string> notes;  // shards left out and why
};

// Checks the flags against each other (usage errors, exit 2).
Result<void> check_flags(const Options& options);

// Opens the backup and selects. "not-in-backup" when -db/-rp/-shard name nothing in it.
Result<RestorePlan> make_plan(const Options& options);

// --dry-run: every shard of the plan into the report as "planned". `keeps_ids`: the shards keep
// their IDs (offline); otherwise the server would give new ones, unknown yet (0).
void record_planned_shards(const RestorePlan& plan, bool keeps_ids, Report& report);

// The report's entry for a database of the plan: its target RPs, each with the number of the
// plan's shards that go into it (known before anything is restored, so a --dry-run shows them).
DatabaseOutcome planned_database(const RestorePlan& plan, const DatabasePlan& database, bool created);

// The target database / RP of a source one under this plan ("" when not restored).
const DatabasePlan* find_database_plan(const RestorePlan& plan, std::string_view source);

}  // namespace ifx::restore
