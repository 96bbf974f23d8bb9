// ShardPoints: the keys of a shard's TSM files merged in order (a k-way merge of the streaming
// indexes, docs/FORMATS.md §6.2) with each file's tombstones applied (§6.6).
#include "ifx/format/tsm/shard_points.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "ifx/format/tsm/tombstone.hpp"
#include "tsm/key_cursor_state.hpp"

namespace ifx::tsm {

namespace {

using DeletedRanges = std::unordered_map<std::string, std::vector<TimeRange>>;

// Sorted, disjoint, with adjacent ranges joined ([1,5] + [6,9] = [1,9]), as influxd joins them
// to decide whether a key is deleted entirely.
void normalize(std::vector<TimeRange>& ranges) {
  std::erase_if(ranges, [](const TimeRange& r) { return r.min > r.max; });
  std::sort(ranges.begin(), ranges.end(), [](const TimeRange& a, const TimeRange& b) { return a.min < b.min; });
  std::vector<TimeRange> merged;
  for (const TimeRange& r : ranges) {
    if (!merged.empty() &&
        (merged.back().max == std::numeric_limits<std::int64_t>::max() || r.min <= merged.back().max + 1)) {
      merged.back().max = std::max(merged.back().max, r.max);
    } else {
      merged.push_back(r);
    }
  }
  ranges = std::move(merged);
}

// The merged range containing [min, max], if one does.
bool covered(const std::vector<TimeRange>& ranges, std::int64_t min, std::int64_t max) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), min,
                             [](std::int64_t t, const TimeRange& r) { return t < r.min; });
  if (it == ranges.begin()) return false;
  --it;
  return it->min <= min && max <= it->max;
}

Result<DeletedRanges> load_tombstones(const std::filesystem::path& path) {
  DeletedRanges deleted;
  auto r = for_each_tombstone(path, [&](const Tombstone& t) -> Result<void> {
    deleted[t.key].push_back({t.min, t.max});
    return {};
  });
  if (!r) return std::unexpected(r.error());
  for (auto& [key, ranges] : deleted) normalize(ranges);
  return deleted;
}

// Leaves out the blocks a file's tombstones delete entirely; false when nothing of the key is left
// in this file (the ranges cover its whole span, docs/FORMATS.md §6.6).
bool apply_deletes(KeyInfo::Source& source) {
  if (source.deleted.empty()) return true;
  std::int64_t max = source.entries.front().max_time;
  for (const IndexEntry& e : source.entries) max = std::max(max, e.max_time);
  if (covered(source.deleted, source.entries.front().min_time, max)) return false;
  std::erase_if(source.entries, [&](const IndexEntry& e) { return covered(source.deleted, e.min_time, e.max_time); });
  return !source.entries.empty();
}

}  // namespace

std::size_t KeyInfo::block_count() const {
  std::size_t n = 0;
  for (const Source& s : sources) n += s.entries.size();
  return n;
}

std::int64_t KeyInfo::min_time() const {
  std::int64_t t = std::numeric_limits<std::int64_t>::max();
  for (const Source& s : sources) {
    if (!s.entries.empty()) t = std::min(t, s.entries.front().min_time);
  }
  return t;
}

std::int64_t KeyInfo::max_time() const {
  std::int64_t t = std::numeric_limits<std::int64_t>::min();
  for (const Source& s : sources) {
    for (const IndexEntry& e : s.entries) t = std::max(t, e.max_time);
  }
  return t;
}

struct ShardPoints::Impl {
  struct Head {
    TsmIndexCursor cursor;
    KeyIndex key;
    bool has_key = false;  // `key` holds this file's next key, not yet handed out
    bool done = false;
  };
  std::shared_ptr<std::vector<TsmReader>> readers;
  std::vector<TsmFileRef> files;
  std::vector<DeletedRanges> deleted;  // per file
  std::vector<Head> heads;
  ShardPointsOptions options;
  std::optional<Error> failure;

  Result<bool> next_key(KeyInfo& out);
};

ShardPoints::ShardPoints(ShardPoints&&) noexcept = default;
ShardPoints& ShardPoints::operator=(ShardPoints&&) noexcept = default;
ShardPoints::~ShardPoints() = default;

Result<ShardPoints> ShardPoints::open(std::vector<TsmFileRef> files, ShardPointsOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->readers = std::make_shared<std::vector<TsmReader>>();
  impl->readers->reserve(files.size());
  for (const TsmFileRef& f : files) {
    auto reader = TsmReader::open(f.tsm);
    if (!reader) return std::unexpected(reader.error());
    impl->readers->push_back(std::move(*reader));
    if (f.tombstone) {
      auto deleted = load_tombstones(*f.tombstone);
      if (!deleted) return std::unexpected(deleted.error());
      impl->deleted.push_back(std::move(*deleted));
    } else {
      impl->deleted.emplace_back();
    }
  }
  for (const TsmReader& r : *impl->readers) impl->heads.push_back(Impl::Head{r.index(), {}, false, false});
  impl->files = std::move(files);
  impl->options = options;
  ShardPoints shard;
  shard.impl_ = std::move(impl);
  return shard;
}

Result<bool> ShardPoints::next_key(KeyInfo& out) {
  if (impl_->failure) return std::unexpected(*impl_->failure);
  auto r = impl_->next_key(out);
  if (!r) impl_->failure = r.error();
  return r;
}

Result<bool> ShardPoints::Impl::next_key(KeyInfo& out) {
  for (;;) {
    // Every file offers its next key; the smallest goes out, gathered from all files holding it.
    const std::string* smallest = nullptr;
    for (Head& h : heads) {
      if (!h.has_key && !h.done) {
        auto more = h.cursor.next(h.key);
        if (!more) return std::unexpected(more.error());
        h.has_key = *more;
        h.done = !*more;
      }
      if (h.has_key && (!smallest || std::string_view(h.key.key) < std::string_view(*smallest))) {
        smallest = &h.key.key;
      }
    }
    if (!smallest) return false;

    out.key = *smallest;
    out.sources.clear();
    std::optional<std::size_t> type_file;  // the first file holding the key fixes its type
    for (std::size_t i = 0; i < heads.size(); ++i) {
      Head& h = heads[i];
      if (!h.has_key || h.key.key != out.key) continue;
      h.has_key = false;
      if (!type_file) {
        type_file = i;
        out.type = h.key.type;
      } else if (h.key.type != out.type) {
        return std::unexpected(
            fail(ErrorCode::tsm_index,
                 fmt::format("key \"{}\" holds {} values in {} but {} values in {}; a field has one type per "
                             "shard",
                             out.key, block_type_name(out.type), files[*type_file].tsm.filename().string(),
                             block_type_name(h.key.type), files[i].tsm.filename().string()),
                 h.key.index_offset)
                .error()
                .in_file(files[i].tsm.string()));
      }
      KeyInfo::Source source;
      source.file = i;
      source.entries.swap(h.key.entries);
      if (auto d = deleted[i].find(out.key); d != deleted[i].end()) source.deleted = d->second;
      if (apply_deletes(source)) out.sources.push_back(std::move(source));
    }
    if (!out.sources.empty()) return true;
  }
}

KeyCursor ShardPoints::open_cursor(const KeyInfo& key) const {
  auto state = std::make_unique<KeyCursor::State>();
  state->readers = impl_->readers;
  state->key = key.key;
  state->type = key.type;
  state->options = impl_->options;
  for (const KeyInfo::Source& src : key.sources) {
    state->sources.push_back({&(*impl_->readers)[src.file], src.entries, src.deleted, 0});
  }
  return KeyCursor(std::move(state));
}

std::size_t ShardPoints::file_count() const { return impl_->readers->size(); }
const TsmReader& ShardPoints::file(std::size_t i) const { return (*impl_->readers)[i]; }

}  // namespace ifx::tsm
