// The points of one shard as the engine sees them: the TSM files of the shard merged key by key
// (docs/FORMATS.md §6.2: a later file wins on the same key and timestamp), with each file's tombstones
// applied (§6.6). Memory stays bounded: the indexes are streamed (k-way merge), and a key's
// cursor holds only the blocks overlapping its current position (one per file for engine files).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ifx/format/error.hpp"
#include "ifx/format/tsm/encoding.hpp"
#include "ifx/format/tsm/tsm_reader.hpp"

namespace ifx::tsm {

// docs/FORMATS.md §6.4: key = seriesKey "#!~#" field, split at the first separator. Without a
// separator the whole key is the series key and the field is empty (as influxd does).
struct CompositeKey {
  std::string_view series_key;  // escaped line-protocol form
  std::string_view field;       // raw bytes
  bool has_separator = false;
};
CompositeKey split_composite_key(std::string_view key);

// The unescaped measurement name of a series key: up to the first ',' (or ' ') not preceded by a
// backslash (the first byte always belongs to the name), then "\," → "," and "\ " → " "
// (docs/FORMATS.md §6.4; influxd's models.ParseName).
std::string measurement_of(std::string_view series_key);

// One TSM file of the shard and its tombstone file, if any.
struct TsmFileRef {
  std::filesystem::path tsm;
  std::optional<std::filesystem::path> tombstone;
};

struct TimeRange {
  std::int64_t min = 0;  // inclusive
  std::int64_t max = 0;  // inclusive
  bool operator==(const TimeRange&) const = default;
};

// A key of the shard and where its blocks are. Blocks entirely inside a deleted range are left
// out; files where tombstones cover the key's whole span are left out; keys left in no file are
// not reported. (A key can still yield no point when ranges delete every point of a block
// without covering its span.)
struct KeyInfo {
  struct Source {
    std::size_t file = 0;             // position in the ShardPoints file list
    std::vector<IndexEntry> entries;  // blocks to read, sorted by min_time
    std::vector<TimeRange> deleted;   // this file's tombstones for the key: sorted, disjoint
  };
  std::string key;
  BlockType type = BlockType::Float;
  std::vector<Source> sources;  // oldest file first

  std::size_t block_count() const;
  std::int64_t min_time() const;  // over the blocks' index entries
  std::int64_t max_time() const;
};

struct ShardPointsOptions {
  std::size_t batch_points = 1000;  // most points handed out by one KeyCursor::next
  bool strict_blocks = true;        // a block whose timestamp and value counts differ is an error
};

// The points of one key in ascending time, duplicates resolved (newest file wins), deleted
// ranges removed. Independent of other cursors: several can be open at once.
class KeyCursor {
 public:
  KeyCursor(KeyCursor&&) noexcept;
  KeyCursor& operator=(KeyCursor&&) noexcept;
  ~KeyCursor();

  // Replaces `batch` with the next 1..batch_points points (batch.type = the key's type); false
  // (and an empty batch) when the key is exhausted. Block errors carry the TSM file's path and
  // offset: "tsm-block-crc", "tsm-block-decode", "tsm-time-range", "tsm-index", "io".
  Result<bool> next(DecodedBlock& batch);
  const std::string& key() const;

  struct State;  // opaque: defined and used inside libformat only

 private:
  friend class ShardPoints;
  explicit KeyCursor(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class ShardPoints {
 public:
  // `files` in generation order (oldest first: a later file wins on the same key and timestamp).
  // Opens every file (header/footer checked) and reads every tombstone file; the deleted ranges
  // are held in memory (tombstone files are small and short-lived, docs/FORMATS.md §6.6).
  static Result<ShardPoints> open(std::vector<TsmFileRef> files, ShardPointsOptions options = {});

  ShardPoints(ShardPoints&&) noexcept;
  ShardPoints& operator=(ShardPoints&&) noexcept;
  ~ShardPoints();

  // Next key in ascending bytewise order across all files; false at the end. A key whose block
  // type differs between files is a "tsm-index" error naming both files.
  Result<bool> next_key(KeyInfo& out);

  // A cursor over the points of `key` (a KeyInfo from next_key; it is copied). Cursors stay valid
  // after ShardPoints is moved or destroyed.
  KeyCursor open_cursor(const KeyInfo& key) const;

  std::size_t file_count() const;
  const TsmReader& file(std::size_t i) const;

 private:
  ShardPoints() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ifx::tsm
