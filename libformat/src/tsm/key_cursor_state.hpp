// Private: the state of a KeyCursor, shared by shard_points.cpp (which builds it) and
// key_cursor.cpp (which merges).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "ifx/format/tsm/shard_points.hpp"

namespace ifx::tsm {

struct KeyCursor::State {
  struct Source {
    const TsmReader* reader = nullptr;
    std::vector<IndexEntry> entries;
    std::vector<TimeRange> deleted;
    std::size_t next_entry = 0;  // first entry not loaded yet
  };
  // A decoded block overlapping the cursor's position; `pos` is its next point.
  struct LoadedBlock {
    DecodedBlock points;
    std::size_t pos = 0;
    std::size_t source = 0;  // priority: later source, then later entry, wins a tie
    std::size_t entry = 0;
  };

  std::shared_ptr<const std::vector<TsmReader>> readers;  // keeps the files open
  std::string key;
  BlockType type = BlockType::Float;
  ShardPointsOptions options;
  std::vector<Source> sources;  // oldest file first
  std::vector<LoadedBlock> loaded;
  std::vector<DecodedBlock> spare;  // retired blocks, reused for their capacity
  std::vector<std::uint8_t> io_buffer;
  std::optional<Error> failure;
};

}  // namespace ifx::tsm
