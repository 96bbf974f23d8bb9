// shard_rewrite: a shard's points (newest file wins, tombstones applied, docs/FORMATS.md §6.2, §6.6)
// cut to a time range and written as fresh TSM files; plus UnpackedShard::unpack_archives.
#include "ifx/format/shard/shard_rewrite.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/format/shard/shard_files.hpp"
#include "ifx/format/tsm/shard_points.hpp"
#include "ifx/format/tsm/tombstone.hpp"
#include "support/archive_builder.hpp"
#include "support/paths.hpp"
#include "support/tsm_builder.hpp"

namespace {

using ifx::ShardRewriteOptions;
using ifx::ShardRewriteResult;
using namespace ifx::tsm;
namespace fs = std::filesystem;

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

// ---- building points ------------------------------------------------------------------------------

std::vector<std::int64_t> times(std::int64_t from, std::int64_t to, std::int64_t step = 1) {
  std::vector<std::int64_t> out;
  for (std::int64_t t = from; t < to; t += step) out.push_back(t);
  return out;
}

// Points at `ts` whose values follow from the timestamp and `salt`, so an overwrite (another salt)
// is visible in every type.
DecodedBlock points(BlockType type, const std::vector<std::int64_t>& ts, int salt = 0) {
  DecodedBlock b;
  b.type = type;
  for (std::int64_t t : ts) {
    b.times.push_back(t);
    switch (type) {
      case BlockType::Float:
        b.floats.push_back(static_cast<double>(t) * 0.25 + salt);
        break;
      case BlockType::Integer:
        b.integers.push_back(-3 * t + salt);
        break;
      case BlockType::Boolean:
        b.booleans.push_back(static_cast<std::uint8_t>((t + salt) % 3 == 0));
        break;
      case BlockType::String:
        b.strings.push_back(
            fmt::format("v{}-{}{}", salt, t, std::string(static_cast<std::size_t>((t % 5 + 5) % 5), 'x')));
        break;
      case BlockType::Unsigned:
        b.unsigneds.push_back(std::numeric_limits<std::uint64_t>::max() - static_cast<std::uint64_t>(t) -
                              static_cast<std::uint64_t>(salt));
        break;
    }
  }
  return b;
}

using ifx::test::joined;
using ifx::test::write_tombstones;
using ifx::test::write_tsm;
using KeyPoints = std::vector<ifx::test::TsmKey>;

// ---- reading results back -------------------------------------------------------------------------

// Every key's points in the given files (generation order), read with ShardPoints.
std::map<std::string, DecodedBlock> read_back(const std::vector<fs::path>& files) {
  std::vector<TsmFileRef> refs;
  for (const auto& f : files) refs.push_back({f, std::nullopt});
  std::map<std::string, DecodedBlock> out;
  auto shard = ShardPoints::open(refs);
  EXPECT_TRUE(shard.has_value()) << shard.error().describe();
  if (!shard) return out;
  KeyInfo key;
  for (;;) {
    auto more = shard->next_key(key);
    EXPECT_TRUE(more.has_value()) << more.error().describe();
    if (!more || !*more) break;
    auto cursor = shard->open_cursor(key);
    DecodedBlock batch, all;
    all.type = key.type;
    for (;;) {
      auto next = cursor.next(batch);
      EXPECT_TRUE(next.has_value()) << next.error().describe();
      if (!next || !*next) break;
      ifx::test::append_points(all, batch);
    }
    out[key.key] = std::move(all);
  }
  return out;
}

void expect_points(const std::map<std::string, DecodedBlock>& got, const std::string& key, const DecodedBlock& want) {
  auto it = got.find(key);
  ASSERT_NE(it, got.end()) << "key " << key << " missing from the rewritten files";
  ifx::test::expect_same_points(it->second, want, key);
}

std::vector<std::string> keys_of(const std::map<std::string, DecodedBlock>& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

// The index entries of every key of one TSM file.
std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> block_spans(const fs::path& file) {
  std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> out;
  for (const auto& b : ifx::test::tsm_blocks(file)) out[b.key].emplace_back(b.entry.min_time, b.entry.max_time);
  return out;
}

std::vector<std::string> dir_listing(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class ShardRewriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(in());
    fs::create_directories(out());
  }
  fs::path in() const { return dir.path() / "in"; }
  fs::path out() const { return dir.path() / "out"; }
  fs::path tsm(int generation) const { return in() / fmt::format("{:09d}-000000001.tsm", generation); }
  fs::path tombstone(int generation) const { return in() / fmt::format("{:09d}-000000001.tombstone", generation); }

  ShardRewriteResult rewrite(std::vector<TsmFileRef> files, const ShardRewriteOptions& options = {}) {
    auto r = ifx::rewrite_shard_points(std::move(files), out(), options);
    EXPECT_TRUE(r.has_value()) << r.error().describe();
    return r.value_or(ShardRewriteResult{});
  }

  ifx::test::ScratchDir dir{"ifx-rewrite-test"};
};

const std::string kCpu = "cpu,host=a#!~#v";
const std::string kMem = "mem,host=a#!~#v";

// ---- merging and the fast path -------------------------------------------------------------------

TEST_F(ShardRewriteTest, OverwriteInANewerFileIsResolvedAndUntouchedBlocksAreCopied) {
  write_tsm(tsm(1),
            {{kCpu, points(BlockType::Float, times(0, 3000))}, {kMem, points(BlockType::Float, times(0, 2000))}});
  write_tsm(tsm(2), {{kCpu, points(BlockType::Float, times(1500, 1510), 7)}});

  auto r = rewrite({{tsm(1), std::nullopt}, {tsm(2), std::nullopt}});
  ASSERT_EQ(r.tsm_files, std::vector<fs::path>{out() / "000000001-000000001.tsm"});
  EXPECT_EQ(dir_listing(out()), std::vector<std::string>{"000000001-000000001.tsm"});
  EXPECT_EQ(r.keys, 2u);
  EXPECT_EQ(r.points, 5000u);
  EXPECT_EQ(r.blocks, 5u);
  // cpu [0,999] and [2000,2999], mem [0,999] and [1000,1999]; cpu's middle block is merged with
  // the newer file's block that overlaps it.
  EXPECT_EQ(r.blocks_copied, 4u);

  auto got = read_back(r.tsm_files);
  EXPECT_EQ(keys_of(got), (std::vector<std::string>{kCpu, kMem}));
  expect_points(got, kCpu,
                joined({points(BlockType::Float, times(0, 1500)), points(BlockType::Float, times(1500, 1510), 7),
                        points(BlockType::Float, times(1510, 3000))}));
  expect_points(got, kMem, points(BlockType::Float, times(0, 2000)));
  using Spans = std::vector<std::pair<std::int64_t, std::int64_t>>;
  EXPECT_EQ(block_spans(r.tsm_files[0])[kCpu], (Spans{{0, 999}, {1000, 1999}, {2000, 2999}}));
}

TEST_F(ShardRewriteTest, CopiedBlocksAreByteIdenticalToTheSource) {
  write_tsm(tsm(1), {{kCpu, points(BlockType::String, times(0, 2500))}});
  auto r = rewrite({{tsm(1), std::nullopt}});
  EXPECT_EQ(r.blocks_copied, 3u);
  EXPECT_EQ(r.blocks, 3u);
  // Same blocks, same order, same index: the whole file is the same bytes.
  EXPECT_EQ(ifx::test::read_file(r.tsm_files.at(0)), ifx::test::read_file(tsm(1)));
}

TEST_F(ShardRewriteTest, NoFastPathWhenEveryBlockOverlapsANewerOne) {
  write_tsm(tsm(1), {{kCpu, points(BlockType::Integer, times(0, 2000, 2))}});     // even, 1000 points
  write_tsm(tsm(2), {{kCpu, points(BlockType::Integer, times(1, 2000, 2), 5)}});  // odd, 1000 points
  auto r = rewrite({{tsm(1), std::nullopt}, {tsm(2), std::nullopt}});
  EXPECT_EQ(r.blocks_copied, 0u);
  EXPECT_EQ(r.points, 2000u);
  EXPECT_EQ(r.blocks, 2u);  // 2000 interleaved points in full blocks of 1000
  DecodedBlock want;
  want.type = BlockType::Integer;
  for (std::int64_t t = 0; t < 2000; ++t)
    ifx::test::append_points(want, points(BlockType::Integer, {t}, t % 2 ? 5 : 0));
  expect_points(read_back(r.tsm_files), kCpu, want);
}

// ---- tombstones ----------------------------------------------------------------------------------

TEST_F(ShardRewriteTest, TombstoneInsideOneBlockDecodesOnlyThatBlock) {
  write_tsm(tsm(1), {{kCpu, points(BlockType::Float, times(0, 2000))}});
  write_tombstones(tombstone(1), std::vector<Tombstone>{{kCpu, 500, 509}});
  auto r = rewrite({{tsm(1), tombstone(1)}});
  EXPECT_EQ(r.points, 1990u);
  EXPECT_EQ(r.blocks, 2u);
  EXPECT_EQ(r.blocks_copied, 1u);  // [1000,1999] meets no deleted range
  EXPECT_EQ(dir_listing(out()), std::vector<std::string>{"000000001-000000001.tsm"});  // no tombstone
  expect_points(read_back(r.tsm_files), kCpu,
                joined({points(BlockType::Float, times(0, 500)), points(BlockType::Float, times(510, 2000))}));
}

TEST_F(ShardRewriteTest, TombstoneAcrossBlocksMergesTheRemainsIntoFullBlocks) {
  write_tsm(tsm(1), {{kCpu, points(BlockType::Boolean, times(0, 3000))}});
  write_tombstones(tombstone(1), std::vector<Tombstone>{{kCpu, 900, 2100}});
  auto r = rewrite({{tsm(1), tombstone(1)}});
  EXPECT_EQ(r.points, 1799u);  // 0..899 and 2101..2999
  EXPECT_EQ(r.blocks_copied, 0u);
  EXPECT_EQ(r.blocks, 2u);
  expect_points(read_back(r.tsm_files), kCpu,
                joined({points(BlockType::Boolean, times(0, 900)), points(BlockType::Boolean, times(2101, 3000))}));
  using Spans = std::vector<std::pair<std::int64_t, std::int64_t>>;
  EXPECT_EQ(block_spans(r.tsm_files.at(0))[kCpu], (Spans{{0, 2200}, {2201, 2999}}));
}

TEST_F(ShardRewriteTest, TombstonedKeyIsDroppedAndOtherFilesKeepTheirPoints) {
  write_tsm(tsm(1), {{kCpu, points(BlockType::Float, times(0, 100))}, {kMem, points(BlockType::Float, times(0, 100))}});
  write_tsm(tsm(2), {{kMem, points(BlockType::Float, times(100, 200))}});
  // File 1's whole cpu key and its mem points are gone; file 2's mem points are its own (§6.6).
  write_tombstones(tombstone(1), std::vector<Tombstone>{{kCpu, kMin, kMax}, {kMem, kMin, kMax}});
  auto r = rewrite({{tsm(1), tombstone(1)}, {tsm(2), std::nullopt}});
  EXPECT_EQ(r.keys, 1u);
  EXPECT_EQ(r.points, 100u);
  EXPECT_EQ(r.blocks_copied, 1u);
  auto got = read_back(r.tsm_files);
  EXPECT_EQ(keys_of(got), std::vector<std::string>{kMem});
  expect_points(got, kMem, points(BlockType::Float, times(100, 200)));
}

TEST_F(ShardRewriteTest, KeyWhosePointsAreAllDeletedWithoutCoveringItsSpanIsDropped) {
  // Ranges hit every point but leave gaps between them: the block survives the index-level
  // check and only decoding shows that nothing is left.
  write_tsm(tsm(1), {{kCpu, points(BlockType::Float, {0, 10, 20})}, {kMem, points(BlockType::Float, {5})}});
  write_tombstones(tombstone(1), std::vector<Tombstone>{{kCpu, 0, 0}, {kCpu, 10, 10}, {kCpu, 20, 20}});
  auto r = rewrite({{tsm(1), tombstone(1)}});
  EXPECT_EQ(r.keys, 1u);
  EXPECT_EQ(r.blocks, 1u);
  EXPECT_EQ(keys_of(read_back(r.tsm_files)), std::vector<std::string>{kMem});
}

TEST_F(ShardRewriteTest, ShardWithNothingLeftGivesNoFile) {
  write_tsm(tsm(1), {{kCpu, points(BlockType::Float, times(0, 10))}});
  write_tombstones(tombstone(1), std::vector<Tombstone>{{kCpu, kMin, kMax}});
  auto r = rewrite({{tsm(1), tombstone(1)}});
  EXPECT_TRUE(r.tsm_files.empty());
  EXPECT_EQ(r.keys, 0u);
  EXPECT_EQ(r.points, 0u);
  EXPECT_TRUE(dir_listing(out()).empty());

  // The same through the keep range.
  fs::remove_all(out());
  fs::create_directories(out());
  auto cut = rewrite({{tsm(1), std::nullopt}}, {.keep = TimeRange{10, 100}});
  EXPECT_TRUE(cut.tsm_files.empty());
  EXPECT_TRUE(dir_listing(out()).empty());
}

// ---- the keep range ------------------------------------------------------------------------------

TEST_F(ShardRewriteTest, KeepRangeOnExactBlockBoundariesCopiesTheBlock) {
  write_tsm(tsm(1), {{kCpu, points(BlockType::Unsigned, times(0, 3000))}});
  auto r = rewrite({{tsm(1), std::nullopt}}, {.keep = TimeRange{1000, 1999}});
  EXPECT_EQ(r.points, 1000u);
  EXPECT_EQ(r.blocks, 1u);
  EXPECT_EQ(r.blocks_copied, 1u);
  expect_points(read_back(r.tsm_files), kCpu, points(BlockType::Unsigned, times(1000, 2000)));
}

TEST_F(ShardRewriteTest, KeepRangeOneInsideEachBoundaryCutsTheNeighbours) {
  write_tsm(tsm(1), {{kCpu, points(BlockType::Unsigned, times(0, 3000))}});
  auto r = rewrite({{tsm(1), std::nullopt}}, {.keep = TimeRange{999, 2000}});
  EXPECT_EQ(r.points, 1002u);
  EXPECT_EQ(r.blocks, 3u);  // [999], [1000,1999] copied, [2000]
  EXPECT_EQ(r.blocks_copied, 1u);
  expect_points(read_back(r.tsm_files), kCpu, points(BlockType::Unsigned, times(999, 2001)));
  using Spans = std::vector<std::pair<std::int64_t, std::int64_t>>;
  EXPECT_EQ(block_spans(r.tsm_files.at(0))[kCpu], (Spans{{999, 999}, {1000, 1999}, {2000, 2000}}));
}

TEST_F(ShardRewriteTest, AllFiveTypesCutInsideBlocksWithOverwritesAndTombstones) {
  const std::vector<BlockType> types = {BlockType::Float, BlockType::Integer, BlockType::Boolean, BlockType::String,
                                        BlockType::Unsigned};
  KeyPoints older, newer;
  std::vector<Tombstone> deleted;
  for (BlockType type : types) {
    const std::string key = fmt::format("m,t={}#!~#f", static_cast<int>(type));
    older.emplace_back(key, points(type, times(-1000, 1000, 2)));  // 1000 even points incl. negative
    newer.emplace_back(key, points(type, times(-10, 10), 9));      // overwrites around 0
    deleted.push_back({key, 300, 399});
  }
  write_tsm(tsm(1), older, 100);
  write_tsm(tsm(2), newer, 100);
  write_tombstones(tombstone(1), deleted);

  auto r = rewrite({{tsm(1), tombstone(1)}, {tsm(2), std::nullopt}},
                   {.keep = TimeRange{-501, 777}, .max_points_per_block = 100});
  auto got = read_back(r.tsm_files);
  ASSERT_EQ(got.size(), types.size());
  for (BlockType type : types) {
    const std::string key = fmt::format("m,t={}#!~#f", static_cast<int>(type));
    expect_points(got, key,
                  joined({points(type, times(-500, -10, 2)), points(type, times(-10, 10), 9),
                          points(type, times(10, 300, 2)), points(type, times(400, 778, 2))}));
  }
  // Per type the older file has blocks [-1000,-802], [-800,-602], … of 100 even points. Copied:
  // [-400,-202] and [400,598]. Cut by the keep range: [-600,-402] and [600,798]; merged with the
  // newer file: [-200,-2] and [0,198]; met by the tombstone: [200,398].
  EXPECT_EQ(r.blocks_copied, 2u * types.size());
  EXPECT_EQ(r.points, types.size() * (245u + 20u + 145u + 189u));
}

TEST_F(ShardRewriteTest, KeyOutsideTheKeepRangeIsDropped) {
  write_tsm(tsm(1),
            {{kCpu, points(BlockType::Float, times(0, 10))}, {kMem, points(BlockType::Float, times(100, 110))}});
  auto r = rewrite({{tsm(1), std::nullopt}}, {.keep = TimeRange{50, kMax}});
  EXPECT_EQ(r.keys, 1u);
  EXPECT_EQ(keys_of(read_back(r.tsm_files)), std::vector<std::string>{kMem});
}

// ---- output files --------------------------------------------------------------------------------

TEST_F(ShardRewriteTest, RollsOverToTheNextGenerationPastTheSizeLimit) {
  KeyPoints keys;
  for (int k = 0; k < 4; ++k) keys.emplace_back(fmt::format("k{}#!~#v", k), points(BlockType::Integer, times(0, 500)));
  write_tsm(tsm(1), keys, 100);
  // A 100-point block of regular times and values is a few dozen bytes (run-length encoded, §7):
  // the limit is passed every few blocks, also in the middle of a key.
  auto r = rewrite({{tsm(1), std::nullopt}}, {.max_points_per_block = 100, .max_tsm_file_bytes = 100});
  ASSERT_GT(r.tsm_files.size(), 2u);
  for (std::size_t i = 0; i < r.tsm_files.size(); ++i) {
    EXPECT_EQ(r.tsm_files[i], out() / fmt::format("{:09d}-000000001.tsm", i + 1));
  }
  EXPECT_EQ(dir_listing(out()).size(), r.tsm_files.size());  // no .pending left
  EXPECT_EQ(r.keys, 4u);
  EXPECT_EQ(r.blocks, 20u);
  auto got = read_back(r.tsm_files);
  for (const auto& [key, pts] : keys) expect_points(got, key, pts);
}

TEST_F(ShardRewriteTest, RefusesANonEmptyOutputDirectoryAndBadOptions) {
  write_tsm(tsm(1), {{kCpu, points(BlockType::Float, times(0, 10))}});
  ifx::test::write_file(out() / "stray", "x");
  auto busy = ifx::rewrite_shard_points({{tsm(1), std::nullopt}}, out());
  ASSERT_FALSE(busy.has_value());
  EXPECT_EQ(busy.error().code, ifx::ErrorCode::invalid_argument);

  auto missing = ifx::rewrite_shard_points({{tsm(1), std::nullopt}}, dir.path() / "nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ifx::ErrorCode::invalid_argument);

  fs::remove(out() / "stray");
  auto backwards = ifx::rewrite_shard_points({{tsm(1), std::nullopt}}, out(), {.keep = TimeRange{5, 4}});
  ASSERT_FALSE(backwards.has_value());
  EXPECT_EQ(backwards.error().code, ifx::ErrorCode::invalid_argument);
  auto zero = ifx::rewrite_shard_points({{tsm(1), std::nullopt}}, out(), {.max_points_per_block = 0});
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error().code, ifx::ErrorCode::invalid_argument);
}

// ---- damaged input -------------------------------------------------------------------------------

TEST_F(ShardRewriteTest, CorruptCopiedBlockFailsWithItsOffsetAndLeavesNothingBehind) {
  // Two keys so that the first one's output exists (and must be removed) when the second fails.
  write_tsm(tsm(1), {{kCpu, points(BlockType::Float, times(0, 10))}, {kMem, points(BlockType::Float, times(0, 10))}});
  const auto blocks = ifx::test::tsm_blocks(tsm(1));
  ASSERT_EQ(blocks.at(1).key, kMem);
  const std::uint64_t offset = blocks.at(1).entry.offset;
  std::string bytes = ifx::test::read_file(tsm(1));
  bytes[offset + 10] ^= 0x40;
  ifx::test::write_file(tsm(1), bytes);

  auto r = ifx::rewrite_shard_points({{tsm(1), std::nullopt}}, out());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ifx::ErrorCode::tsm_block_crc);
  EXPECT_EQ(r.error().offset, offset);
  EXPECT_EQ(r.error().file, tsm(1).string());
  EXPECT_TRUE(dir_listing(out()).empty());
}

TEST_F(ShardRewriteTest, IndexEntryThatLiesAboutItsBlockIsNotCopied) {
  // The index claims [0, 50] for a block holding 0..9: copying it would carry the lie (and the
  // keep test relies on the span), so the copy path checks the timestamps.
  auto lying = ifx::test::encoded_block(kCpu, points(BlockType::Float, times(0, 10)));
  lying.max_time = 50;
  ifx::test::write_tsm_blocks(tsm(1), {lying});

  auto r = ifx::rewrite_shard_points({{tsm(1), std::nullopt}}, out());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ifx::ErrorCode::tsm_time_range);
  EXPECT_EQ(r.error().offset, 5u);  // the block's CRC, right after the header (§6.1)
  EXPECT_TRUE(dir_listing(out()).empty());
}

TEST_F(ShardRewriteTest, TruncatedFileAndDamagedTombstoneAreReported) {
  write_tsm(tsm(1), {{kCpu, points(BlockType::Float, times(0, 10))}});
  std::string bytes = ifx::test::read_file(tsm(1));
  ifx::test::write_file(tsm(2), bytes.substr(0, 10));
  auto truncated = ifx::rewrite_shard_points({{tsm(1), std::nullopt}, {tsm(2), std::nullopt}}, out());
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error().code, ifx::ErrorCode::tsm_header);

  // v2 tombstone whose record claims a 1000-byte key but stops after 3 bytes.
  ifx::test::write_file(tombstone(1), std::string("\x00\x00\x15\x02\x00\x00\x03\xe8"
                                                  "cpu",
                                                  11));
  auto bad = ifx::rewrite_shard_points({{tsm(1), tombstone(1)}}, out());
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ifx::ErrorCode::tombstone_invalid);
  EXPECT_EQ(bad.error().offset, 4u);
  EXPECT_TRUE(dir_listing(out()).empty());
}

// ---- write_rewritten_shard and unpack_archives ----------------------------------------------------

TEST_F(ShardRewriteTest, WritesTheRewrittenShardAsTarEntriesWithoutTombstones) {
  // A shard archive as influxd would send it, plus a file that is neither TSM nor tombstone.
  write_tsm(tsm(1), {{kCpu, points(BlockType::Float, times(0, 2000))}});
  write_tsm(tsm(2), {{kCpu, points(BlockType::Float, times(1000, 1001), 3)}});
  write_tombstones(tombstone(1), std::vector<Tombstone>{{kCpu, 0, 99}});
  ifx::test::write_file(in() / "fields.idx", "field index bytes");
  const fs::path source = dir.path() / "source.tar.gz";
  std::vector<ifx::test::ArchiveFile> files;
  for (const char* name :
       {"000000001-000000001.tombstone", "000000001-000000001.tsm", "000000002-000000001.tsm", "fields.idx"})
    files.push_back({fmt::format("db/rp/7/{}", name), ifx::test::read_file(in() / name)});
  ifx::test::write_shard_archive(source, files);
  ifx::test::ScratchDir scratch("ifx-rewrite-scratch");
  auto shard = ifx::UnpackedShard::unpack_archives({source}, {"db", "rp", 7}, scratch.path());
  ASSERT_TRUE(shard.has_value()) << shard.error().describe();
  EXPECT_EQ(shard->scan().tsm_files, 2u);
  EXPECT_EQ(shard->scan().tombstones, 1u);

  const fs::path target = dir.path() / "rewritten.tar";
  auto writer = ifx::ShardArchiveWriter::create(target, {.compression = ifx::ArchiveCompression::none});
  ASSERT_TRUE(writer.has_value());
  auto r = ifx::write_rewritten_shard(*shard, "db2", "rp2", 9, *writer, scratch.path(), {.keep = TimeRange{0, 1499}});
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  ASSERT_TRUE(writer->finish().has_value());
  EXPECT_EQ(r->points, 1400u);
  EXPECT_EQ(r->blocks_copied, 0u);

  auto entries = ifx::test::read_shard_archive(target);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "db2/rp2/9/000000001-000000001.tsm");
  EXPECT_EQ(entries[1].name, "db2/rp2/9/fields.idx");
  EXPECT_EQ(entries[1].data, "field index bytes");
  const fs::path copy = dir.path() / "back.tsm";
  ifx::test::write_file(copy, entries[0].data);
  expect_points(read_back({copy}), kCpu,
                joined({points(BlockType::Float, times(100, 1000)), points(BlockType::Float, times(1000, 1001), 3),
                        points(BlockType::Float, times(1001, 1500))}));
  // Only the unpacked shard (and its scratch lock) is left in the scratch root: the rewrite's
  // directory and lock are gone.
  const std::string unpacked = shard->dir().filename().string();
  EXPECT_EQ(dir_listing(scratch.path()), (std::vector<std::string>{unpacked, unpacked + ".lock"}));
}

TEST_F(ShardRewriteTest, UnpackArchivesChecksTheShardAndTheFiles) {
  write_tsm(tsm(1), {{kCpu, points(BlockType::Float, times(0, 10))}});
  const fs::path first = dir.path() / "a.tar";
  const fs::path second = dir.path() / "b.tar.zst";
  const std::string tsm_bytes = ifx::test::read_file(tsm(1));
  ifx::test::write_shard_archive(first, {{"db/rp/7/000000001-000000001.tsm", tsm_bytes}, {"db/rp/7/other", tsm_bytes}},
                                 {.compression = ifx::ArchiveCompression::none});
  ifx::test::write_shard_archive(second, {{"db/rp/7/other", "newer"}}, {.compression = ifx::ArchiveCompression::zstd});
  ifx::test::ScratchDir scratch("ifx-rewrite-scratch");
  {
    auto shard = ifx::UnpackedShard::unpack_archives({first, second}, {"db", "rp", 7}, scratch.path());
    ASSERT_TRUE(shard.has_value()) << shard.error().describe();
    EXPECT_EQ(shard->scan().files, (std::vector<std::string>{"000000001-000000001.tsm", "other"}));
    EXPECT_EQ(ifx::test::read_file(shard->dir() / "other"), "newer");  // the later archive wins
    EXPECT_EQ(shard->tsm_paths(), std::vector<fs::path>{shard->dir() / "000000001-000000001.tsm"});
  }
  EXPECT_TRUE(dir_listing(scratch.path()).empty());  // removed with the UnpackedShard

  auto wrong = ifx::UnpackedShard::unpack_archives({first}, {"db", "rp", 8}, scratch.path());
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ifx::ErrorCode::unsafe_path);
  EXPECT_EQ(wrong.error().file, first.string());

  auto missing = ifx::UnpackedShard::unpack_archives({first, dir.path() / "gone.tar"}, {}, scratch.path());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ifx::ErrorCode::file_missing);
  EXPECT_EQ(missing.error().file, (dir.path() / "gone.tar").string());
  EXPECT_TRUE(dir_listing(scratch.path()).empty());
}

// ---- real backups written by influxd 1.6.7 (fixtures/README.md) ---------------------------------

struct MeasurementTruth {
  std::int64_t series = 0, points = 0, values = 0;
  std::int64_t min_time = kMax, max_time = kMin;
  bool operator==(const MeasurementTruth&) const = default;
};

void PrintTo(const MeasurementTruth& m, std::ostream* os) {
  *os << "series=" << m.series << " points=" << m.points << " values=" << m.values << " time=[" << m.min_time << ", "
      << m.max_time << "]";
}

std::map<std::string, MeasurementTruth> truth_of(const std::string& fixture) {
  const auto truth = ifx::test::fixture_truth(fixture);
  std::map<std::string, MeasurementTruth> out;
  for (const auto& d : truth["data"]) {
    out[d["measurement"].get<std::string>()] = {d["series"], d["points"], d["values"], d["min_time"], d["max_time"]};
  }
  return out;
}

// Adds the points of rewritten TSM files to per-measurement totals (series: distinct series keys;
// points: distinct (series, time); values: one per key and time).
void summarize(const std::vector<fs::path>& files, std::map<std::string, MeasurementTruth>& out) {
  std::map<std::string, std::vector<std::int64_t>> series_times;
  for (const auto& [key, pts] : read_back(files)) {
    auto parts = ifx::tsm::split_composite_key(key);
    MeasurementTruth& m = out[ifx::tsm::measurement_of(parts.series_key)];
    m.values += static_cast<std::int64_t>(pts.size());
    m.min_time = std::min(m.min_time, pts.times.front());
    m.max_time = std::max(m.max_time, pts.times.back());
    auto& t = series_times[std::string(parts.series_key)];
    t.insert(t.end(), pts.times.begin(), pts.times.end());
  }
  for (auto& [series, ts] : series_times) {
    std::sort(ts.begin(), ts.end());
    MeasurementTruth& m = out[ifx::tsm::measurement_of(series)];
    ++m.series;
    m.points += std::unique(ts.begin(), ts.end()) - ts.begin();
  }
}

// Every shard of a portable fixture unpacked with unpack_archives, rewritten, summarized.
std::map<std::string, MeasurementTruth> rewrite_fixture(const std::string& name, const fs::path& work,
                                                        std::uint64_t& rewritten_files) {
  std::map<std::string, MeasurementTruth> out;
  auto set = ifx::open_backup_set(ifx::test::fixture(name));
  EXPECT_TRUE(set.has_value()) << set.error().describe();
  if (!set) return out;
  for (const auto& shard : set->shards) {
    std::vector<fs::path> archives;
    for (const auto& a : shard.archives) archives.push_back(set->dir / a.file_name);
    auto unpacked = ifx::UnpackedShard::unpack_archives(archives,
                                                        {shard.database, shard.retention_policy, shard.shard_id}, work);
    EXPECT_TRUE(unpacked.has_value()) << unpacked.error().describe();
    if (!unpacked) continue;
    // The BackupSet overload delegates to the same loop: same files, same byte counts.
    auto via_set = ifx::UnpackedShard::unpack(*set, shard, work);
    EXPECT_TRUE(via_set.has_value()) << via_set.error().describe();
    if (via_set) {
      EXPECT_EQ(via_set->scan().files, unpacked->scan().files);
      EXPECT_EQ(via_set->scan().tar_bytes, unpacked->scan().tar_bytes);
      EXPECT_EQ(via_set->scan().archive_bytes, unpacked->scan().archive_bytes);
    }
    std::vector<TsmFileRef> files;
    for (const auto& p : unpacked->tsm_paths()) files.push_back({p, unpacked->tombstone_for(p)});
    const fs::path out_dir = work / fmt::format("out-{}", shard.shard_id);
    fs::create_directories(out_dir);
    auto r = ifx::rewrite_shard_points(files, out_dir);
    EXPECT_TRUE(r.has_value()) << r.error().describe();
    if (!r) continue;
    rewritten_files += r->tsm_files.size();
    summarize(r->tsm_files, out);
  }
  return out;
}

TEST_F(ShardRewriteTest, RealBackupWithTombstonesLosesTheDeletedPoints) {
  if (!fs::exists(ifx::test::fixture("portable-tombstones"))) GTEST_SKIP() << "fixtures not generated";
  std::uint64_t files = 0;
  EXPECT_EQ(rewrite_fixture("portable-tombstones", dir.path(), files), truth_of("portable-tombstones"));
  EXPECT_EQ(files, 2u);  // one fresh file per shard, no tombstone
}

TEST_F(ShardRewriteTest, RealBackupWithAnOverwriteKeepsTheNewerValue) {
  if (!fs::exists(ifx::test::fixture("portable-db"))) GTEST_SKIP() << "fixtures not generated";
  std::uint64_t files = 0;
  EXPECT_EQ(rewrite_fixture("portable-db", dir.path(), files), truth_of("portable-db"));

  // fixtures/README.md: the overwritten point's new value 99.5, in shard 9's rewritten file.
  auto got = read_back({dir.path() / "out-9" / "000000001-000000001.tsm"});
  auto it = got.find(R"(cpu,host=h1,region=eu\ west#!~#usage)");
  ASSERT_NE(it, got.end());
  auto at = std::find(it->second.times.begin(), it->second.times.end(), 1700009400000000000);
  ASSERT_NE(at, it->second.times.end());
  EXPECT_EQ(it->second.floats[static_cast<std::size_t>(at - it->second.times.begin())], 99.5);
}

}  // namespace
