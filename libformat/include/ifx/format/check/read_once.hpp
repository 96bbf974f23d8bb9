// Files read once across the checks of one run. The snapshots of a repository share the
// archives of unchanged shards by hard link (backup/repository.hpp): checking every snapshot
// would read those bytes once per snapshot. Here a file is known by its inode (device, inode,
// size, mtime): its SHA-256 is computed once, and a shard whose archives were all checked clean
// under the same expectation (database, RP, shard ID, manifest sizes, quick or not) is not read
// again; its earlier outcome stands. Only clean outcomes are kept: a shard with a defect is read
// again wherever it appears, so each snapshot's report names its own files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ifx/format/check/shard_check.hpp"
#include "ifx/format/io/file_identity.hpp"

namespace ifx::check {

// Shared by the threads of one check: every member locks.
class ReadOnce {
 public:
  struct CleanShard {
    Checked checked;
    std::uint64_t data_blocks = 0;
  };

  std::optional<std::string> sha256(const FileIdentity& file) const;
  void remember_sha256(const FileIdentity& file, std::string digest);

  // The key of a shard check: every archive's identity and manifest size, the expectation and
  // the depth; nullopt when an archive cannot be identified (it is read).
  static std::optional<std::string> shard_key(const std::vector<ShardArchiveSource>& archives,
                                              const ShardExpectation& expect, bool quick);
  std::optional<CleanShard> clean_shard(const std::string& key) const;
  void remember_clean_shard(const std::string& key, const CleanShard& outcome);

  // What was not read again: file reads and their on-disk bytes.
  std::uint64_t reads_skipped() const;
  std::uint64_t bytes_skipped() const;
  void count_skipped(std::uint64_t reads, std::uint64_t bytes);

 private:
  mutable std::mutex mutex_;
  std::map<FileIdentity, std::string> digests_;
  std::map<std::string, CleanShard> shards_;
  std::uint64_t reads_skipped_ = 0, bytes_skipped_ = 0;
};

}  // namespace ifx::check
