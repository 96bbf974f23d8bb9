// Snapshot repositories made the way ifx-backup --repo makes them (docs/FORMATS.md §3.12), for
// the tests of the tools that read them: each snapshot a complete portable backup, shard 1's
// archive written once and hard-linked from snapshot to snapshot as an unchanged shard is
// (manifest entry and all), shard 2 with new points in every snapshot.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ifx::test {

// Publishes one snapshot per time (ascending) in the repository at `root` (created when
// missing); returns their base names. `scratch` holds temporary files.
std::vector<std::string> write_snapshots(const std::filesystem::path& root, const std::filesystem::path& scratch,
                                         const std::vector<std::int64_t>& times_ns);

// The archive of shard `id` in snapshot `base`.
std::filesystem::path snapshot_archive(const std::filesystem::path& root, const std::string& base, std::uint64_t id);

// Bytes of the distinct regular files (inodes) under `root`: what `du --apparent-size` counts.
std::uint64_t distinct_file_bytes(const std::filesystem::path& root);

}  // namespace ifx::test
