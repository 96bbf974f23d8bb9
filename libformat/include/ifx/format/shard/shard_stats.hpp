// What a shard holds, counted from its points (docs/FORMATS.md §6.4 keys, §6.6 tombstones): per
// measurement the series, points (distinct series+timestamp), values, field types and time range,
// after overwrites are resolved (newest TSM file wins) and tombstones applied; on request a
// digest of every value, so two shards can be told apart where the counts agree.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "ifx/format/error.hpp"
#include "ifx/format/shard/shard_files.hpp"
#include "ifx/format/tsm/encoding.hpp"

namespace ifx {

struct MeasurementStats {
  std::string name;          // unescaped measurement name
  std::uint64_t series = 0;  // series with at least one point
  std::uint64_t points = 0;  // distinct (series, timestamp)
  std::uint64_t values = 0;  // field values
  std::map<std::string, tsm::BlockType> fields;
  std::int64_t min_time = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_time = std::numeric_limits<std::int64_t>::min();
  // MeasureOptions::value_digest: SHA-256 (64 hex digits) over every (series key, field, type,
  // timestamp, value) in key and time order. The same points give the same digest however the
  // TSM files hold them (split, compacted, overwritten, tombstoned); empty when not asked for.
  std::string value_digest;
};

struct ShardStats {
  std::vector<MeasurementStats> measurements;  // sorted by name bytes
  std::uint64_t blocks = 0;                    // blocks read (CRC checked, decoded)
};

struct MeasureOptions {
  bool value_digest = false;  // fill MeasurementStats::value_digest (hashes every value)
};

// Reads every point of the unpacked shard once (bounded memory: one block per field of the
// series being counted).
Result<ShardStats> measure_shard(const UnpackedShard& shard, const MeasureOptions& options = {});

}  // namespace ifx
