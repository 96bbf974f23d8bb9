// The outer layout of a block (docs/FORMATS.md §7.1) and a cheap summary of its timestamp section,
// shared by decode_block() and block_time_range(). Private to libformat.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "ifx/format/tsm/encoding.hpp"

namespace ifx::tsm::detail {

// A block cut into its two sections; offsets are where each section starts inside the block.
struct BlockSections {
  BlockType type;
  std::span<const std::uint8_t> times;
  std::span<const std::uint8_t> values;
  std::size_t times_offset;
  std::size_t values_offset;
};
Result<BlockSections> split_block(std::span<const std::uint8_t> block);

// First/last timestamp and count of a timestamp section, validated like decode_timestamps()
// but without materialising the values. first = last = 0 when the section is empty.
struct TimestampSummary {
  std::int64_t first = 0;
  std::int64_t last = 0;
  std::size_t count = 0;
};
Result<TimestampSummary> summarize_timestamps(std::span<const std::uint8_t> section);

}  // namespace ifx::tsm::detail
