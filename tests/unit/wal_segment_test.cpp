// WAL segments (docs/FORMATS.md §11) built byte by byte by tests/support/wal_builder: names and
// replay order, every entry and value type decoded, segments cut short at every byte of their last
// entry (kept entries and dropped bytes exact), each kind of damage giving "wal-invalid" at the
// damaged entry's offset, and the replay's cache rules (later write wins, deletes, type changes).
#include "ifx/format/wal/wal_segment.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "ifx/format/wal/wal_replay.hpp"
#include "support/expect_has.hpp"
#include "support/paths.hpp"
#include "support/tsm_builder.hpp"
#include "support/wal_builder.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;  // "\x00"s keeps its NUL bytes
using ifx::ErrorCode;
using ifx::test::be_bytes;
using ifx::test::points;
using ifx::tsm::BlockType;
using ifx::tsm::DecodedBlock;
using ifx::tsm::Tombstone;
using ifx::wal::WalEntry;
using ifx::wal::WalEntryType;
using ifx::wal::WalKeyValues;

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

using Floats = std::vector<std::pair<std::int64_t, double>>;
using Ints = std::vector<std::pair<std::int64_t, std::int64_t>>;
using Strings = std::vector<std::pair<std::int64_t, std::string>>;

// What a reader handed out from one segment, and how it stopped.
struct ReadResult {
  std::vector<WalEntry> entries;
  std::uint64_t cut_short = 0;
  std::optional<ifx::Error> error;
  std::uint64_t position = 0;
};

class WalSegmentTest : public ::testing::Test {
 protected:
  ifx::test::ScratchDir dir_{"wal-segment-test"};
  int counter_ = 0;

  fs::path segment(const std::string& bytes, std::string name = "") {
    if (name.empty()) name = ifx::wal::segment_file_name(static_cast<std::uint32_t>(++counter_));
    const fs::path p = dir_ / name;
    ifx::test::write_file(p, bytes);
    return p;
  }

  static ReadResult read_all(const fs::path& path, ifx::wal::WalLimits limits = {}) {
    ReadResult out;
    auto reader = ifx::wal::WalSegmentReader::open(path, limits);
    EXPECT_TRUE(reader.has_value()) << reader.error().describe();
    if (!reader) return out;
    WalEntry entry;
    for (;;) {
      auto more = reader->next(entry);
      if (!more) {
        out.error = more.error();
        break;
      }
      if (!*more) break;
      out.entries.push_back(entry);
    }
    out.cut_short = reader->cut_short_bytes();
    out.position = reader->position();
    return out;
  }

  // The error of reading `bytes`, which must have one.
  ifx::Error error_of(const std::string& bytes, ifx::wal::WalLimits limits = {}) {
    const fs::path p = segment(bytes);
    auto r = read_all(p, limits);
    EXPECT_TRUE(r.error.has_value()) << "no error for " << p;
    if (!r.error) return {};
    EXPECT_EQ(r.error->file, p.string());
    return *r.error;
  }

  ifx::wal::WalReplay replay(const std::vector<std::string>& segments, bool salvage = false) {
    std::vector<ifx::wal::SegmentFile> files;
    for (const auto& bytes : segments) {
      const fs::path p = segment(bytes);
      files.push_back({p, *ifx::wal::segment_id_from_name(p.filename().string()), bytes.size()});
    }
    auto r = ifx::wal::replay_wal(files, {.salvage = salvage});
    EXPECT_TRUE(r.has_value()) << r.error().describe();
    return r ? std::move(*r) : ifx::wal::WalReplay{};
  }
};

void expect_keys(const std::vector<WalKeyValues>& got, const std::vector<WalKeyValues>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].key, want[i].key);
    ifx::test::expect_same_points(got[i].values, want[i].values, want[i].key);
  }
}

// ---- names -----------------------------------------------------------------------------------

TEST(WalSegmentNames, IdsAsInfluxdParsesThem) {
  using ifx::wal::segment_id_from_name;
  EXPECT_EQ(segment_id_from_name("_00001.wal"), 1u);
  EXPECT_EQ(segment_id_from_name("_1.wal"), 1u);
  EXPECT_EQ(segment_id_from_name("_123456.wal"), 123456u);
  EXPECT_EQ(segment_id_from_name("_4294967295.wal"), 4294967295u);
  for (const char* bad : {"_4294967296.wal", "_.wal", "00001.wal", "_00001.wal.tmp", "_0001a.wal", "_+1.wal", "_-1.wal",
                          "_00001.tsm", "_00001.WAL", "_1.2.wal", ""}) {
    EXPECT_EQ(segment_id_from_name(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(ifx::wal::segment_file_name(1), "_00001.wal");
  EXPECT_EQ(ifx::wal::segment_file_name(123456), "_123456.wal");
}

TEST_F(WalSegmentTest, SegmentsAreListedInInfluxdsReplayOrder) {
  const fs::path wal = dir_ / "shard";
  fs::create_directories(wal / "_00003.wal");  // a directory is no segment
  for (const char* name : {"_00002.wal", "_00001.wal", "_100000.wal", "_99999.wal", "foo.wal", "_x.wal", "_00004.tsm"})
    ifx::test::write_file(wal / name, std::string(std::strlen(name), 'x'));
  auto list = ifx::wal::list_segments(wal);
  ASSERT_TRUE(list.has_value()) << list.error().describe();
  std::vector<std::string> names;
  for (const auto& s : *list) {
    names.push_back(s.path.filename().string());
    EXPECT_EQ(s.size, names.back().size());
    EXPECT_EQ(s.id, *ifx::wal::segment_id_from_name(names.back()));
  }
  // Name order, as influxd's sort.Strings: 6-digit IDs sort before 99999.
  EXPECT_EQ(names, (std::vector<std::string>{"_00001.wal", "_00002.wal", "_100000.wal", "_99999.wal"}));

  auto none = ifx::wal::list_segments(dir_ / "no-such-shard");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

// ---- entries ---------------------------------------------------------------------------------

TEST_F(WalSegmentTest, EveryValueTypeDecodesExactly) {
  const std::vector<WalKeyValues> records = {
      {"cpu,host=a#!~#f", points<double>({{-5, -0.0}, {1, 1.5}, {2, std::nan("")}, {3, 1e308}})},
      {"cpu,host=a#!~#i", points<std::int64_t>({{kMin, kMin}, {0, -1}, {kMax, kMax}})},
      {"cpu,host=a#!~#b", points<bool>({{10, true}, {11, false}})},
      {"cpu,host=a#!~#s", points<std::string>({{20, ""}, {21, "x"}, {22, std::string("\0\xff\n\"", 4)}})},
      {"cpu,host=a#!~#u", points<std::uint64_t>({{30, 0}, {31, std::numeric_limits<std::uint64_t>::max()}})},
  };
  const std::string first = ifx::test::wal_write_entry(records);
  const std::string second = ifx::test::wal_write_entry({records[3]});
  const auto r = read_all(segment(first + second));
  ASSERT_FALSE(r.error) << r.error->describe();
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.cut_short, 0u);
  EXPECT_EQ(r.entries[0].type, WalEntryType::Write);
  EXPECT_EQ(r.entries[0].offset, 0u);
  EXPECT_EQ(r.entries[0].size, first.size());
  expect_keys(r.entries[0].writes, records);
  EXPECT_TRUE(r.entries[0].keys.empty());
  EXPECT_EQ(r.entries[1].offset, first.size());
  EXPECT_EQ(r.entries[1].size, second.size());
  expect_keys(r.entries[1].writes, {records[3]});
  EXPECT_EQ(r.position, first.size() + second.size());
}

TEST_F(WalSegmentTest, BooleanByteOtherThanOneIsFalse) {
  // §11.3: influxd reads 1 as true and any other byte as false.
  std::string data = ifx::test::wal_write_data({{"m#!~#b", points<bool>({{1, true}, {2, true}})}});
  data.back() = 2;
  const auto r = read_all(segment(ifx::test::wal_entry(1, data)));
  ASSERT_FALSE(r.error) << r.error->describe();
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].writes[0].values.booleans, (std::vector<std::uint8_t>{1, 0}));
}

TEST_F(WalSegmentTest, DeleteAndDeleteRangeEntries) {
  const std::string del = ifx::test::wal_delete_entry({"cpu,host=a#!~#v", "cpu,host=b#!~#v"});
  const std::string empty_del = ifx::test::wal_delete_entry({});
  const std::string range = ifx::test::wal_delete_range_entry(-7, 42, {"mem#!~#free", "", "mem#!~#used"});
  const std::string empty_range = ifx::test::wal_delete_range_entry(kMin, kMax, {});
  const auto r = read_all(segment(del + empty_del + range + empty_range));
  ASSERT_FALSE(r.error) << r.error->describe();
  ASSERT_EQ(r.entries.size(), 4u);
  EXPECT_EQ(r.entries[0].type, WalEntryType::Delete);
  EXPECT_EQ(r.entries[0].keys, (std::vector<std::string>{"cpu,host=a#!~#v", "cpu,host=b#!~#v"}));
  EXPECT_EQ(r.entries[0].min, kMin);
  EXPECT_EQ(r.entries[0].max, kMax);
  EXPECT_TRUE(r.entries[0].writes.empty());
  EXPECT_EQ(r.entries[1].type, WalEntryType::Delete);
  EXPECT_TRUE(r.entries[1].keys.empty());
  EXPECT_EQ(r.entries[2].type, WalEntryType::DeleteRange);
  EXPECT_EQ(r.entries[2].offset, del.size() + empty_del.size());
  EXPECT_EQ(r.entries[2].keys, (std::vector<std::string>{"mem#!~#free", "", "mem#!~#used"}));
  EXPECT_EQ(r.entries[2].min, -7);
  EXPECT_EQ(r.entries[2].max, 42);
  EXPECT_EQ(r.entries[3].type, WalEntryType::DeleteRange);
  EXPECT_TRUE(r.entries[3].keys.empty());
  EXPECT_EQ(r.entries[3].min, kMin);
  EXPECT_EQ(r.entries[3].max, kMax);
}

TEST_F(WalSegmentTest, EmptySegmentHasNoEntry) {
  const auto r = read_all(segment(""));
  EXPECT_FALSE(r.error);
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(r.cut_short, 0u);
  const auto replayed = replay({""});
  EXPECT_TRUE(replayed.keys.empty());
  ASSERT_EQ(replayed.segments.size(), 1u);
  EXPECT_EQ(replayed.segments[0].entries, 0u);
  EXPECT_EQ(replayed.segments[0].dropped_bytes, 0u);
}

TEST_F(WalSegmentTest, CutShortAtEveryByteOfTheLastEntryKeepsTheCompleteOnes) {
  const std::string e1 = ifx::test::wal_write_entry({{"m#!~#v", points<double>({{1, 1.0}, {2, 2.0}})}});
  const std::string e2 = ifx::test::wal_delete_range_entry(2, 2, {"m#!~#v"});
  const std::string e3 = ifx::test::wal_write_entry(
      {{"m#!~#s", points<std::string>({{3, "three"}})}, {"m#!~#v", points<double>({{4, 4.0}})}});
  const std::string kept = e1 + e2;
  for (std::size_t cut = 0; cut < e3.size(); ++cut) {
    SCOPED_TRACE(cut);
    const std::string bytes = kept + e3.substr(0, cut);
    const auto r = read_all(segment(bytes));
    ASSERT_FALSE(r.error) << r.error->describe();
    ASSERT_EQ(r.entries.size(), 2u);
    EXPECT_EQ(r.cut_short, cut);
    EXPECT_EQ(r.position, kept.size());

    const auto replayed = replay({bytes});
    ASSERT_EQ(replayed.segments.size(), 1u);
    EXPECT_EQ(replayed.segments[0].entries, 2u);
    EXPECT_EQ(replayed.segments[0].replayed_bytes, kept.size());
    EXPECT_EQ(replayed.segments[0].dropped_bytes, cut);
    EXPECT_TRUE(replayed.segments[0].defects.empty());
    expect_keys(replayed.keys, {{"m#!~#v", points<double>({{1, 1.0}})}});
  }
  // The whole last entry: three entries, nothing dropped.
  const auto whole = read_all(segment(kept + e3));
  EXPECT_EQ(whole.entries.size(), 3u);
  EXPECT_EQ(whole.cut_short, 0u);
}

// ---- damage ----------------------------------------------------------------------------------

// A good entry first, so that the damaged one's offset is not 0.
const std::string& good_entry() {
  static const std::string e = ifx::test::wal_write_entry({{"ok#!~#v", points<std::int64_t>({{1, 1}})}});
  return e;
}

void expect_invalid_at(const ifx::Error& e, std::uint64_t offset, const std::string& words) {
  EXPECT_EQ(e.code, ErrorCode::wal_invalid) << e.describe();
  EXPECT_EQ(e.offset, offset) << e.describe();
  EXPECT_HAS(e.message, words);
}

TEST_F(WalSegmentTest, EachKindOfDamageIsWalInvalidAtTheEntry) {
  const std::uint64_t at = good_entry().size();
  const std::string write = ifx::test::wal_write_data({{"cpu#!~#v", points<double>({{1, 1.0}, {2, 2.0}})}});
  const std::string strings = ifx::test::wal_write_data({{"cpu#!~#s", points<std::string>({{1, "abc"}})}});
  const std::size_t key_len_at = 1, count_at = 3 + 8, string_len_at = 3 + 8 + 4 + 8;

  struct Case {
    std::string name, entry, words;
  };
  std::vector<Case> cases;
  cases.push_back({"unknown entry type", ifx::test::wal_entry(4, write), "unknown type 4"});
  cases.push_back({"entry type 0", ifx::test::wal_entry(0, write), "unknown type 0"});
  cases.push_back({"Snappy garbage", ifx::test::wal_raw_entry(1, "\x05\xff\xff\xff\xff\xff"), "Snappy"});
  cases.push_back({"Snappy length header damaged", ifx::test::wal_raw_entry(1, "\xff\xff\xff\xff\xff\xff"), "Snappy"});
  cases.push_back({"no Snappy data", ifx::test::wal_raw_entry(1, ""), "length 0"});
  // `data` with the `width` bytes at `at` replaced by `n`, big-endian.
  const auto with = [](std::string data, std::size_t at, std::uint64_t n, int width) {
    data.replace(at, width, be_bytes(n, width));
    return data;
  };
  const auto write_entry = [](const std::string& data) { return ifx::test::wal_entry(1, data); };
  cases.push_back({"key length past the data", write_entry(with(write, key_len_at, write.size(), 2)), "runs past"});
  cases.push_back({"N = 0", write_entry(with(write, count_at, 0, 4)), "N = 0"});
  cases.push_back({"N one more than the values", write_entry(with(write, count_at, 3, 4)), "cannot fit"});
  cases.push_back({"N huge", write_entry(with(write, count_at, 0xffffffff, 4)), "cannot fit"});
  cases.push_back({"string length past the data", write_entry(with(strings, string_len_at, 4, 4)), "declares 4 bytes"});
  cases.push_back(
      {"string length huge", write_entry(with(strings, string_len_at, 0xffffffff, 4)), "declares 4294967295 bytes"});
  cases.push_back({"unknown value type", write_entry(with(write, 0, 6, 1)), "unknown value type 6"});
  cases.push_back({"write record cut inside its header", write_entry(write + "\x01\x00"s), "cut short"});
  cases.push_back({"write record cut inside its count", write_entry(write.substr(0, count_at + 2)), "value count"});
  cases.push_back({"write record cut inside a value", write_entry(write.substr(0, write.size() - 1)), "cannot fit"});
  cases.push_back({"delete-range shorter than its range", ifx::test::wal_entry(3, std::string(15, '\0')), "takes 16"});
  const std::string range = with(ifx::test::wal_delete_range_data(0, 1, {"k"}), 16, 2, 4);
  cases.push_back({"delete-range key past the data", ifx::test::wal_entry(3, range), "declares 2 bytes"});
  cases.push_back({"delete-range key length cut", ifx::test::wal_entry(3, range.substr(0, 18)), "cut short"});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    expect_invalid_at(error_of(good_entry() + c.entry + good_entry()), at, c.words);
  }
}

TEST_F(WalSegmentTest, OversizedLengthsAreDefectsNotAllocations) {
  const std::uint64_t at = good_entry().size();
  // A length field of 4 GiB − 1 is over the default limit: damage, even though the file ends first.
  expect_invalid_at(error_of(good_entry() + "\x01\xff\xff\xff\xff" + std::string(100, 'x')), at, "compressed bytes");
  // A compressed length one over the limit is refused; one at the limit is read.
  const std::string payload(200, 'a');
  const std::string big = ifx::test::wal_write_entry({{"m#!~#s", points<std::string>({{1, payload}})}});
  ifx::wal::WalLimits small{.max_entry_bytes = 1 << 20, .max_compressed_bytes = big.size() - 6};
  expect_invalid_at(error_of(good_entry() + big, small), at, "more than the");
  small.max_compressed_bytes = big.size() - 5;
  EXPECT_FALSE(read_all(segment(good_entry() + big), small).error);
  // Decompressed: over the limit, or more than Snappy can expand those bytes to.
  small.max_entry_bytes = 100;
  expect_invalid_at(error_of(good_entry() + big, small), at, "decompressed bytes");
  expect_invalid_at(error_of(good_entry() + ifx::test::wal_raw_entry(1, "\xff\xff\xff\xff\x0f\x00"s)), at,
                    "decompressed bytes");
}

TEST_F(WalSegmentTest, AfterDamageTheReaderStaysOnItUntilSkipped) {
  const std::string bad = ifx::test::wal_entry(7, "whatever");
  const std::string last = ifx::test::wal_delete_entry({"k"});
  auto reader = ifx::wal::WalSegmentReader::open(segment(good_entry() + bad + last));
  ASSERT_TRUE(reader.has_value());
  WalEntry e;
  ASSERT_TRUE(reader->next(e).value_or(false));
  for (int i = 0; i < 2; ++i) {
    auto r = reader->next(e);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().offset, good_entry().size());
    EXPECT_EQ(reader->position(), good_entry().size());
  }
  ASSERT_TRUE(reader->skip_damaged());
  EXPECT_EQ(reader->position(), good_entry().size() + bad.size());
  auto r = reader->next(e);
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  ASSERT_TRUE(*r);
  EXPECT_EQ(e.type, WalEntryType::Delete);
  EXPECT_EQ(e.keys, std::vector<std::string>{"k"});
  EXPECT_FALSE(reader->next(e).value_or(true));
  EXPECT_EQ(reader->entries_read(), 2u);
  EXPECT_FALSE(reader->skip_damaged());  // nothing damaged now

  // A damaged length that runs past the file leaves nothing to skip to.
  auto hopeless = ifx::wal::WalSegmentReader::open(segment(good_entry() + "\x09\x00\x10\x00\x00"s + "abc"));
  ASSERT_TRUE(hopeless.has_value());
  ASSERT_TRUE(hopeless->next(e).value_or(false));
  EXPECT_FALSE(hopeless->next(e).has_value());
  EXPECT_FALSE(hopeless->skip_damaged());
  EXPECT_FALSE(hopeless->next(e).has_value());
}

// ---- replay ----------------------------------------------------------------------------------

TEST_F(WalSegmentTest, ReplayKeepsTheLastWriteOfATimestampInTimeOrder) {
  const std::string s1 = ifx::test::wal_write_entry({
                             {"cpu,host=b#!~#v", points<double>({{30, 3.0}, {10, 1.0}, {10, 1.1}})},
                             {"cpu,host=a#!~#v", points<double>({{5, 0.5}})},
                         }) +
                         ifx::test::wal_write_entry({{"cpu,host=b#!~#v", points<double>({{20, 2.0}, {10, 1.2}})}});
  const std::string s2 = ifx::test::wal_write_entry({{"cpu,host=b#!~#v", points<double>({{30, 3.3}})},
                                                     {"cpu,host=a#!~#n", points<std::int64_t>({{7, 1}, {8, 2}})},
                                                     {"cpu,host=a#!~#v", points<double>({{6, 0.6}})}});
  const auto r = replay({s1, s2});
  expect_keys(r.keys, {{"cpu,host=a#!~#n", points<std::int64_t>({{7, 1}, {8, 2}})},
                       {"cpu,host=a#!~#v", points<double>({{5, 0.5}, {6, 0.6}})},
                       {"cpu,host=b#!~#v", points<double>({{10, 1.2}, {20, 2.0}, {30, 3.3}})}});
  EXPECT_TRUE(r.deletes.empty());
  ASSERT_EQ(r.segments.size(), 2u);
  EXPECT_EQ(r.segments[0].entries, 2u);
  EXPECT_EQ(r.segments[1].entries, 1u);
  EXPECT_EQ(r.segments[1].replayed_bytes, s2.size());
}

TEST_F(WalSegmentTest, ReplayKeysAreInBytewiseOrder) {
  // std::string compares bytes as unsigned, as TSM keys are ordered (§6.2).
  const auto r = replay({ifx::test::wal_write_entry({{"\xc3\xa9#!~#v", points<std::int64_t>({{1, 1}})},
                                                     {"z#!~#v", points<std::int64_t>({{1, 2}})},
                                                     {"Z#!~#v", points<std::int64_t>({{1, 3}})}})});
  ASSERT_EQ(r.keys.size(), 3u);
  EXPECT_EQ(r.keys[0].key, "Z#!~#v");
  EXPECT_EQ(r.keys[1].key, "z#!~#v");
  EXPECT_EQ(r.keys[2].key, "\xc3\xa9#!~#v");
}

TEST_F(WalSegmentTest, ReplayDeletesRemoveEarlierValuesOnly) {
  const std::string seg = ifx::test::wal_write_entry(
                              {{"m,t=a#!~#v", points<std::int64_t>({{1, 1}, {2, 2}, {3, 3}, {4, 4}})},
                               {"m,t=b#!~#v", points<std::int64_t>({{1, 10}})},
                               {"m,t=c#!~#s", points<std::string>({{1, "c"}})}}) +
                          ifx::test::wal_delete_range_entry(2, 3, {"m,t=a#!~#v", "m,t=zz#!~#v"}) +
                          ifx::test::wal_write_entry({{"m,t=a#!~#v", points<std::int64_t>({{3, 33}})}}) +
                          ifx::test::wal_delete_entry({"m,t=b#!~#v"}) +
                          // Emptied by a range: forgotten, so the same key may come back with another type.
                          ifx::test::wal_delete_range_entry(0, 1, {"m,t=c#!~#s"}) +
                          ifx::test::wal_write_entry({{"m,t=c#!~#s", points<double>({{5, 5.0}})}});
  const auto r = replay({seg});
  expect_keys(r.keys, {{"m,t=a#!~#v", points<std::int64_t>({{1, 1}, {3, 33}, {4, 4}})},
                       {"m,t=c#!~#s", points<double>({{5, 5.0}})}});
  EXPECT_EQ(r.deletes,
            (std::vector<Tombstone>{
                {"m,t=a#!~#v", 2, 3}, {"m,t=zz#!~#v", 2, 3}, {"m,t=b#!~#v", kMin, kMax}, {"m,t=c#!~#s", 0, 1}}));
  EXPECT_EQ(r.segments[0].entries, 6u);
}

TEST_F(WalSegmentTest, ReplayOfARepeatedKeyInOneEntryKeepsItsLastRecord) {
  const auto r = replay({ifx::test::wal_write_entry(
      {{"m#!~#v", points<std::int64_t>({{1, 1}, {2, 2}})}, {"m#!~#v", points<std::int64_t>({{3, 3}})}})});
  expect_keys(r.keys, {{"m#!~#v", points<std::int64_t>({{3, 3}})}});
}

TEST_F(WalSegmentTest, ReplayRefusesATypeChangeOfAKeyTheCacheHolds) {
  const std::string first = ifx::test::wal_write_entry({{"m#!~#v", points<std::int64_t>({{1, 1}})}});
  const std::string second = ifx::test::wal_write_entry(
      {{"m#!~#v", points<double>({{2, 2.0}})}, {"m#!~#w", points<double>({{2, 2.0}})}});
  const fs::path p = segment(first + second);
  const std::vector<ifx::wal::SegmentFile> files = {{p, 1, first.size() + second.size()}};
  auto strict = ifx::wal::replay_wal(files);
  ASSERT_FALSE(strict.has_value());
  expect_invalid_at(strict.error(), first.size(), "m#!~#v holds float values but the cache holds integer");
  EXPECT_EQ(strict.error().file, p.string());

  auto salvaged = ifx::wal::replay_wal(files, {.salvage = true});
  ASSERT_TRUE(salvaged.has_value()) << salvaged.error().describe();
  expect_keys(salvaged->keys, {{"m#!~#v", points<std::int64_t>({{1, 1}})}, {"m#!~#w", points<double>({{2, 2.0}})}});
  ASSERT_EQ(salvaged->segments[0].defects.size(), 1u);
  expect_invalid_at(salvaged->segments[0].defects[0], first.size(), "dropped");
  EXPECT_EQ(salvaged->segments[0].dropped_bytes, 0u);
}

TEST_F(WalSegmentTest, SalvageDropsADamagedEntryKeepsTheRestAndReadsTheNextSegment) {
  const std::string before = ifx::test::wal_write_entry({{"m#!~#v", points<std::int64_t>({{1, 1}})}});
  const std::string damaged = ifx::test::wal_raw_entry(1, "\x05garbage");
  const std::string after = ifx::test::wal_write_entry({{"m#!~#v", points<std::int64_t>({{2, 2}})}});
  const std::string next = ifx::test::wal_write_entry({{"m#!~#v", points<std::int64_t>({{3, 3}})}});
  const std::string cut = ifx::test::wal_write_entry({{"m#!~#v", points<std::int64_t>({{4, 4}})}});
  const std::string third = ifx::test::wal_write_entry({{"m#!~#v", points<std::int64_t>({{5, 5}})}});
  // Segment 2 is cut short (not the last one: the replay goes on, as influxd's does).
  const std::vector<std::string> segments = {before + damaged + after, next + cut.substr(0, 9), third};

  const auto r = replay(segments, /*salvage=*/true);
  // The entry after the damaged one is kept: its length field was whole.
  expect_keys(r.keys, {{"m#!~#v", points<std::int64_t>({{1, 1}, {2, 2}, {3, 3}, {5, 5}})}});
  ASSERT_EQ(r.segments.size(), 3u);
  EXPECT_EQ(r.segments[0].entries, 2u);
  EXPECT_EQ(r.segments[0].replayed_bytes, before.size() + after.size());
  EXPECT_EQ(r.segments[0].dropped_bytes, damaged.size());
  ASSERT_EQ(r.segments[0].defects.size(), 1u);
  expect_invalid_at(r.segments[0].defects[0], before.size(), "Snappy");
  EXPECT_NE(r.segments[0].defects[0].message.find("entries after it were read"), std::string::npos);
  EXPECT_EQ(r.segments[1].entries, 1u);
  EXPECT_EQ(r.segments[1].dropped_bytes, 9u);
  EXPECT_TRUE(r.segments[1].defects.empty());
  EXPECT_EQ(r.segments[2].entries, 1u);

  // Two damaged entries in a row: their lengths are not trusted, the rest of the segment goes.
  const auto twice = replay({before + damaged + damaged + after}, /*salvage=*/true);
  expect_keys(twice.keys, {{"m#!~#v", points<std::int64_t>({{1, 1}})}});
  ASSERT_EQ(twice.segments[0].defects.size(), 2u);
  EXPECT_EQ(twice.segments[0].dropped_bytes, 2 * damaged.size() + after.size());
  EXPECT_NE(twice.segments[0].defects[1].message.find("to the end of the segment were dropped"), std::string::npos);

  // Without salvage the damaged entry is the replay's error.
  std::vector<ifx::wal::SegmentFile> files;
  for (const auto& s : segments) {
    const fs::path p = segment(s);
    files.push_back({p, *ifx::wal::segment_id_from_name(p.filename().string()), s.size()});
  }
  auto strict = ifx::wal::replay_wal(files);
  ASSERT_FALSE(strict.has_value());
  expect_invalid_at(strict.error(), before.size(), "Snappy");
  EXPECT_EQ(strict.error().file, files[0].path.string());
}

TEST_F(WalSegmentTest, ReplayOfADirectoryFollowsTheNameOrder) {
  const fs::path wal = dir_ / "wal-dir";
  fs::create_directories(wal);
  ifx::test::write_file(wal / "_00002.wal", ifx::test::wal_write_entry({{"m#!~#v", points<std::int64_t>({{1, 2}})}}));
  ifx::test::write_file(wal / "_00001.wal", ifx::test::wal_write_entry({{"m#!~#v", points<std::int64_t>({{1, 1}})}}));
  auto r = ifx::wal::replay_wal_dir(wal);
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  expect_keys(r->keys, {{"m#!~#v", points<std::int64_t>({{1, 2}})}});
  ASSERT_EQ(r->segments.size(), 2u);
  EXPECT_EQ(r->segments[0].file.id, 1u);
  EXPECT_EQ(r->segments[1].file.id, 2u);
}

}  // namespace
