// TSM block encodings (docs/FORMATS.md §7): one block = type byte, uvarint length of the timestamp
// section, timestamp section, value section. Decoders never read outside the span they are
// given and report malformed input as Error{code="tsm-block-decode", offset=byte offset inside
// the block}. Encoders follow the reference encoder's choices (§7.2–§7.7) so our blocks are
// readable by influxd 1.6.7 and 1.8.10.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ifx/format/error.hpp"

namespace ifx::tsm {

enum class BlockType : std::uint8_t { Float = 0, Integer = 1, Boolean = 2, String = 3, Unsigned = 4 };

// "float", "integer", "boolean", "string", "unsigned" (InfluxQL's names for field types).
std::string_view block_type_name(BlockType t);
// Validates a raw type byte (0..4).
Result<BlockType> block_type_from_byte(std::uint8_t b);

// Upper bound on the values one section may decode to. Run-length encodings (and Snappy) can
// declare huge counts in a few bytes; real blocks hold max-points-per-block values (1000 by
// default), so anything above this is reported as damage instead of exhausting memory.
inline constexpr std::size_t kMaxBlockValues = std::size_t{1} << 20;

// Decoded values of one block; only the vector matching `type` is filled. Buffers are reused
// across calls (clear() keeps capacity), so decoding a shard does not allocate per block.
struct DecodedBlock {
  BlockType type = BlockType::Float;
  std::vector<std::int64_t> times;
  std::vector<double> floats;
  std::vector<std::int64_t> integers;
  std::vector<std::uint64_t> unsigneds;
  std::vector<std::uint8_t> booleans;  // 0 or 1
  std::vector<std::string> strings;

  std::size_t size() const { return times.size(); }
  // Values held in the vector that matches `type` (equals size() for a well-formed block).
  std::size_t value_count() const;
  void clear();
};

// --- section decoders: append to `out` (after clearing it) -------------------------------------
Result<void> decode_timestamps(std::span<const std::uint8_t> section, std::vector<std::int64_t>& out);
Result<void> decode_floats(std::span<const std::uint8_t> section, std::vector<double>& out);
Result<void> decode_integers(std::span<const std::uint8_t> section, std::vector<std::int64_t>& out);
Result<void> decode_unsigneds(std::span<const std::uint8_t> section, std::vector<std::uint64_t>& out);
Result<void> decode_booleans(std::span<const std::uint8_t> section, std::vector<std::uint8_t>& out);
Result<void> decode_strings(std::span<const std::uint8_t> section, std::vector<std::string>& out);

// Whole block (type byte included, CRC excluded). The point count is min(#times, #values)
// as influxd reads it; `strict` additionally fails when the two counts differ.
Result<void> decode_block(std::span<const std::uint8_t> block, DecodedBlock& out, bool strict = true);

// Just the block type and the first/last timestamp, without decoding the values (cheap check
// of an index entry's min/max).
struct BlockTimeRange {
  BlockType type;
  std::int64_t first;
  std::int64_t last;
  std::size_t count;
};
Result<BlockTimeRange> block_time_range(std::span<const std::uint8_t> block);

// --- encoders: append the encoded section/block to `out` ---------------------------------------
void encode_timestamps(std::span<const std::int64_t> times, std::vector<std::uint8_t>& out);
Result<void> encode_floats(std::span<const double> values, std::vector<std::uint8_t>& out);  // NaN refused
void encode_integers(std::span<const std::int64_t> values, std::vector<std::uint8_t>& out);
void encode_unsigneds(std::span<const std::uint64_t> values, std::vector<std::uint8_t>& out);
void encode_booleans(std::span<const std::uint8_t> values, std::vector<std::uint8_t>& out);
void encode_strings(std::span<const std::string> values, std::vector<std::uint8_t>& out);

// Encodes `block.size()` points of `block.type` into one complete block (type byte first).
Result<void> encode_block(const DecodedBlock& block, std::vector<std::uint8_t>& out);

}  // namespace ifx::tsm
