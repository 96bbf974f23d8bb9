// Reading one TSM file (docs/FORMATS.md §6) from disk with positioned reads: the header and footer are
// checked at open, the index is streamed key by key (a 100 MB index never sits in memory), and
// blocks are read one at a time with their CRC checked.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ifx/format/error.hpp"
#include "ifx/format/tsm/encoding.hpp"

namespace ifx::tsm {

inline constexpr std::uint32_t kTsmMagic = 0x16D116D1;  // docs/FORMATS.md §6.1
inline constexpr std::uint8_t kTsmVersion = 1;
inline constexpr std::uint64_t kTsmHeaderSize = 5;
inline constexpr std::uint64_t kTsmFooterSize = 8;
inline constexpr std::uint64_t kTsmIndexEntrySize = 28;  // docs/FORMATS.md §6.2

// One index entry: where a block is and which time span it covers (docs/FORMATS.md §6.2).
struct IndexEntry {
  std::int64_t min_time = 0;
  std::int64_t max_time = 0;
  std::uint64_t offset = 0;  // file offset of the block's CRC
  std::uint32_t size = 0;    // 4 (CRC) + length of the block data
  bool operator==(const IndexEntry&) const = default;
};

// All index entries of one key, as stored.
struct KeyIndex {
  std::string key;  // composite key, docs/FORMATS.md §6.4
  BlockType type = BlockType::Float;
  std::vector<IndexEntry> entries;  // sorted by min_time
  std::uint64_t index_offset = 0;   // file offset of this key's index record (its u16 length)
};

// Totals over the whole index (one streaming pass).
struct TsmIndexSummary {
  std::uint64_t key_count = 0;
  std::uint64_t block_count = 0;
  std::int64_t min_time = 0;  // smallest minTime of any block
  std::int64_t max_time = 0;  // largest maxTime of any block
  // influxd's file time range starts its max at 0 (docs/FORMATS.md §6.2), so a file whose timestamps
  // are all negative reports 0; this is the value its export filter (§4.4) compares against.
  std::int64_t influxd_max_time = 0;
};

namespace detail {
class BufferedRange;
}

// Streams the index of a TsmReader key by key, validating as it goes (docs/FORMATS.md §6.2): key
// length ≥ 1, type byte 0..4, count ≥ 1, entries inside the index region, keys strictly
// increasing (unsigned bytewise), entries sorted by minTime with minTime ≤ maxTime, blocks inside
// [5, indexOffset) with size ≥ 5. Errors are "tsm-index" at the file offset of the bad bytes.
// Valid while its TsmReader is alive (moving the reader is fine).
class TsmIndexCursor {
 public:
  TsmIndexCursor(TsmIndexCursor&&) noexcept;
  TsmIndexCursor& operator=(TsmIndexCursor&&) noexcept;
  ~TsmIndexCursor();

  // Fills `out` with the next key; false at the end of the index. After an error the cursor
  // stays failed (next() keeps returning the same error).
  Result<bool> next(KeyIndex& out);
  std::uint64_t keys_read() const { return keys_read_; }

 private:
  friend class TsmReader;
  TsmIndexCursor(int fd, std::uint64_t index_offset, std::uint64_t index_end, std::string path);
  Result<bool> read_key(KeyIndex& out);

  std::string path_;  // named in errors
  std::uint64_t index_offset_;
  std::uint64_t index_end_;
  std::unique_ptr<detail::BufferedRange> range_;
  std::string previous_key_;
  std::optional<Error> failure_;
  std::uint64_t keys_read_ = 0;
};

class TsmReader {
 public:
  // Opens `path`, checks size ≥ 13, magic 0x16D116D1 and version 1 ("tsm-header"), and that
  // the footer's index offset lies in [5, size − 8) ("tsm-index").
  static Result<TsmReader> open(const std::filesystem::path& path);

  TsmReader(TsmReader&&) noexcept;
  TsmReader& operator=(TsmReader&&) noexcept;
  ~TsmReader();

  const std::filesystem::path& path() const { return path_; }
  std::uint64_t file_size() const { return file_size_; }
  std::uint64_t index_offset() const { return index_offset_; }

  // A fresh streaming pass over the index.
  TsmIndexCursor index() const;

  // Key count, block count and time range: one validating pass over the index, cached.
  Result<TsmIndexSummary> summary() const;

  // Reads the block of `entry` into `buffer` (CRC included) and returns its data (CRC excluded).
  // Checks the CRC-32 ("tsm-block-crc", offset = entry.offset, stored and computed values) and
  // that the block's type byte equals the key's index type ("tsm-block-decode", offset of the
  // type byte). Safe to call concurrently. Blocks read in file order share one read-ahead.
  Result<std::span<const std::uint8_t>> read_block(const IndexEntry& entry, BlockType index_type,
                                                   std::vector<std::uint8_t>& buffer) const;

  // Compares the block's first/last timestamp with the entry's minTime/maxTime ("tsm-time-range",
  // offset = entry.offset); decode errors of the timestamp section are "tsm-block-decode" at
  // their file offset.
  Result<void> check_block_times(const IndexEntry& entry, std::span<const std::uint8_t> block) const;

 private:
  TsmReader() = default;
  std::filesystem::path path_;
  struct Impl;  // the descriptor and the cached summary
  std::unique_ptr<Impl> impl_;
  std::uint64_t file_size_ = 0;
  std::uint64_t index_offset_ = 0;
};

}  // namespace ifx::tsm
