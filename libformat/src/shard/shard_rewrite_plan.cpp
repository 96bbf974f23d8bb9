// Planning a key's rewrite: the key's blocks from all files, swept in time order into groups of
// overlapping blocks (docs/FORMATS.md §6.2: blocks of one key overlap only across files, or in files
// not written by the engine). A group of one clean block is copied; the rest is merged.
#include "shard/shard_rewrite_plan.hpp"

#include <algorithm>
#include <cstdint>
#include <tuple>

namespace ifx::detail {

namespace {

struct BlockRef {
  std::size_t source = 0;  // position in KeyInfo::sources
  std::size_t entry = 0;   // position in that source's entries
  tsm::IndexEntry index;
};

bool intersects(const tsm::TimeRange& r, std::int64_t min, std::int64_t max) { return r.min <= max && min <= r.max; }

// `deleted` is sorted and disjoint (ShardPoints normalizes it).
bool meets_deleted_range(const std::vector<tsm::TimeRange>& deleted, std::int64_t min, std::int64_t max) {
  auto it = std::lower_bound(deleted.begin(), deleted.end(), min,
                             [](const tsm::TimeRange& r, std::int64_t t) { return r.max < t; });
  return it != deleted.end() && it->min <= max;
}

// Adds the blocks of `run` (consecutive groups that cannot be copied) as one merge step.
void add_merge_step(const tsm::KeyInfo& key, const std::vector<BlockRef>& run, std::vector<KeyRewriteStep>& steps) {
  KeyRewriteStep step;
  step.merge.key = key.key;
  step.merge.type = key.type;
  for (std::size_t s = 0; s < key.sources.size(); ++s) {
    tsm::KeyInfo::Source source;
    source.file = key.sources[s].file;
    std::vector<std::size_t> picked;
    for (const BlockRef& b : run) {
      if (b.source == s) picked.push_back(b.entry);
    }
    if (picked.empty()) continue;
    // The cursor gives a later entry of one file priority on equal timestamps: keep file order.
    std::sort(picked.begin(), picked.end());
    for (std::size_t e : picked) source.entries.push_back(key.sources[s].entries[e]);
    source.deleted = key.sources[s].deleted;
    step.merge.sources.push_back(std::move(source));
  }
  steps.push_back(std::move(step));
}

}  // namespace

std::vector<KeyRewriteStep> plan_key_rewrite(const tsm::KeyInfo& key, const std::optional<tsm::TimeRange>& keep) {
  std::vector<BlockRef> blocks;
  for (std::size_t s = 0; s < key.sources.size(); ++s) {
    const auto& entries = key.sources[s].entries;
    for (std::size_t e = 0; e < entries.size(); ++e) {
      if (keep && !intersects(*keep, entries[e].min_time, entries[e].max_time)) continue;
      blocks.push_back({s, e, entries[e]});
    }
  }
  std::sort(blocks.begin(), blocks.end(), [](const BlockRef& a, const BlockRef& b) {
    return std::tie(a.index.min_time, a.source, a.entry) < std::tie(b.index.min_time, b.source, b.entry);
  });

  std::vector<KeyRewriteStep> steps;
  std::vector<BlockRef> merge_run;  // blocks of consecutive groups that cannot be copied
  std::size_t i = 0;
  while (i < blocks.size()) {
    // A group: blocks chained by overlapping time spans.
    std::size_t end = i + 1;
    std::int64_t group_max = blocks[i].index.max_time;
    while (end < blocks.size() && blocks[end].index.min_time <= group_max) {
      group_max = std::max(group_max, blocks[end].index.max_time);
      ++end;
    }
    const BlockRef& first = blocks[i];
    const bool copy = end == i + 1 &&
                      !meets_deleted_range(key.sources[first.source].deleted, first.index.min_time,
                                           first.index.max_time) &&
                      (!keep || (keep->min <= first.index.min_time && first.index.max_time <= keep->max));
    if (copy) {
      if (!merge_run.empty()) add_merge_step(key, merge_run, steps);
      merge_run.clear();
      KeyRewriteStep step;
      step.copy = true;
      step.file = key.sources[first.source].file;
      step.entry = first.index;
      steps.push_back(std::move(step));
    } else {
      merge_run.insert(merge_run.end(), blocks.begin() + static_cast<std::ptrdiff_t>(i),
                       blocks.begin() + static_cast<std::ptrdiff_t>(end));
    }
    i = end;
  }
  if (!merge_run.empty()) add_merge_step(key, merge_run, steps);
  return steps;
}

}  // namespace ifx::detail
