// Deciding before writing: which shards of the source are converted, which of the backup-level
// defects (check::check_backup_level) belong to one of them, what scope the converted
// backup can truthfully record, and what a stock influxd restore of the result would get wrong.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx-convert/convert.hpp"
#include "ifx/format/backup/backup_scope.hpp"
#include "ifx/format/backup/backup_set.hpp"

namespace ifx::convert::detail {

struct PlannedShard {
  const ShardInBackup* shard = nullptr;
  std::vector<Error> defects;  // found before reading its archives (missing file, chain gap, not in meta)
  std::uint64_t archive_bytes = 0;
};

struct Plan {
  std::vector<PlannedShard> shards;   // selected by -db/-rp/-shard, in meta order
  std::vector<Error> backup_defects;  // defects of the directory as a whole
  std::vector<std::string> warnings;
};

// `defects`: the backup-level defects of the source (check_backup_level, filtered like ifx-verify
// filters them). A defect belongs to a shard when it names one of the shard's archive files, or
// (legacy) a missing increment `<db>.<rp>.<id>.<NN>` of it.
Plan make_plan(const BackupSet& set, const Options& options, std::vector<Error> defects);

// The scope the converted manifest records, or nullopt when the source does not say what it was
// asked to hold and the converted shards do not prove it: a recorded scope that claims a shard
// the backup lacks makes ifx-verify report it missing.
std::optional<BackupScope> converted_scope(const BackupSet& set, const Options& options);

}  // namespace ifx::convert::detail
