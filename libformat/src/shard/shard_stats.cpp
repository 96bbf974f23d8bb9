// Per-measurement counts of one shard (docs/FORMATS.md §6.4): the composite keys of a series are
// adjacent in key order (they share the prefix "<seriesKey>#!~#"), so a series is counted by
// merging its fields' point streams by timestamp — one decoded batch per field in memory.
#include "ifx/format/shard/shard_stats.hpp"

#include <algorithm>
#include <bit>
#include <climits>
#include <map>

#include "ifx/format/io/checksum.hpp"
#include "ifx/format/tsm/shard_points.hpp"

namespace ifx {
namespace {

// The bytes of a measurement's value digest: a series key once, before its first value, then per
// value its field, type, timestamp and value. Lengths go before names and strings and numbers
// have fixed widths, so two different sequences of points never give the same bytes. Bytes are
// gathered per series and hashed in pieces: a measurement holds only its SHA-256 state.
class PointHasher {
 public:
  void series(std::string_view key) {
    put_text(key);
    flush_if_large();
  }
  void value(std::string_view field, const tsm::DecodedBlock& b, std::size_t i) {
    put_text(field);
    pending_.push_back(static_cast<char>(b.type));
    put_u64(static_cast<std::uint64_t>(b.times[i]));
    switch (b.type) {
      case tsm::BlockType::Float:
        put_u64(std::bit_cast<std::uint64_t>(b.floats[i]));
        break;
      case tsm::BlockType::Integer:
        put_u64(static_cast<std::uint64_t>(b.integers[i]));
        break;
      case tsm::BlockType::Unsigned:
        put_u64(b.unsigneds[i]);
        break;
      case tsm::BlockType::Boolean:
        pending_.push_back(static_cast<char>(b.booleans[i]));
        break;
      case tsm::BlockType::String:
        put_text(b.strings[i]);
        break;
    }
    flush_if_large();
  }
  void flush() {
    sha_.update({reinterpret_cast<const std::uint8_t*>(pending_.data()), pending_.size()});
    pending_.clear();
  }
  std::string finish_hex() {
    flush();
    return sha_.finish_hex();
  }

 private:
  void put_u64(std::uint64_t v) {
    for (int shift = 0; shift < 64; shift += 8) pending_.push_back(static_cast<char>(v >> shift));
  }
  void put_text(std::string_view text) {
    put_u64(text.size());
    pending_.append(text);
  }
  void flush_if_large() {
    if (pending_.size() >= 64 * 1024) flush();
  }
  Sha256 sha_;
  std::string pending_;
};

struct FieldStream {
  tsm::KeyCursor cursor;
  tsm::DecodedBlock batch;
  std::size_t pos = 0;
  bool done = false;

  // Makes `pos` point at a valid point, fetching the next batch when needed.
  Result<void> fill() {
    while (!done && pos >= batch.size()) {
      auto more = cursor.next(batch);
      if (!more) return std::unexpected(std::move(more.error()));
      pos = 0;
      if (!*more) done = true;
    }
    return {};
  }
};

// Counts one series: distinct timestamps over its fields, values per field; each value into
// `hasher` when given.
Result<void> count_series(const tsm::ShardPoints& points, const std::vector<tsm::KeyInfo>& keys, MeasurementStats& m,
                          PointHasher* hasher) {
  std::vector<FieldStream> streams;
  streams.reserve(keys.size());
  for (const auto& k : keys) streams.push_back(FieldStream{points.open_cursor(k), {}, 0, false});
  std::vector<bool> has_value(keys.size(), false);
  std::uint64_t distinct = 0;
  for (auto& s : streams)
    if (auto r = s.fill(); !r) return r;
  while (true) {
    std::int64_t t = INT64_MAX;
    bool any = false;
    for (auto& s : streams)
      if (!s.done) {
        t = std::min(t, s.batch.times[s.pos]);
        any = true;
      }
    if (!any) break;
    if (hasher && distinct == 0) hasher->series(tsm::split_composite_key(keys.front().key).series_key);
    ++distinct;
    m.min_time = std::min(m.min_time, t);
    m.max_time = std::max(m.max_time, t);
    for (std::size_t i = 0; i < streams.size(); ++i) {
      FieldStream& s = streams[i];
      if (s.done || s.batch.times[s.pos] != t) continue;
      ++m.values;
      has_value[i] = true;
      if (hasher) hasher->value(tsm::split_composite_key(keys[i].key).field, s.batch, s.pos);
      ++s.pos;
      if (auto r = s.fill(); !r) return r;
    }
  }
  if (hasher) hasher->flush();
  if (distinct == 0) return {};
  ++m.series;
  m.points += distinct;
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (has_value[i]) m.fields[std::string(tsm::split_composite_key(keys[i].key).field)] = keys[i].type;
  return {};
}

}  // namespace

Result<ShardStats> measure_shard(const UnpackedShard& shard, const MeasureOptions& options) {
  std::vector<tsm::TsmFileRef> files;
  for (const auto& p : shard.tsm_paths()) files.push_back(tsm::TsmFileRef{p, shard.tombstone_for(p)});
  auto points = tsm::ShardPoints::open(std::move(files));
  if (!points) return std::unexpected(std::move(points.error()));

  ShardStats stats;
  std::map<std::string, MeasurementStats> by_name;
  std::map<std::string, PointHasher> hashers;  // by measurement name, with options.value_digest
  std::vector<tsm::KeyInfo> series_keys;       // the field keys of the current series
  std::string current_series;

  auto flush = [&]() -> Result<void> {
    if (series_keys.empty()) return {};
    std::string name = tsm::measurement_of(current_series);
    MeasurementStats& m = by_name[name];
    m.name = name;
    auto r = count_series(*points, series_keys, m, options.value_digest ? &hashers[name] : nullptr);
    series_keys.clear();
    return r;
  };

  tsm::KeyInfo key;
  while (true) {
    auto more = points->next_key(key);
    if (!more) return std::unexpected(std::move(more.error()));
    if (!*more) break;
    stats.blocks += key.block_count();
    std::string_view series = tsm::split_composite_key(key.key).series_key;
    if (series != current_series) {
      if (auto r = flush(); !r) return std::unexpected(std::move(r.error()));
      current_series.assign(series);
    }
    series_keys.push_back(key);
  }
  if (auto r = flush(); !r) return std::unexpected(std::move(r.error()));
  for (auto& [name, m] : by_name) {
    if (m.series == 0) continue;
    if (options.value_digest) m.value_digest = hashers[name].finish_hex();
    stats.measurements.push_back(std::move(m));
  }
  return stats;
}

}  // namespace ifx
