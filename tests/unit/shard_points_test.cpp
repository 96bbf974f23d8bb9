// ShardPoints: keys merged across a shard's TSM files, newest file wins on equal timestamps,
// tombstones applied per file (docs/FORMATS.md §6.2, §6.4, §6.6).
#include "ifx/format/tsm/shard_points.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/format/tsm/tombstone.hpp"
#include "support/paths.hpp"
#include "support/tsm_builder.hpp"

namespace {

using namespace ifx::tsm;
namespace fs = std::filesystem;

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

using FloatPoints = std::vector<std::pair<std::int64_t, double>>;
using ifx::test::points;
using ifx::test::write_tombstones;
using ifx::test::write_tsm;

// Points t = from, from+step, ... < to, all with value v.
FloatPoints run(std::int64_t from, std::int64_t to, double v, std::int64_t step = 1) {
  FloatPoints p;
  for (std::int64_t t = from; t < to; t += step) p.emplace_back(t, v);
  return p;
}

std::vector<KeyInfo> all_keys(ShardPoints& shard) {
  std::vector<KeyInfo> keys;
  KeyInfo k;
  for (;;) {
    auto more = shard.next_key(k);
    EXPECT_TRUE(more.has_value()) << more.error().describe();
    if (!more || !*more) break;
    keys.push_back(k);
  }
  return keys;
}

std::vector<std::string> names(const std::vector<KeyInfo>& keys) {
  std::vector<std::string> out;
  for (const auto& k : keys) out.push_back(k.key);
  return out;
}

FloatPoints read_floats(const ShardPoints& shard, const KeyInfo& key, std::size_t* batches = nullptr) {
  FloatPoints out;
  auto cursor = shard.open_cursor(key);
  DecodedBlock batch;
  for (;;) {
    auto more = cursor.next(batch);
    EXPECT_TRUE(more.has_value()) << more.error().describe();
    if (!more || !*more) break;
    EXPECT_EQ(batch.type, BlockType::Float);
    EXPECT_EQ(batch.floats.size(), batch.times.size());
    for (std::size_t i = 0; i < batch.size(); ++i) out.emplace_back(batch.times[i], batch.floats[i]);
    if (batches) ++*batches;
  }
  return out;
}

FloatPoints concat(std::initializer_list<FloatPoints> parts) {
  FloatPoints out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

class ShardPointsTest : public ::testing::Test {
 protected:
  ifx::test::ScratchDir dir{"shard-points-test"};
  fs::path tsm(int generation) { return dir / fmt_tsm(generation); }
  static std::string fmt_tsm(int g) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%09d-%09d.tsm", g, 1);
    return buf;
  }
  ShardPoints open(std::vector<TsmFileRef> files, ifx::tsm::ShardPointsOptions options = {}) {
    auto shard = ShardPoints::open(std::move(files), options);
    EXPECT_TRUE(shard.has_value()) << shard.error().describe();
    return std::move(*shard);
  }
  // The cursor of the one key the shard must hold.
  static ifx::tsm::KeyCursor only_key_cursor(ShardPoints& shard) {
    auto keys = all_keys(shard);
    EXPECT_EQ(keys.size(), 1u);
    return shard.open_cursor(keys.at(0));
  }
};

TEST(CompositeKey, SplitsAtTheFirstSeparatorAndUnescapesTheMeasurement) {
  // docs/FORMATS.md §6.4 real example.
  const std::string key = R"(we\,ird\ meas,t\=k=v\,1\ x#!~#f k=,")";
  auto parts = ifx::tsm::split_composite_key(key);
  EXPECT_TRUE(parts.has_separator);
  EXPECT_EQ(parts.series_key, R"(we\,ird\ meas,t\=k=v\,1\ x)");
  EXPECT_EQ(parts.field, R"(f k=,")");
  EXPECT_EQ(ifx::tsm::measurement_of(parts.series_key), "we,ird meas");

  parts = ifx::tsm::split_composite_key("cpu#!~#a#!~#b");  // first separator
  EXPECT_EQ(parts.series_key, "cpu");
  EXPECT_EQ(parts.field, "a#!~#b");

  parts = ifx::tsm::split_composite_key("cpu,host=a");
  EXPECT_FALSE(parts.has_separator);
  EXPECT_EQ(parts.series_key, "cpu,host=a");
  EXPECT_EQ(parts.field, "");

  EXPECT_EQ(ifx::tsm::measurement_of("cpu,host=a,region=b"), "cpu");
  EXPECT_EQ(ifx::tsm::measurement_of("cpu"), "cpu");
  EXPECT_EQ(ifx::tsm::measurement_of(R"(a\ b\,c)"), "a b,c");
  EXPECT_EQ(ifx::tsm::measurement_of(R"(a\=b,t=1)"), R"(a\=b)");  // only "\," and "\ " unescape
  EXPECT_EQ(ifx::tsm::measurement_of(",x,t=1"), ",x");            // the first byte is always the name
  EXPECT_EQ(ifx::tsm::measurement_of(""), "");
}

TEST_F(ShardPointsTest, KeysAreMergedInOrderAcrossFiles) {
  write_tsm(tsm(1), {{"a#!~#v", points(run(0, 5, 1))}, {"c#!~#v", points(run(0, 5, 1))}});
  write_tsm(tsm(2),
            {{"b#!~#v", points(run(0, 5, 2))}, {"c#!~#v", points(run(10, 12, 2))}, {"d#!~#v", points(run(0, 1, 2))}});
  ShardPoints shard = open({{tsm(1), {}}, {tsm(2), {}}});
  auto keys = all_keys(shard);
  EXPECT_EQ(names(keys), (std::vector<std::string>{"a#!~#v", "b#!~#v", "c#!~#v", "d#!~#v"}));
  ASSERT_EQ(keys.size(), 4u);
  ASSERT_EQ(keys[2].sources.size(), 2u);
  EXPECT_EQ(keys[2].sources[0].file, 0u);
  EXPECT_EQ(keys[2].sources[1].file, 1u);
  EXPECT_EQ(keys[2].block_count(), 2u);
  EXPECT_EQ(keys[2].min_time(), 0);
  EXPECT_EQ(keys[2].max_time(), 11);
  EXPECT_EQ(read_floats(shard, keys[2]), concat({run(0, 5, 1), run(10, 12, 2)}));
  EXPECT_EQ(read_floats(shard, keys[1]), run(0, 5, 2));
}

TEST_F(ShardPointsTest, OverlappingBlocksNewerFileWins) {
  // Older file: 0..99 value 1; newer: every third point of 50..149 value 2; newest: 90..94 value 3.
  write_tsm(tsm(1), {{"m#!~#v", points(run(0, 100, 1))}}, 10);
  write_tsm(tsm(2), {{"m#!~#v", points(run(50, 150, 2, 3))}}, 7);
  write_tsm(tsm(3), {{"m#!~#v", points(run(90, 95, 3))}});
  ShardPoints shard = open({{tsm(1), {}}, {tsm(2), {}}, {tsm(3), {}}});
  auto keys = all_keys(shard);
  ASSERT_EQ(keys.size(), 1u);

  std::map<std::int64_t, double> expected;
  for (auto [t, v] : run(0, 100, 1)) expected[t] = v;
  for (auto [t, v] : run(50, 150, 2, 3)) expected[t] = v;
  for (auto [t, v] : run(90, 95, 3)) expected[t] = v;
  FloatPoints want(expected.begin(), expected.end());
  EXPECT_EQ(read_floats(shard, keys[0]), want);

  // The same files given newest-first invert the winner: order is the caller's generation order.
  ShardPoints reversed = open({{tsm(3), {}}, {tsm(2), {}}, {tsm(1), {}}});
  auto rkeys = all_keys(reversed);
  ASSERT_EQ(rkeys.size(), 1u);
  auto got = read_floats(reversed, rkeys[0]);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(got[50], (std::pair<std::int64_t, double>{50, 1}));  // t=50 from the (now newest) first file
}

// A file the writer refuses to make: one key whose blocks overlap in time (legal on disk,
// docs/FORMATS.md §6.2 only requires entries sorted by minTime). The second block is written declaring
// a start after the first block's end, then its index entry gets the block's own minTime.
void write_overlapping_blocks(const fs::path& path, const std::string& key, const DecodedBlock& first,
                              const DecodedBlock& second) {
  auto later = ifx::test::encoded_block(key, second);
  later.min_time = first.times.back() + 1;
  ifx::test::write_tsm_blocks(path, {ifx::test::encoded_block(key, first), later});
  std::string bytes = ifx::test::read_file(path);
  const auto blocks = ifx::test::tsm_blocks(bytes);
  ifx::test::put_be(bytes, blocks.at(1).index_entry_offset + ifx::test::kEntryMinTime,
                    static_cast<std::uint64_t>(second.times.front()), 8);
  ifx::test::write_file(path, bytes);
}

TEST_F(ShardPointsTest, OverlappingBlocksInsideOneFileLaterEntryWins) {
  write_overlapping_blocks(tsm(1), "m#!~#v", points(run(0, 10, 1)), points(run(5, 15, 2)));
  ShardPoints shard = open({{tsm(1), {}}});
  auto keys = all_keys(shard);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].block_count(), 2u);
  EXPECT_EQ(read_floats(shard, keys[0]), concat({run(0, 5, 1), run(5, 15, 2)}));
}

TEST_F(ShardPointsTest, TombstoneDeletesAWholeKey) {
  write_tsm(tsm(1),
            {{"a#!~#v", points(run(0, 5, 1))}, {"b#!~#v", points(run(0, 5, 1))}, {"c#!~#v", points(run(0, 5, 1))}});
  const fs::path ts = dir / "000000001-000000001.tombstone";
  std::vector<Tombstone> records{{"b#!~#v", kMin, kMax}};
  write_tombstones(ts, records);
  ShardPoints shard = open({{tsm(1), ts}});
  EXPECT_EQ(names(all_keys(shard)), (std::vector<std::string>{"a#!~#v", "c#!~#v"}));
}

TEST_F(ShardPointsTest, TombstoneDeletesAMiddleRangeInclusive) {
  write_tsm(tsm(1), {{"m#!~#v", points(run(0, 100, 1))}}, 10);
  const fs::path ts = dir / "t1.tombstone";
  std::vector<Tombstone> records{{"m#!~#v", 25, 64}, {"other#!~#v", kMin, kMax}};
  write_tombstones(ts, records);
  ShardPoints shard = open({{tsm(1), ts}});
  auto keys = all_keys(shard);
  ASSERT_EQ(keys.size(), 1u);
  // Blocks [30,39] .. [50,59] lie inside the range and are not even read.
  EXPECT_EQ(keys[0].block_count(), 7u);
  ASSERT_EQ(keys[0].sources[0].deleted.size(), 1u);
  EXPECT_EQ(keys[0].sources[0].deleted[0], (ifx::tsm::TimeRange{25, 64}));
  EXPECT_EQ(read_floats(shard, keys[0]), concat({run(0, 25, 1), run(65, 100, 1)}));
}

TEST_F(ShardPointsTest, AdjacentRangesJoin) {
  write_tsm(tsm(1), {{"a#!~#v", points(run(10, 21, 1))}, {"b#!~#v", points(run(10, 21, 1))}});
  const fs::path ts = dir / "t.tombstone";
  // a: [0,14] + [15,30] cover the key's whole span → the key is gone (docs/FORMATS.md §6.6).
  // b: [10,12] + [13,14] + [19,19] over two batches (two gzip members) → 15..18 and 20 remain.
  std::vector<std::vector<Tombstone>> batches{{{"a#!~#v", 0, 14}, {"b#!~#v", 13, 14}},
                                              {{"a#!~#v", 15, 30}, {"b#!~#v", 10, 12}, {"b#!~#v", 19, 19}}};
  write_tombstones(ts, batches);
  ShardPoints shard = open({{tsm(1), ts}});
  auto keys = all_keys(shard);
  EXPECT_EQ(names(keys), (std::vector<std::string>{"b#!~#v"}));
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].sources[0].deleted, (std::vector<ifx::tsm::TimeRange>{{10, 14}, {19, 19}}));
  EXPECT_EQ(read_floats(shard, keys[0]), concat({run(15, 19, 1), run(20, 21, 1)}));
}

TEST_F(ShardPointsTest, TombstonesApplyToTheirOwnFileOnly) {
  write_tsm(tsm(1), {{"m#!~#v", points(run(0, 10, 1))}});
  write_tsm(tsm(2), {{"m#!~#v", points(run(0, 10, 2))}});
  const fs::path ts = dir / "2.tombstone";
  std::vector<Tombstone> records{{"m#!~#v", 3, 5}};
  write_tombstones(ts, records);
  ShardPoints shard = open({{tsm(1), {}}, {tsm(2), ts}});
  auto keys = all_keys(shard);
  ASSERT_EQ(keys.size(), 1u);
  // 3..5 deleted in the newer file: the older file's values show through.
  EXPECT_EQ(read_floats(shard, keys[0]), concat({run(0, 3, 2), run(3, 6, 1), run(6, 10, 2)}));
}

TEST_F(ShardPointsTest, V1V2V3TombstonesAreApplied) {
  write_tsm(tsm(1), {{"a#!~#v", points(run(0, 5, 1))}, {"b#!~#v", points(run(0, 5, 1))}});
  const fs::path v1 = dir / "v1.tombstone", v2 = dir / "v2.tombstone", v3 = dir / "v3.tombstone";
  ifx::test::write_file(v1, "a#!~#v\n");
  std::vector<std::vector<Tombstone>> batch{{{"b#!~#v", 1, 3}}};
  write_tombstones(v2, batch, ifx::tsm::TombstoneVersion::V2);
  write_tombstones(v3, batch, ifx::tsm::TombstoneVersion::V3);
  ShardPoints with_v1 = open({{tsm(1), v1}});
  EXPECT_EQ(names(all_keys(with_v1)), (std::vector<std::string>{"b#!~#v"}));
  for (const fs::path& p : {v2, v3}) {
    ShardPoints shard = open({{tsm(1), p}});
    auto keys = all_keys(shard);
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_EQ(read_floats(shard, keys[1]), (FloatPoints{{0, 1}, {4, 1}}));
  }
}

TEST_F(ShardPointsTest, ManyBlocksAreStreamedInBoundedBatches) {
  constexpr std::int64_t kPoints = 50000;
  write_tsm(tsm(1), {{"m#!~#v", points(run(-kPoints, kPoints, 1, 2))}}, 1000);  // 50 blocks
  write_tsm(tsm(2), {{"m#!~#v", points(run(-kPoints + 1, kPoints, 2, 20))}}, 1000);
  ShardPoints shard = open({{tsm(1), {}}, {tsm(2), {}}}, {.batch_points = 700});
  auto keys = all_keys(shard);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].block_count(), 50u + 5u);
  auto cursor = shard.open_cursor(keys[0]);
  DecodedBlock batch;
  std::int64_t expected_next = -kPoints, batches = 0, count = 0;
  for (;;) {
    auto more = cursor.next(batch);
    ASSERT_TRUE(more.has_value()) << more.error().describe();
    if (!*more) break;
    ++batches;
    ASSERT_LE(batch.size(), 700u);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      // Even times from the first file, every 20th odd time from the second (value 2).
      while (expected_next % 2 != 0 && (expected_next + kPoints - 1) % 20 != 0) ++expected_next;
      ASSERT_EQ(batch.times[i], expected_next);
      ASSERT_EQ(batch.floats[i], expected_next % 2 == 0 ? 1.0 : 2.0);
      ++expected_next;
      ++count;
    }
  }
  EXPECT_EQ(count, kPoints + kPoints / 10);
  EXPECT_GE(batches, count / 700);
  DecodedBlock after;
  auto more = cursor.next(after);  // stays at the end
  ASSERT_TRUE(more.has_value());
  EXPECT_FALSE(*more);
  EXPECT_EQ(after.size(), 0u);
}

TEST_F(ShardPointsTest, SeveralCursorsAtOnceAndOtherTypes) {
  std::vector<std::pair<std::int64_t, std::int64_t>> int_points;
  std::vector<std::pair<std::int64_t, std::string>> string_points;
  std::vector<std::pair<std::int64_t, bool>> bool_points;
  std::vector<std::pair<std::int64_t, std::uint64_t>> unsigned_points;
  for (std::int64_t t = -5; t < 3000; ++t) {
    int_points.emplace_back(t, -t * 7);
    if (t % 3 == 0) {
      string_points.emplace_back(t, "s" + std::to_string(t));
      bool_points.emplace_back(t, t % 2 == 0);
      unsigned_points.emplace_back(t, static_cast<std::uint64_t>(t) * 3);
    }
  }
  const DecodedBlock ints = points(int_points), strs = points(string_points), bools = points(bool_points),
                     uints = points(unsigned_points);
  write_tsm(
      tsm(1),
      {{"cpu,host=a#!~#b", bools}, {"cpu,host=a#!~#i", ints}, {"cpu,host=a#!~#s", strs}, {"cpu,host=a#!~#u", uints}});
  ShardPoints shard = open({{tsm(1), {}}}, {.batch_points = 128});
  auto keys = all_keys(shard);
  ASSERT_EQ(keys.size(), 4u);
  std::vector<ifx::tsm::KeyCursor> cursors;
  for (const auto& k : keys) cursors.push_back(shard.open_cursor(k));
  std::vector<DecodedBlock> collected(4);
  for (std::size_t i = 0; i < 4; ++i) collected[i].type = keys[i].type;
  // Round-robin over the cursors, one batch each at a time.
  for (bool progress = true; progress;) {
    progress = false;
    for (std::size_t i = 0; i < cursors.size(); ++i) {
      DecodedBlock batch;
      auto more = cursors[i].next(batch);
      ASSERT_TRUE(more.has_value()) << more.error().describe();
      if (!*more) continue;
      progress = true;
      EXPECT_EQ(cursors[i].key(), keys[i].key);
      ifx::test::append_points(collected[i], batch);
    }
  }
  EXPECT_EQ(collected[0].times, bools.times);
  EXPECT_EQ(collected[0].booleans, bools.booleans);
  EXPECT_EQ(collected[1].times, ints.times);
  EXPECT_EQ(collected[1].integers, ints.integers);
  EXPECT_EQ(collected[2].strings, strs.strings);
  EXPECT_EQ(collected[3].unsigneds, uints.unsigneds);
}

TEST_F(ShardPointsTest, FieldTypeConflictAcrossFilesIsAnError) {
  write_tsm(tsm(1), {{"a#!~#v", points(run(0, 3, 1))}, {"m#!~#v", points(run(0, 3, 1))}});
  write_tsm(tsm(2), {{"m#!~#v", points<std::int64_t>({{1, 5}, {2, 6}})}});
  ShardPoints shard = open({{tsm(1), {}}, {tsm(2), {}}});
  KeyInfo k;
  ASSERT_TRUE(shard.next_key(k).value());
  auto more = shard.next_key(k);
  ASSERT_FALSE(more.has_value());
  EXPECT_EQ(more.error().code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(more.error().file, tsm(2).string());
  auto reader = ifx::tsm::TsmReader::open(tsm(2));
  ASSERT_TRUE(reader.has_value());
  EXPECT_EQ(more.error().offset, reader->index_offset());
  EXPECT_NE(more.error().message.find("float"), std::string::npos) << more.error().message;
  EXPECT_NE(more.error().message.find("integer"), std::string::npos) << more.error().message;
  EXPECT_FALSE(shard.next_key(k).has_value());  // stays failed
}

TEST_F(ShardPointsTest, DamagedBlockAndTimeRangeAreReportedByTheCursor) {
  write_tsm(tsm(1), {{"m#!~#v", points(run(0, 30, 1))}}, 10);
  const std::string bytes = ifx::test::read_file(tsm(1));
  const auto second = ifx::test::tsm_blocks(tsm(1)).at(1);

  std::string crc_damaged = bytes;
  crc_damaged[second.entry.offset + 10] ^= 0x04;
  ifx::test::write_file(tsm(2), crc_damaged);
  {
    ShardPoints shard = open({{tsm(2), {}}}, {.batch_points = 5});
    auto cursor = only_key_cursor(shard);
    DecodedBlock batch;
    ASSERT_TRUE(cursor.next(batch).value());  // first block is fine
    ASSERT_TRUE(cursor.next(batch).value());
    auto more = cursor.next(batch);
    ASSERT_FALSE(more.has_value());
    EXPECT_EQ(more.error().code, ifx::ErrorCode::tsm_block_crc);
    EXPECT_EQ(more.error().offset, second.entry.offset);
    EXPECT_EQ(more.error().file, tsm(2).string());
  }

  // Index says the second block starts at 9, the block says 10.
  std::string range_damaged = bytes;
  ifx::test::put_be(range_damaged, second.index_entry_offset + ifx::test::kEntryMinTime, 9, 8);
  ifx::test::write_file(tsm(3), range_damaged);
  ShardPoints shard = open({{tsm(3), {}}}, {.batch_points = 100});
  auto cursor = only_key_cursor(shard);
  DecodedBlock batch;
  auto more = cursor.next(batch);
  ASSERT_FALSE(more.has_value());
  EXPECT_EQ(more.error().code, ifx::ErrorCode::tsm_time_range);
  EXPECT_EQ(more.error().offset, second.entry.offset);
}

TEST_F(ShardPointsTest, OpenFailsOnBadFiles) {
  write_tsm(tsm(1), {{"m#!~#v", points(run(0, 3, 1))}});
  auto shard = ShardPoints::open({{tsm(1), dir / "missing.tombstone"}});
  ASSERT_FALSE(shard.has_value());
  EXPECT_EQ(shard.error().code, ifx::ErrorCode::io);
  ifx::test::write_file(tsm(2), "not a tsm file at all");
  shard = ShardPoints::open({{tsm(1), {}}, {tsm(2), {}}});
  ASSERT_FALSE(shard.has_value());
  EXPECT_EQ(shard.error().code, ifx::ErrorCode::tsm_header);
  EXPECT_EQ(shard.error().file, tsm(2).string());
}

// ---- real backups written by influxd 1.6.7 (fixtures/README.md) ---------------------------------

// Per measurement, what the fixture's truth file lists: series, distinct (series, time) points,
// non-null values, field types, time range.
struct MeasurementTruth {
  std::int64_t series = 0, points = 0, values = 0;
  std::map<std::string, std::string> fields;
  std::int64_t min_time = kMax, max_time = kMin;
  bool operator==(const MeasurementTruth&) const = default;
};

void PrintTo(const MeasurementTruth& m, std::ostream* os) {
  *os << "series=" << m.series << " points=" << m.points << " values=" << m.values << " time=[" << m.min_time << ", "
      << m.max_time << "] fields=";
  for (const auto& [k, v] : m.fields) *os << k << ":" << v << " ";
}

// Spools every shard archive of a portable fixture into dir/<shard id>/ with the tar reader.
std::map<std::uint64_t, std::vector<fs::path>> extract_shards(const fs::path& fixture, const fs::path& dir) {
  std::map<std::uint64_t, std::vector<fs::path>> shards;
  for (const auto& item : fs::directory_iterator(fixture)) {
    if (!item.path().string().ends_with(".tar.gz")) continue;
    auto archive = ifx::ShardArchiveReader::open(item.path());
    EXPECT_TRUE(archive.has_value()) << archive.error().describe();
    if (!archive) continue;
    ifx::ArchiveEntry entry;
    while (archive->next(entry).value_or(false)) {
      fs::path out = dir / std::to_string(entry.shard.shard_id) / entry.shard.file;
      fs::create_directories(out.parent_path());
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      EXPECT_TRUE(archive->copy_to_fd(fd, out).has_value());
      ::close(fd);
      shards[entry.shard.shard_id].push_back(out);
    }
  }
  return shards;
}

// The TSM files of a shard in generation order, each with its tombstone if present.
std::vector<TsmFileRef> shard_files(std::vector<fs::path> files) {
  std::sort(files.begin(), files.end());  // %09d-%09d names sort by generation
  std::vector<TsmFileRef> refs;
  for (const fs::path& f : files) {
    if (f.extension() != ".tsm") continue;
    fs::path tombstone = fs::path(f).replace_extension(".tombstone");
    refs.push_back({f, fs::exists(tombstone) ? std::optional(tombstone) : std::nullopt});
  }
  return refs;
}

std::map<std::string, MeasurementTruth> summarize_shards(const std::map<std::uint64_t, std::vector<fs::path>>& shards) {
  std::map<std::string, MeasurementTruth> out;
  for (const auto& [id, files] : shards) {
    auto shard = ShardPoints::open(shard_files(files));
    EXPECT_TRUE(shard.has_value()) << shard.error().describe();
    if (!shard) continue;
    std::string current_series;
    std::vector<std::int64_t> series_times;
    auto close_series = [&] {
      if (current_series.empty()) return;
      std::sort(series_times.begin(), series_times.end());
      MeasurementTruth& m = out[ifx::tsm::measurement_of(current_series)];
      ++m.series;
      m.points += std::unique(series_times.begin(), series_times.end()) - series_times.begin();
      series_times.clear();
    };
    KeyInfo key;
    while (shard->next_key(key).value_or(false)) {
      auto parts = ifx::tsm::split_composite_key(key.key);
      if (parts.series_key != current_series) {
        close_series();
        current_series = parts.series_key;
      }
      MeasurementTruth& m = out[ifx::tsm::measurement_of(parts.series_key)];
      m.fields[std::string(parts.field)] = std::string(ifx::tsm::block_type_name(key.type));
      auto cursor = shard->open_cursor(key);
      DecodedBlock batch;
      for (;;) {
        auto more = cursor.next(batch);
        EXPECT_TRUE(more.has_value()) << more.error().describe();
        if (!more || !*more) break;
        m.values += static_cast<std::int64_t>(batch.size());
        m.min_time = std::min(m.min_time, batch.times.front());
        m.max_time = std::max(m.max_time, batch.times.back());
        series_times.insert(series_times.end(), batch.times.begin(), batch.times.end());
      }
    }
    close_series();
  }
  return out;
}

std::map<std::string, MeasurementTruth> truth_of(const std::string& fixture) {
  const auto truth = ifx::test::fixture_truth(fixture);
  std::map<std::string, MeasurementTruth> out;
  for (const auto& d : truth["data"]) {
    MeasurementTruth m{d["series"], d["points"], d["values"], {}, d["min_time"], d["max_time"]};
    for (const auto& [k, v] : d["fields"].items()) m.fields[k] = v.get<std::string>();
    out[d["measurement"].get<std::string>()] = m;
  }
  return out;
}

TEST_F(ShardPointsTest, RealBackupWithTombstonesMatchesWhatQueriesReturned) {
  if (!fs::exists(ifx::test::fixture("portable-tombstones"))) GTEST_SKIP() << "fixtures not generated";
  auto shards = extract_shards(ifx::test::fixture("portable-tombstones"), dir.path());
  ASSERT_EQ(shards.size(), 2u);
  EXPECT_EQ(summarize_shards(shards), truth_of("portable-tombstones"));
}

TEST_F(ShardPointsTest, RealBackupWithAnOverwriteAcrossThreeFilesMatchesWhatQueriesReturned) {
  if (!fs::exists(ifx::test::fixture("portable-db-rp-shard"))) GTEST_SKIP() << "fixtures not generated";
  auto shards = extract_shards(ifx::test::fixture("portable-db-rp-shard"), dir.path());
  ASSERT_EQ(shards.size(), 1u);
  const auto files = shard_files(shards.begin()->second);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(summarize_shards(shards), truth_of("portable-db-rp-shard"));

  // The overwritten point (fixtures/README.md): the first file holds the old value, a later one
  // the new value 99.5 that queries returned; merged, the newer file wins.
  const std::string usage = R"(cpu,host=h1,region=eu\ west#!~#usage)";
  constexpr std::int64_t kOverwritten = 1700009400000000000;
  auto value_at = [&](std::vector<TsmFileRef> refs) -> std::optional<double> {
    ShardPoints shard = open(std::move(refs));
    for (const KeyInfo& k : all_keys(shard)) {
      if (k.key != usage) continue;
      for (auto [t, v] : read_floats(shard, k)) {
        if (t == kOverwritten) return v;
      }
    }
    return std::nullopt;
  };
  EXPECT_EQ(value_at(files), 99.5);
  auto old_value = value_at({files[0]});
  ASSERT_TRUE(old_value.has_value());
  EXPECT_NE(*old_value, 99.5);
}

}  // namespace
