// Private (shard_rewrite*.cpp): how one key of a shard is rewritten, block by block, in ascending
// time: which blocks can be copied encoded and which must be decoded and merged.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "ifx/format/tsm/shard_points.hpp"

namespace ifx::detail {

// One step of a key's rewrite. Steps are in ascending, non-overlapping time: every block of one
// step lies before every block of the next, so their outputs can be written one after another.
struct KeyRewriteStep {
  bool copy = false;
  // copy: the one block, as it is stored in file `file` of the ShardPoints list.
  std::size_t file = 0;
  tsm::IndexEntry entry;
  // !copy: the blocks to decode and merge (a KeyInfo for ShardPoints::open_cursor: sources in
  // the original order, so the newest file still wins, each with its own deleted ranges).
  tsm::KeyInfo merge;
};

// Blocks wholly outside `keep` are left out. A block is copied when it overlaps no other block of
// the key, meets none of its file's deleted ranges and lies wholly inside `keep`; consecutive
// blocks that cannot be copied form one merge step.
std::vector<KeyRewriteStep> plan_key_rewrite(const tsm::KeyInfo& key, const std::optional<tsm::TimeRange>& keep);

}  // namespace ifx::detail
