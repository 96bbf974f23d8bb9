// TSM and tombstone files for tests, written by libformat's own TsmWriter and write_tombstones
// (docs/FORMATS.md §6, §6.6), from a readable description:
//
//   write_tsm(dir / "000000001-000000001.tsm",                        // keys in increasing order
//             {{"cpu,host=a#!~#n", points<std::int64_t>({{0, 7}})},
//              {"cpu,host=a#!~#usage", points<double>({{0, 1.5}, {10, 2.5}})}},
//             /*points_per_block=*/100);
//   write_tombstones(dir / "000000001-000000001.tombstone", {{"cpu,host=a#!~#n", 0, 5}});
//
// What the writer refuses to make (damaged files, blocks that overlap in time) starts from a
// valid file and is changed byte by byte where the index says (tsm_blocks, put_be). A failure
// throws (support/must.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ifx/format/tsm/encoding.hpp"
#include "ifx/format/tsm/tombstone.hpp"
#include "ifx/format/tsm/tsm_reader.hpp"

namespace ifx::test {

// The block type of a value type: double Float, std::int64_t Integer, std::uint64_t Unsigned,
// bool Boolean, std::string String.
template <class T>
constexpr tsm::BlockType block_type_of() {
  if constexpr (std::is_same_v<T, double>) return tsm::BlockType::Float;
  else if constexpr (std::is_same_v<T, std::int64_t>) return tsm::BlockType::Integer;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return tsm::BlockType::Unsigned;
  else if constexpr (std::is_same_v<T, bool>) return tsm::BlockType::Boolean;
  else {
    static_assert(std::is_same_v<T, std::string>, "TSM values are double, int64, uint64, bool or string");
    return tsm::BlockType::String;
  }
}

// Appends one point's value to the vector of its type.
inline void add_value(tsm::DecodedBlock& b, double v) { b.floats.push_back(v); }
inline void add_value(tsm::DecodedBlock& b, std::int64_t v) { b.integers.push_back(v); }
inline void add_value(tsm::DecodedBlock& b, std::uint64_t v) { b.unsigneds.push_back(v); }
inline void add_value(tsm::DecodedBlock& b, bool v) { b.booleans.push_back(v ? 1 : 0); }
inline void add_value(tsm::DecodedBlock& b, const std::string& v) { b.strings.push_back(v); }

// The points (time, value) of one key as one block of the value's type.
template <class T>
tsm::DecodedBlock points(const std::vector<std::pair<std::int64_t, T>>& time_values) {
  tsm::DecodedBlock b;
  b.type = block_type_of<T>();
  for (const auto& [t, v] : time_values) {
    b.times.push_back(t);
    add_value(b, v);
  }
  return b;
}

// The parts one after the other (one type; each part's times after the previous part's).
tsm::DecodedBlock joined(std::initializer_list<tsm::DecodedBlock> parts);
void append_points(tsm::DecodedBlock& to, const tsm::DecodedBlock& from);

// A test failure (gtest) unless `got` holds exactly the points of `want`: type, times, values,
// floats compared bit for bit (NaN and -0 come back as written). `what` names them in messages.
void expect_same_points(const tsm::DecodedBlock& got, const tsm::DecodedBlock& want, const std::string& what = "");

// One key (series#!~#field, docs/FORMATS.md §6.4) and its points.
struct TsmKey {
  std::string key;
  tsm::DecodedBlock points;
};

// Writes `keys` (in strictly increasing key order) in blocks of at most `points_per_block`.
void write_tsm(const std::filesystem::path& path, const std::vector<TsmKey>& keys, std::size_t points_per_block = 1000);

// A block given as its encoded bytes (type byte first, CRC excluded) and the time range the index
// will declare for it: the writer checks only the declared range, so a block may claim times it
// does not hold.
struct TsmBlock {
  std::string key;
  tsm::BlockType type = tsm::BlockType::Float;
  std::int64_t min_time = 0, max_time = 0;
  std::vector<std::uint8_t> bytes;
};

// A block of `points` encoded by encode_block, declaring the points' own time range.
TsmBlock encoded_block(const std::string& key, const tsm::DecodedBlock& points);

// Writes `blocks` in the given order (keys increasing, one key's blocks in time order).
void write_tsm_blocks(const std::filesystem::path& path, const std::vector<TsmBlock>& blocks);

// A tombstone file holding `records` as one batch (one gzip member in v4).
void write_tombstones(const std::filesystem::path& path, const std::vector<tsm::Tombstone>& records,
                      tsm::TombstoneVersion version = tsm::TombstoneVersion::V4);
// The same with several batches (v4: one gzip member each).
void write_tombstones(const std::filesystem::path& path, const std::vector<std::vector<tsm::Tombstone>>& batches,
                      tsm::TombstoneVersion version = tsm::TombstoneVersion::V4);

// ---- byte edits on a valid file (docs/FORMATS.md §6.1, §6.2) ----------------------------------------

// One block of a TSM file and where its 28-byte index entry stands.
struct TsmBlockAt {
  std::string key;
  tsm::BlockType type = tsm::BlockType::Float;
  tsm::IndexEntry entry;                 // entry.offset: the block's CRC
  std::uint64_t index_entry_offset = 0;  // the entry's minTime
};

// Every block of a TSM file, in index order.
std::vector<TsmBlockAt> tsm_blocks(const std::filesystem::path& path);
std::vector<TsmBlockAt> tsm_blocks(const std::string& tsm_bytes);

// Index entry fields, from the entry's start (docs/FORMATS.md §6.2).
inline constexpr std::size_t kEntryMinTime = 0, kEntryMaxTime = 8, kEntryOffset = 16, kEntrySize = 24;

// Overwrites `width` bytes at `at` with `value`, big-endian as every TSM integer is.
void put_be(std::string& bytes, std::uint64_t at, std::uint64_t value, int width);

}  // namespace ifx::test
