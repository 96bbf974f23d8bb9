// WAL segment files of one shard (docs/FORMATS.md §11): their names, the order influxd replays
// them in, and a streaming reader that hands out one decoded entry at a time. Nothing but the
// current entry is held in memory: its compressed bytes, its decompressed bytes and its values.
//
// A segment is a bare sequence of entries (type byte, u32 BE length, Snappy raw block), with no
// checksum and no marker to resynchronise on. Two ways for it to end early:
//
// * Cut short: the file ends inside an entry's header or data. That is the normal state after a
//   crash (influxd's last write was not finished), not a defect: next() returns false, every
//   complete entry has been handed out, and cut_short_bytes() says how many bytes followed the
//   last one (influxd's replay truncates the file there, §11.2).
// * Damaged: an entry is whole but wrong (unknown type, a length over the limits, Snappy data
//   that does not decompress, a record running past its data, N = 0, …). next() fails with
//   "wal-invalid" naming the file and the offset of the entry's type byte. influxd's replay would
//   truncate the segment there and lose everything after it; this reader leaves the choice to the
//   caller: stop (the default of replay_wal), drop the rest of the segment as influxd does, or
//   skip_damaged() to try the entries after it. The error's offset and the file size say what is
//   lost either way.
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

namespace ifx::wal {

// ---- names (docs/FORMATS.md §11.1) ---------------------------------------------------------

// The ID of `_NNNNN.wal` as influxd parses it: the digits between `_` and the only `.`, a uint32
// (leading zeros allowed, any number of digits). nullopt for any other name.
std::optional<std::uint32_t> segment_id_from_name(std::string_view name);
// `_00001.wal`: five digits at least, as influxd names them.
std::string segment_file_name(std::uint32_t id);

struct SegmentFile {
  std::filesystem::path path;
  std::uint32_t id = 0;
  std::uint64_t size = 0;
};

// The segments of one shard's WAL directory (`<wal-dir>/<db>/<rp>/<shard>/`) in the order influxd
// replays them: file names sorted bytewise. That is ID order while IDs have five digits; past
// 99999 influxd replays `_100000.wal` before `_99999.wal`, and so does this list, because the
// point is to get what influxd would have after a restart. Regular files named `_<uint32>.wal`
// only (influxd's glob `_*.wal` would also take names without an ID, which it never writes). A
// directory that does not exist has no segments; one that cannot be read is an "io" error.
Result<std::vector<SegmentFile>> list_segments(const std::filesystem::path& dir);

// ---- entries (docs/FORMATS.md §11.2–§11.5) -------------------------------------------------

enum class WalEntryType : std::uint8_t { Write = 1, Delete = 2, DeleteRange = 3 };
std::string_view wal_entry_type_name(WalEntryType type);  // "write", "delete", "delete-range"

// §11.3: the value type byte of a write record, which is not the block type byte of §7.1.
std::uint8_t wal_value_type_byte(tsm::BlockType type);
std::optional<tsm::BlockType> block_type_of_wal_value_byte(std::uint8_t byte);

// The values a write entry carries for one key.
struct WalKeyValues {
  std::string key;           // composite key series#!~#field (§6.4)
  tsm::DecodedBlock values;  // its type, and the points in stored order (unsorted, duplicates kept)
};

struct WalEntry {
  WalEntryType type = WalEntryType::Write;
  std::uint64_t offset = 0;  // file offset of the entry's type byte
  std::uint64_t size = 0;    // bytes the entry takes in the file: 5 + compressed length
  // Write: one record per key, in stored order. influxd's writer never repeats a key within an
  // entry; if one does, influxd keeps only the last record of it (replay_wal does the same).
  std::vector<WalKeyValues> writes;
  // Delete and DeleteRange: the composite keys. A Delete's data is split at `\n`; empty data holds
  // no key.
  std::vector<std::string> keys;
  // DeleteRange: the inclusive range (§6.6). Delete: the whole range, INT64_MIN..INT64_MAX.
  std::int64_t min = 0;
  std::int64_t max = 0;
};

// Bounds on one entry, so that a damaged length field is reported instead of allocated.
struct WalLimits {
  // Decompressed bytes of one entry. influxd's cache refuses a write larger than its
  // cache-max-memory-size (1 GiB by default) before the write is logged, and an entry's
  // decompressed size is about what its values take in the cache, so nothing influxd logs with
  // its default settings exceeds this.
  std::uint64_t max_entry_bytes = std::uint64_t{1} << 30;
  // Compressed bytes of one entry: what Snappy may make of max_entry_bytes (its worst case,
  // 32 + n + n/6; it follows a max_entry_bytes given without it). A length field above it is
  // damage; below it, the bytes must be in the file (or the segment is cut short).
  std::uint64_t max_compressed_bytes = 32 + max_entry_bytes + max_entry_bytes / 6;
};

class WalSegmentReader {
 public:
  // Opens the file ("io" when it cannot be read); reads nothing yet.
  static Result<WalSegmentReader> open(const std::filesystem::path& path, WalLimits limits = {});

  WalSegmentReader(WalSegmentReader&&) noexcept;
  WalSegmentReader& operator=(WalSegmentReader&&) noexcept;
  ~WalSegmentReader();

  // Fills `out` with the next entry (its vectors are reused) and returns true; false at the end
  // of the segment, cut short or not (see cut_short_bytes()). A damaged entry fails with
  // "wal-invalid" (file, offset of the entry); the reader then stays on it, next() failing the
  // same way, until skip_damaged(). Read errors are "io", and final.
  Result<bool> next(WalEntry& out);

  // After a damaged entry whose header (type byte and length) is whole and whose length lies
  // within the file: moves past it and returns true, so next() reads what follows (which may be
  // damaged too: the length itself may be the damage). False, and nothing changes, otherwise: no
  // later entry can be found.
  bool skip_damaged();

  const std::filesystem::path& path() const;
  std::uint64_t file_size() const;
  // Offset of the next entry to read; after a damaged entry, that entry's offset.
  std::uint64_t position() const;
  // Entries handed out so far.
  std::uint64_t entries_read() const;
  // Once next() returned false: the bytes after the last complete entry (0 when the segment ends
  // exactly after one).
  std::uint64_t cut_short_bytes() const;

 private:
  struct Impl;
  explicit WalSegmentReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ifx::wal
