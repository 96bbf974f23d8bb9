// ifx-inspect REPO: the snapshots of a repository (ifx-backup --repo), one line each: when, from
// which server, what scope, how many shards were fetched or shared with an earlier snapshot,
// their size and what each one added on disk; and the totals, logical against on disk.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx/format/backup/backup_scope.hpp"
#include "ifx/format/backup/repository.hpp"
#include "ifx/format/error.hpp"

namespace ifx::inspect {

struct SnapshotListing {
  Snapshot snapshot;
  std::string host;                  // "" when the manifest does not record it
  std::optional<BackupScope> scope;  // nullopt: none recorded
  std::size_t databases = 0;
  std::size_t shards = 0;
  std::size_t shards_reused = 0;  // shared with an earlier snapshot (manifest "reused_from")
  std::uint64_t logical_bytes = 0;
  std::uint64_t added_bytes = 0;
  std::optional<Error> error;  // its manifest could not be read
};

struct RepositoryListing {
  std::filesystem::path repository;
  std::vector<SnapshotListing> snapshots;  // oldest first
  std::optional<std::string> latest;       // the snapshot `latest` names
  std::vector<std::string> pending, removing;
  std::uint64_t logical_bytes = 0, on_disk_bytes = 0;

  bool ok() const;
};

Result<RepositoryListing> list_repository(const std::filesystem::path& dir);

// {"repository", "latest", "snapshots": [{"snapshot", "time", "host", "scope", "databases",
//  "shards", "shards_written", "shards_reused", "logical_bytes", "added_bytes", "error"}],
//  "pending", "removing", "totals": {"snapshots", "logical_bytes", "on_disk_bytes"}}
nlohmann::ordered_json to_json(const RepositoryListing& listing);
std::string to_text(const RepositoryListing& listing);

}  // namespace ifx::inspect
