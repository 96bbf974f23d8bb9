// ifx-inspect: what is inside a backup, read without a server. The operation is a function over
// an options struct so tests call it in-process; main.cpp only parses flags.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/shard/shard_files.hpp"
#include "ifx/format/shard/shard_stats.hpp"

namespace ifx::inspect {

struct Options {
  std::filesystem::path backup_dir;
  bool deep = false;  // read every point: per-measurement counts
  std::optional<std::string> database;
  std::optional<std::string> retention_policy;
  std::optional<std::uint64_t> shard;
  unsigned jobs = 0;                   // shards read in parallel; 0 = number of cores
  std::filesystem::path scratch_root;  // where --deep unpacks a shard; empty = $TMPDIR or /tmp
};

struct ShardResult {
  std::optional<ShardScan> scan;
  std::optional<ShardStats> stats;  // --deep
  std::optional<Error> error;
};

struct Report {
  Options options;
  BackupSet set;
  std::map<std::uint64_t, ShardResult> shards;  // shards of the backup within the filters
  std::vector<Error> errors;                    // set.problems plus every shard error

  bool ok() const { return errors.empty(); }
};

// Opens the backup and reads what the options ask for. Fails only when the backup cannot be
// opened at all (no usable meta); damaged shards are reported in Report::errors.
Result<Report> run(const Options& options);

// The documented JSON schema (README "ifx-inspect --json").
nlohmann::ordered_json to_json(const Report& report);
// Aligned tables for people.
std::string to_text(const Report& report);

}  // namespace ifx::inspect
