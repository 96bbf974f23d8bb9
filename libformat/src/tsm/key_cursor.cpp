// KeyCursor: the points of one key merged across the shard's TSM files (docs/FORMATS.md §6.2: a
// later file wins on equal timestamps; §6.6: each file's deleted ranges apply to its own points).
#include <algorithm>

#include <fmt/format.h>

#include "ifx/format/tsm/shard_points.hpp"
#include "tsm/decoded_points.hpp"
#include "tsm/key_cursor_state.hpp"

namespace ifx::tsm {

namespace {

using State = KeyCursor::State;

bool strictly_ascending(const std::vector<std::int64_t>& times) {
  return std::adjacent_find(times.begin(), times.end(), [](std::int64_t a, std::int64_t b) { return a >= b; }) ==
         times.end();
}

// Drops the points inside the (sorted, disjoint) deleted ranges.
void remove_deleted(DecodedBlock& block, const std::vector<TimeRange>& deleted) {
  std::size_t r = 0;
  detail::retain_points(block, [&](std::size_t i) {
    const std::int64_t t = block.times[i];
    while (r < deleted.size() && deleted[r].max < t) ++r;
    return !(r < deleted.size() && deleted[r].min <= t);
  });
}

Result<void> load_next_block(State& s, std::size_t source_index) {
  State::Source& source = s.sources[source_index];
  const std::size_t entry_index = source.next_entry++;
  const IndexEntry& entry = source.entries[entry_index];
  const TsmReader& reader = *source.reader;
  const std::string path = reader.path().string();

  auto data = reader.read_block(entry, s.type, s.io_buffer);
  if (!data) return std::unexpected(data.error());

  State::LoadedBlock loaded;
  if (!s.spare.empty()) {
    loaded.points = std::move(s.spare.back());
    s.spare.pop_back();
  }
  DecodedBlock& points = loaded.points;
  points.clear();
  if (auto r = decode_block(*data, points, s.options.strict_blocks); !r) {
    return std::unexpected(std::move(r.error()).at_offset(entry.offset + 4).in_file(path));
  }
  points.type = s.type;
  // docs/FORMATS.md §6.2: the index's min/max are the block's first/last timestamps; the merge relies
  // on them to know when a block must be loaded.
  if (points.size() == 0 || points.times.front() != entry.min_time || points.times.back() != entry.max_time) {
    return std::unexpected(
        fail(ErrorCode::tsm_time_range,
             points.size() == 0
                 ? fmt::format("TSM block at offset {} holds no point but its index entry says [{}, {}]", entry.offset,
                               entry.min_time, entry.max_time)
                 : fmt::format("TSM block at offset {} spans timestamps [{}, {}] but its index entry says [{}, {}]",
                               entry.offset, points.times.front(), points.times.back(), entry.min_time, entry.max_time),
             entry.offset)
            .error()
            .in_file(path));
  }
  if (!strictly_ascending(points.times)) {
    // Engine files never hold unsorted or duplicate timestamps inside a block, but a reader must
    // still hand out ascending points.
    DecodedBlock scratch;
    detail::sort_and_deduplicate(points, scratch);
  }
  if (!source.deleted.empty()) remove_deleted(points, source.deleted);
  if (points.size() == 0) {
    s.spare.push_back(std::move(points));
    return {};
  }
  loaded.source = source_index;
  loaded.entry = entry_index;
  s.loaded.push_back(std::move(loaded));
  return {};
}

// The source whose next unloaded block starts first.
bool earliest_pending(const State& s, std::size_t& source_index, std::int64_t& min_time) {
  bool found = false;
  for (std::size_t i = 0; i < s.sources.size(); ++i) {
    const State::Source& src = s.sources[i];
    if (src.next_entry == src.entries.size()) continue;
    const std::int64_t t = src.entries[src.next_entry].min_time;
    if (!found || t < min_time) {
      found = true;
      source_index = i;
      min_time = t;
    }
  }
  return found;
}

std::int64_t current_time(const State::LoadedBlock& b) { return b.points.times[b.pos]; }

bool wins_over(const State::LoadedBlock& a, const State::LoadedBlock& b) {
  return a.source != b.source ? a.source > b.source : a.entry > b.entry;
}

void retire_exhausted(State& s) {
  for (std::size_t i = s.loaded.size(); i-- > 0;) {
    if (s.loaded[i].pos < s.loaded[i].points.size()) continue;
    if (s.spare.size() < 4) s.spare.push_back(std::move(s.loaded[i].points));
    s.loaded.erase(s.loaded.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

Result<bool> fill_batch(State& s, DecodedBlock& batch) {
  const std::size_t capacity = std::max<std::size_t>(1, s.options.batch_points);
  while (batch.size() < capacity) {
    // Load every block that may hold a point at or before the earliest loaded point.
    std::size_t pending_source = 0;
    std::int64_t pending_min = 0;
    bool pending = false;
    for (;;) {
      pending = earliest_pending(s, pending_source, pending_min);
      if (!pending) break;
      bool any_loaded = false;
      std::int64_t frontier = 0;
      for (const auto& b : s.loaded) {
        if (!any_loaded || current_time(b) < frontier) frontier = current_time(b);
        any_loaded = true;
      }
      if (any_loaded && pending_min > frontier) break;
      if (auto r = load_next_block(s, pending_source); !r) return std::unexpected(r.error());
    }
    if (s.loaded.empty()) break;

    if (s.loaded.size() == 1) {
      // One block alone up to the next block's start: copy a run.
      State::LoadedBlock& b = s.loaded.front();
      const auto& times = b.points.times;
      std::size_t end = times.size();
      if (pending) {
        end = static_cast<std::size_t>(
            std::lower_bound(times.begin() + static_cast<std::ptrdiff_t>(b.pos), times.end(), pending_min) -
            times.begin());
      }
      end = std::min(end, b.pos + (capacity - batch.size()));
      if (batch.size() == 0 && b.pos == 0 && end == times.size()) {
        // The whole block is the batch (the common case): hand it over without copying; the
        // caller's old buffers become the block's, retired below for reuse.
        std::swap(batch, b.points);
        b.points.clear();
        b.pos = 0;
        retire_exhausted(s);
        continue;
      }
      detail::append_points(batch, b.points, b.pos, end);
      b.pos = end;
    } else {
      // Overlapping blocks: one timestamp at a time, the newest source's value wins.
      std::size_t winner = 0;
      for (std::size_t i = 1; i < s.loaded.size(); ++i) {
        const auto& b = s.loaded[i];
        const auto& w = s.loaded[winner];
        if (current_time(b) < current_time(w) || (current_time(b) == current_time(w) && wins_over(b, w))) {
          winner = i;
        }
      }
      const std::int64_t t = current_time(s.loaded[winner]);
      detail::append_points(batch, s.loaded[winner].points, s.loaded[winner].pos, s.loaded[winner].pos + 1);
      for (auto& b : s.loaded) {
        if (current_time(b) == t) ++b.pos;
      }
    }
    retire_exhausted(s);
  }
  return batch.size() > 0;
}

}  // namespace

KeyCursor::KeyCursor(std::unique_ptr<State> state) : state_(std::move(state)) {}
KeyCursor::KeyCursor(KeyCursor&&) noexcept = default;
KeyCursor& KeyCursor::operator=(KeyCursor&&) noexcept = default;
KeyCursor::~KeyCursor() = default;

const std::string& KeyCursor::key() const { return state_->key; }

Result<bool> KeyCursor::next(DecodedBlock& batch) {
  State& s = *state_;
  batch.clear();
  batch.type = s.type;
  if (s.failure) return std::unexpected(*s.failure);
  auto r = fill_batch(s, batch);
  if (!r) {
    s.failure = r.error();
    batch.clear();
  }
  return r;
}

}  // namespace ifx::tsm
