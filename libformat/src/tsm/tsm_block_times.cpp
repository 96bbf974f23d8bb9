// docs/FORMATS.md §6.2: an index entry's minTime/maxTime equal its block's first/last timestamp.
// Kept apart from tsm_reader.cpp because it needs the block codecs (encoding.hpp).
#include <fmt/format.h>

#include "ifx/format/tsm/tsm_reader.hpp"

namespace ifx::tsm {

Result<void> TsmReader::check_block_times(const IndexEntry& entry, std::span<const std::uint8_t> block) const {
  auto range = block_time_range(block);
  if (!range) return std::unexpected(std::move(range.error()).at_offset(entry.offset + 4).in_file(path_.string()));
  if (range->count == 0 || range->first != entry.min_time || range->last != entry.max_time) {
    return std::unexpected(
        fail(ErrorCode::tsm_time_range,
             range->count == 0
                 ? fmt::format("TSM block at offset {} holds no timestamps but its index entry says [{}, {}]",
                               entry.offset, entry.min_time, entry.max_time)
                 : fmt::format("TSM block at offset {} spans timestamps [{}, {}] but its index entry says [{}, {}]",
                               entry.offset, range->first, range->last, entry.min_time, entry.max_time),
             entry.offset)
            .error()
            .in_file(path_.string()));
  }
  return {};
}

}  // namespace ifx::tsm
