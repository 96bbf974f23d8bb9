// A shard's WAL replayed the way influxd's cache loader does at startup (docs/FORMATS.md §11):
// segments in replay order, each entry applied in file order to a cache of per-key values. Writes
// append (the cache sorts by time later, and of equal timestamps keeps the value written last),
// deletes remove the cache's values in their range, and a key left with no value is forgotten
// (its value type with it). The result is what the server would hold in its cache after a restart:
// its writes that never reached a TSM file.
//
// Deletes and TSM files (docs/FORMATS.md §11.6). The deletes are also returned, because the data
// in the shard's TSM files is not the cache's business. influxd deletes in two places at once
// (Engine.deleteSeriesRange): it writes tombstones to every TSM file holding the keys, and removes
// the range from the cache, logging a delete-range entry with only the keys the cache held (none:
// no entry). tests/integration/wal_real_test.cpp shows it with influxd 1.6.7: after a DELETE, the
// TSM file written before it has a tombstone for every deleted key, and the WAL's entry lists only
// the key that had unflushed points. So data already in TSM files when the delete ran is covered
// by tombstones. The WAL's deletes still matter to a TSM file written after the delete from a
// cache snapshot taken before it (a snapshot racing the delete, the server killed before it
// removed the snapshot's segments). Applying every returned range to every TSM file of the shard
// is right: the tombstones already there only repeat them, and every write that followed a delete
// is still in the WAL (segments are removed oldest first, so a later one never goes before the
// delete's own), so it is replayed over the result.
//
// Memory: the cache is held whole, as influxd holds it. influxd refuses writes once its cache
// passes cache-max-memory-size (1 GiB by default), and segments are removed once their data is in
// a TSM file, so a shard's WAL holds at most about that much (plus a snapshot being written).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "ifx/format/error.hpp"
#include "ifx/format/tsm/tombstone.hpp"
#include "ifx/format/wal/wal_segment.hpp"

namespace ifx::wal {

struct WalReplayOptions {
  WalLimits limits;
  // false: the first damaged entry fails the replay with its "wal-invalid" error. true: what can
  // be read is kept: a damaged entry whose length field is whole is dropped and the entries after
  // it are read (influxd's loader ends the segment there instead); after two damaged entries in a
  // row (the lengths are not to be trusted) the rest of the segment is dropped; the next segment
  // is read either way. A value type conflict drops that key's record (influxd would refuse to
  // open the shard). Each is reported.
  bool salvage = false;
};

// What became of one segment.
struct SegmentReplay {
  SegmentFile file;
  std::uint64_t entries = 0;         // entries applied
  std::uint64_t replayed_bytes = 0;  // the bytes of those entries (without salvage: influxd
                                     // truncates the file here)
  std::uint64_t dropped_bytes = 0;   // file.size − replayed_bytes: a cut-short tail, and (salvage)
                                     // damaged entries and whatever could not be read after them
  std::vector<Error> defects;        // salvage: what was dropped and why ("wal-invalid")
};

struct WalReplay {
  // Every key the cache holds, by key in ascending bytewise order; each one's points in
  // ascending time, one per timestamp (the one written last).
  std::vector<WalKeyValues> keys;
  // Every deleted range in WAL order, a Delete entry's keys with the whole range: to be applied
  // to the shard's TSM files as their tombstones are (see above).
  std::vector<tsm::Tombstone> deletes;
  std::vector<SegmentReplay> segments;  // in replay order
};

// Replays `segments` in the order given (list_segments' order is influxd's). A key whose value
// type changes while the cache holds it is "wal-invalid" at the entry that changes it (influxd's
// loader fails the shard on it). Read errors are "io".
Result<WalReplay> replay_wal(std::span<const SegmentFile> segments, const WalReplayOptions& options = {});
// The same over list_segments(dir).
Result<WalReplay> replay_wal_dir(const std::filesystem::path& dir, const WalReplayOptions& options = {});

}  // namespace ifx::wal
