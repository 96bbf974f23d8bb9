// replay_wal: influxd's CacheLoader over a shard's segments (docs/FORMATS.md §11), see wal_replay.hpp.
#include "ifx/format/wal/wal_replay.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "tsm/decoded_points.hpp"

namespace ifx::wal {

namespace {

constexpr std::int64_t kMinTime = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMaxTime = std::numeric_limits<std::int64_t>::max();

// One key of the cache: its values in the order written, and whether that is still time order.
struct CacheEntry {
  tsm::DecodedBlock values;
  bool ascending = true;
};

class Cache {
 public:
  explicit Cache(bool salvage) : salvage_(salvage) {}

  // A write entry: each key's record appended (a key repeated in the entry: its last record, as
  // influxd's decoder keeps only that one in its map). A record whose type differs from the
  // values the cache holds for its key is a conflict (influxd's loader fails the shard on it).
  Result<void> write(const WalEntry& entry, const SegmentFile& file, SegmentReplay& report) {
    last_record_.clear();
    for (std::size_t i = 0; i < entry.writes.size(); ++i) last_record_[entry.writes[i].key] = i;
    for (std::size_t i = 0; i < entry.writes.size(); ++i) {
      const WalKeyValues& record = entry.writes[i];
      if (last_record_[record.key] != i) continue;
      auto [it, inserted] = keys_.try_emplace(record.key);
      CacheEntry& cached = it->second;
      if (inserted) {
        cached.values.type = record.values.type;
      } else if (cached.values.type != record.values.type) {
        Error conflict{
            ErrorCode::wal_invalid,
            fmt::format("write entry: key {} holds {} values but the cache holds {} values for it; "
                        "influxd refuses to load this shard",
                        record.key, tsm::block_type_name(record.values.type), tsm::block_type_name(cached.values.type)),
            file.path.string(),
            {},
            entry.offset};
        if (!salvage_) return std::unexpected(std::move(conflict));
        conflict.message += "; the record was dropped";
        report.defects.push_back(std::move(conflict));
        continue;
      }
      append(cached, record.values);
    }
    return {};
  }

  // A delete or delete-range entry: the keys' values inside [min, max] removed, a key left empty
  // forgotten (§11.4, §11.5).
  void remove(const WalEntry& entry) {
    for (const std::string& key : entry.keys) {
      auto it = keys_.find(key);
      if (it == keys_.end()) continue;
      tsm::DecodedBlock& values = it->second.values;
      const bool whole_key = entry.min == kMinTime && entry.max == kMaxTime;
      if (!whole_key) {
        tsm::detail::retain_points(
            values, [&](std::size_t i) { return values.times[i] < entry.min || values.times[i] > entry.max; });
      }
      if (whole_key || values.size() == 0) keys_.erase(it);
    }
  }

  // Every key in bytewise order, its values sorted and deduplicated.
  std::vector<WalKeyValues> take() {
    std::vector<WalKeyValues> out;
    out.reserve(keys_.size());
    tsm::DecodedBlock scratch;
    for (auto it = keys_.begin(); it != keys_.end(); it = keys_.erase(it)) {
      CacheEntry& cached = it->second;
      if (!cached.ascending) tsm::detail::sort_and_deduplicate(cached.values, scratch);
      out.push_back({it->first, std::move(cached.values)});
    }
    return out;
  }

 private:
  static void append(CacheEntry& cached, const tsm::DecodedBlock& values) {
    tsm::DecodedBlock& to = cached.values;
    if (cached.ascending) {
      const bool joins = to.size() == 0 || to.times.back() < values.times.front();
      cached.ascending = joins && std::adjacent_find(values.times.begin(), values.times.end(),
                                                     [](std::int64_t a, std::int64_t b) { return a >= b; }) ==
                                      values.times.end();
    }
    tsm::detail::append_points(to, values, 0, values.size());
  }

  bool salvage_;
  std::map<std::string, CacheEntry> keys_;  // std::string compares bytes as unsigned: TSM key order
  std::unordered_map<std::string_view, std::size_t> last_record_;
};

}  // namespace

Result<WalReplay> replay_wal(std::span<const SegmentFile> segments, const WalReplayOptions& options) {
  WalReplay out;
  Cache cache(options.salvage);
  WalEntry entry;
  for (const SegmentFile& file : segments) {
    SegmentReplay& report = out.segments.emplace_back();
    report.file = file;
    auto reader = WalSegmentReader::open(file.path, options.limits);
    if (!reader) return std::unexpected(std::move(reader.error()));
    report.file.size = reader->file_size();
    std::uint64_t skipped = 0;  // bytes of damaged entries stepped over
    bool after_damage = false;  // the entry before this one was damaged
    for (;;) {
      const std::uint64_t at = reader->position();
      auto more = reader->next(entry);
      if (!more) {
        if (more.error().code != ErrorCode::wal_invalid || !options.salvage) return std::unexpected(more.error());
        Error e = std::move(more.error());
        // Salvage keeps what can be read: a damaged entry whose length is whole is stepped over
        // and the entries after it are replayed (influxd's loader would drop them with it). Two
        // damaged entries in a row mean the lengths cannot be trusted either: the rest goes.
        if (!after_damage && reader->skip_damaged()) {
          const std::uint64_t size = reader->position() - at;
          e.message += fmt::format("; this entry ({} bytes) was dropped, the entries after it were read", size);
          skipped += size;
          report.defects.push_back(std::move(e));
          after_damage = true;
          continue;
        }
        e.message += fmt::format("; the {} bytes from here to the end of the segment were dropped",
                                 reader->file_size() - reader->position());
        report.defects.push_back(std::move(e));
        break;
      }
      if (!*more) break;
      after_damage = false;
      if (entry.type == WalEntryType::Write) {
        if (auto r = cache.write(entry, report.file, report); !r) return std::unexpected(std::move(r.error()));
      } else {
        cache.remove(entry);
        for (const std::string& key : entry.keys) out.deletes.push_back({key, entry.min, entry.max});
      }
      ++report.entries;
    }
    report.replayed_bytes = reader->position() - skipped;
    report.dropped_bytes = report.file.size - report.replayed_bytes;
  }
  out.keys = cache.take();
  return out;
}

Result<WalReplay> replay_wal_dir(const std::filesystem::path& dir, const WalReplayOptions& options) {
  auto segments = list_segments(dir);
  if (!segments) return std::unexpected(std::move(segments.error()));
  return replay_wal(*segments, options);
}

}  // namespace ifx::wal
