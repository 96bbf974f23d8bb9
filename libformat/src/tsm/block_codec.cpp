// Whole blocks (docs/FORMATS.md §7.1, §7.8): type byte, uvarint length of the timestamp section,
// timestamp section, value section.
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "ifx/format/tsm/encoding.hpp"
#include "tsm/block_decode_error.hpp"
#include "tsm/block_layout.hpp"
#include "tsm/varint.hpp"

namespace ifx::tsm {
namespace {

using detail::block_decode_error;

}  // namespace

std::size_t DecodedBlock::value_count() const {
  const DecodedBlock& b = *this;
  switch (b.type) {
    case BlockType::Float:
      return b.floats.size();
    case BlockType::Integer:
      return b.integers.size();
    case BlockType::Boolean:
      return b.booleans.size();
    case BlockType::String:
      return b.strings.size();
    case BlockType::Unsigned:
      return b.unsigneds.size();
  }
  return 0;
}

namespace {

void truncate_values(DecodedBlock& b, std::size_t n) {
  switch (b.type) {
    case BlockType::Float:
      b.floats.resize(std::min(n, b.floats.size()));
      break;
    case BlockType::Integer:
      b.integers.resize(std::min(n, b.integers.size()));
      break;
    case BlockType::Boolean:
      b.booleans.resize(std::min(n, b.booleans.size()));
      break;
    case BlockType::String:
      b.strings.resize(std::min(n, b.strings.size()));
      break;
    case BlockType::Unsigned:
      b.unsigneds.resize(std::min(n, b.unsigneds.size()));
      break;
  }
}

// Empties the vectors other than the one `type` uses (that one its decoder refills, and for
// strings reuses).
void clear_other_values(DecodedBlock& b) {
  if (b.type != BlockType::Float) b.floats.clear();
  if (b.type != BlockType::Integer) b.integers.clear();
  if (b.type != BlockType::Boolean) b.booleans.clear();
  if (b.type != BlockType::String) b.strings.clear();
  if (b.type != BlockType::Unsigned) b.unsigneds.clear();
}

Result<void> decode_values(std::span<const std::uint8_t> section, DecodedBlock& out) {
  switch (out.type) {
    case BlockType::Float:
      return decode_floats(section, out.floats);
    case BlockType::Integer:
      return decode_integers(section, out.integers);
    case BlockType::Boolean:
      return decode_booleans(section, out.booleans);
    case BlockType::String:
      return decode_strings(section, out.strings);
    case BlockType::Unsigned:
      return decode_unsigneds(section, out.unsigneds);
  }
  return {};
}

}  // namespace

std::string_view block_type_name(BlockType t) {
  switch (t) {
    case BlockType::Float:
      return "float";
    case BlockType::Integer:
      return "integer";
    case BlockType::Boolean:
      return "boolean";
    case BlockType::String:
      return "string";
    case BlockType::Unsigned:
      return "unsigned";
  }
  return "unknown";
}

Result<BlockType> block_type_from_byte(std::uint8_t b) {
  if (b > static_cast<std::uint8_t>(BlockType::Unsigned)) {
    return std::unexpected(fail(ErrorCode::tsm_block_decode,
                                fmt::format("block type byte is {}; expected 0 (float), 1 (integer), 2 (boolean), "
                                            "3 (string) or 4 (unsigned)",
                                            b))
                               .error());
  }
  return static_cast<BlockType>(b);
}

void DecodedBlock::clear() {
  times.clear();
  floats.clear();
  integers.clear();
  unsigneds.clear();
  booleans.clear();
  strings.clear();
}

namespace detail {

Result<BlockSections> split_block(std::span<const std::uint8_t> block) {
  if (block.size() < 2) {
    return block_decode_error(block.size(),
                              "block is {} bytes long; it needs at least a type byte and the length of its "
                              "timestamp section",
                              block.size());
  }
  auto type = block_type_from_byte(block[0]);
  if (!type) return std::unexpected(std::move(type.error()).at_offset(0));
  const auto ts_len = read_uvarint(block, 1);
  if (ts_len.length == 0) {
    return block_decode_error(1, "block: the length of the timestamp section is truncated or not a valid uvarint");
  }
  const std::size_t ts_at = 1 + ts_len.length;
  if (ts_len.value > block.size() - ts_at) {
    return block_decode_error(1, "block declares a {}-byte timestamp section but only {} bytes follow its length",
                              ts_len.value, block.size() - ts_at);
  }
  const auto ts_size = static_cast<std::size_t>(ts_len.value);
  return BlockSections{*type, block.subspan(ts_at, ts_size), block.subspan(ts_at + ts_size), ts_at, ts_at + ts_size};
}

}  // namespace detail

Result<void> decode_block(std::span<const std::uint8_t> block, DecodedBlock& out, bool strict) {
  auto sections = detail::split_block(block);
  if (!sections) {
    out.clear();
    return std::unexpected(std::move(sections.error()));
  }
  out.type = sections->type;
  clear_other_values(out);
  if (auto r = decode_timestamps(sections->times, out.times); !r) {
    out.clear();
    return std::unexpected(std::move(r.error()).at_offset(sections->times_offset));
  }
  if (auto r = decode_values(sections->values, out); !r) {
    out.clear();
    return std::unexpected(std::move(r.error()).at_offset(sections->values_offset));
  }
  const std::size_t times = out.times.size();
  const std::size_t values = out.value_count();
  if (times != values) {
    if (strict) {
      out.clear();
      return block_decode_error(sections->values_offset, "{} block holds {} timestamps but {} values",
                                block_type_name(sections->type), times, values);
    }
    // §7.1: influxd reads min(#timestamps, #values) points.
    const std::size_t n = std::min(times, values);
    out.times.resize(n);
    truncate_values(out, n);
  }
  return {};
}

Result<BlockTimeRange> block_time_range(std::span<const std::uint8_t> block) {
  auto sections = detail::split_block(block);
  if (!sections) return std::unexpected(std::move(sections.error()));
  auto summary = detail::summarize_timestamps(sections->times);
  if (!summary) return std::unexpected(std::move(summary.error()).at_offset(sections->times_offset));
  return BlockTimeRange{sections->type, summary->first, summary->last, summary->count};
}

Result<void> encode_block(const DecodedBlock& block, std::vector<std::uint8_t>& out) {
  const std::size_t n = block.size();
  if (block.value_count() != n) {
    return std::unexpected(fail(ErrorCode::invalid_argument,
                                fmt::format("cannot encode a {} block of {} timestamps and {} values; the counts "
                                            "must be equal",
                                            block_type_name(block.type), n, block.value_count()))
                               .error());
  }
  const std::size_t start = out.size();
  out.push_back(static_cast<std::uint8_t>(block.type));
  thread_local std::vector<std::uint8_t> times;
  times.clear();
  encode_timestamps(block.times, times);
  detail::append_uvarint(out, times.size());
  out.insert(out.end(), times.begin(), times.end());
  switch (block.type) {
    case BlockType::Float:
      if (auto r = encode_floats(block.floats, out); !r) {
        out.resize(start);
        return r;
      }
      break;
    case BlockType::Integer:
      encode_integers(block.integers, out);
      break;
    case BlockType::Boolean:
      encode_booleans(block.booleans, out);
      break;
    case BlockType::String:
      encode_strings(block.strings, out);
      break;
    case BlockType::Unsigned:
      encode_unsigneds(block.unsigneds, out);
      break;
  }
  return {};
}

}  // namespace ifx::tsm
