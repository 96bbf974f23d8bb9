// Tombstone files (docs/FORMATS.md §6.6): deleted (key, inclusive time range) pairs of one TSM file,
// in four on-disk versions. Reading streams the file (gzip members are inflated chunk by chunk);
// a record's key length is never trusted beyond the bytes actually present.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "ifx/format/error.hpp"

namespace ifx::tsm {

// One deleted range: points of `key` with min ≤ t ≤ max are gone. [INT64_MIN, INT64_MAX] is the
// whole key. `key` is the full composite key (series#!~#field).
struct Tombstone {
  std::string key;
  std::int64_t min = 0;
  std::int64_t max = 0;
  bool operator==(const Tombstone&) const = default;
};

enum class TombstoneVersion : std::uint8_t { V1 = 1, V2 = 2, V3 = 3, V4 = 4 };

// Version from the first 4 bytes (u32 BE 0x1502/0x1503/0x1504; anything else, or fewer than 4
// bytes, is v1 text).
TombstoneVersion detect_tombstone_version(std::span<const std::uint8_t> first_bytes);

// Calls `on_record` for every record in file order; stops at the first error (its own or the
// callback's). Damage is "tombstone-invalid" with the file offset of the bad record (v2) or of
// the gzip member holding it (v3/v4; the message names the offset inside the member).
Result<TombstoneVersion> for_each_tombstone(const std::filesystem::path& path,
                                            const std::function<Result<void>(const Tombstone&)>& on_record);

// All records of a tombstone file, in file order.
Result<std::vector<Tombstone>> read_tombstones(const std::filesystem::path& path);

// Writes a tombstone file of the given version, one gzip member (v4) per batch. v1 can only
// express whole-key deletes; v2 and v3 write all batches as one record stream. Replaces `path`.
Result<void> write_tombstones(const std::filesystem::path& path, TombstoneVersion version,
                              std::span<const std::vector<Tombstone>> batches);

// The current influxd format (v4) with all records in one gzip member.
Result<void> write_tombstones_v4(const std::filesystem::path& path, std::span<const Tombstone> records);

// Serializes records as v2–v4 record bytes (u32 BE key length, key, i64 BE min, i64 BE max).
void append_tombstone_records(std::span<const Tombstone> records, std::vector<std::uint8_t>& out);

}  // namespace ifx::tsm
