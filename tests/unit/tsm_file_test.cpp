// TsmReader / TsmWriter over exact files: the docs/FORMATS.md §6.7 vector, every index and header
// defect with its code and offset, CRC damage, streaming over many keys and long keys.
#include "ifx/format/tsm/tsm_reader.hpp"
#include "ifx/format/tsm/tsm_writer.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "support/paths.hpp"
#include "support/tsm_builder.hpp"

namespace {

using namespace ifx::tsm;
namespace fs = std::filesystem;

constexpr std::int64_t kT = 1600000000000000000;

// docs/FORMATS.md §6.7: the block of `m v=1 1600000000000000000` (type byte first, CRC excluded).
const std::vector<std::uint8_t> kVectorBlock = {0x00, 0x09, 0x1c, 0x16, 0x34, 0x57, 0x85, 0xd8, 0xa0, 0x00,
                                                0x00, 0x10, 0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                                0xc3, 0xfc, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

// The whole 86-byte file of docs/FORMATS.md §6.7.
std::string vector_file() {
  const std::vector<std::uint8_t> bytes = {
      0x16, 0xd1, 0x16, 0xd1, 0x01,                                                        // header
      0x4e, 0xda, 0x16, 0x8a,                                                              // CRC
      0x00, 0x09, 0x1c, 0x16, 0x34, 0x57, 0x85, 0xd8, 0xa0, 0x00, 0x00, 0x10, 0x3f, 0xf0,  // block
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc3, 0xfc, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x10, 0x00, 0x06, 0x6d, 0x23, 0x21, 0x7e, 0x23, 0x76,  // key
      0x00, 0x00, 0x01,                                            // type, count
      0x16, 0x34, 0x57, 0x85, 0xd8, 0xa0, 0x00, 0x00, 0x16, 0x34, 0x57, 0x85, 0xd8, 0xa0,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x22,  // entry
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x27,                                      // footer
  };
  return std::string(bytes.begin(), bytes.end());
}

void put_u64(std::string& s, std::size_t at, std::uint64_t v) { ifx::test::put_be(s, at, v, 8); }
void put_u16(std::string& s, std::size_t at, std::uint16_t v) { ifx::test::put_be(s, at, v, 2); }

// A small opaque block of `type`: the reader never decodes it, it only checks CRC and type byte.
std::vector<std::uint8_t> opaque_block(BlockType type, std::uint32_t salt, std::size_t len = 12) {
  std::vector<std::uint8_t> b(len);
  b[0] = static_cast<std::uint8_t>(type);
  for (std::size_t i = 1; i < len; ++i) b[i] = static_cast<std::uint8_t>(salt * 31 + i * 7);
  return b;
}

class TsmFileTest : public ::testing::Test {
 protected:
  ifx::test::ScratchDir dir{"tsm-file-test"};
  fs::path file(const std::string& name, const std::string& bytes) {
    fs::path p = dir / name;
    ifx::test::write_file(p, bytes);
    return p;
  }
  // Opens a file that must open, then returns the first index error.
  ifx::Error index_error(const std::string& bytes) {
    auto reader = TsmReader::open(file("bad.tsm", bytes));
    EXPECT_TRUE(reader.has_value()) << (reader ? "" : reader.error().describe());
    if (!reader) return {};
    auto cursor = reader->index();
    KeyIndex key;
    for (;;) {
      auto more = cursor.next(key);
      if (!more) return more.error();
      if (!*more) break;
    }
    ADD_FAILURE() << "index was accepted";
    return {};
  }
  // A changed spec vector must open, and reading its block must fail its CRC with `says`.
  void expect_block_crc_error(const std::string& bytes, const std::string& says) {
    auto reader = TsmReader::open(file("crc.tsm", bytes));
    ASSERT_TRUE(reader.has_value()) << reader.error().describe();
    std::vector<std::uint8_t> buffer;
    auto data = reader->read_block(IndexEntry{kT, kT, 5, 34}, BlockType::Float, buffer);
    ASSERT_FALSE(data.has_value());
    EXPECT_EQ(data.error().code, ifx::ErrorCode::tsm_block_crc);
    EXPECT_EQ(data.error().offset, 5u);
    EXPECT_NE(data.error().message.find(says), std::string::npos) << data.error().message;
  }
  ifx::Error open_error(const std::string& bytes) {
    auto reader = TsmReader::open(file("bad.tsm", bytes));
    EXPECT_FALSE(reader.has_value());
    return reader ? ifx::Error{} : reader.error();
  }
};

TEST_F(TsmFileTest, WriterProducesTheSpecVectorByteForByte) {
  fs::path p = dir / "000000001-000000001.tsm";
  auto w = TsmWriter::create(p);
  ASSERT_TRUE(w.has_value());
  ASSERT_TRUE(w->add_encoded_block("m#!~#v", BlockType::Float, kT, kT, kVectorBlock));
  EXPECT_EQ(w->bytes_written(), 39u);
  ASSERT_TRUE(w->finish());
  EXPECT_EQ(ifx::test::read_file(p), vector_file());
}

TEST_F(TsmFileTest, WriterEncodesDecodedPointsIntoTheSpecVector) {
  fs::path p = dir / "points.tsm";
  auto w = TsmWriter::create(p);
  ASSERT_TRUE(w.has_value());
  ifx::tsm::DecodedBlock points;
  points.type = BlockType::Float;
  points.times = {kT};
  points.floats = {1.0};
  auto r = w->add_points("m#!~#v", points);
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  ASSERT_TRUE(w->finish());
  EXPECT_EQ(ifx::test::read_file(p), vector_file());
}

TEST_F(TsmFileTest, WriterSplitsPointsIntoBlocksAndTheTimesMatchTheIndex) {
  fs::path p = dir / "split.tsm";
  auto w = TsmWriter::create(p, {.max_points_per_block = 100});
  ASSERT_TRUE(w.has_value());
  ifx::tsm::DecodedBlock points;
  points.type = BlockType::Integer;
  for (std::int64_t t = -120; t < 130; ++t) {
    points.times.push_back(t * 1000);
    points.integers.push_back(t * t);
  }
  ASSERT_TRUE(w->add_points("cpu#!~#n", points));
  ifx::tsm::DecodedBlock unsorted = points;
  std::swap(unsorted.times[3], unsorted.times[4]);
  EXPECT_EQ(w->add_points("cpu#!~#o", unsorted).error().code, ifx::ErrorCode::invalid_argument);
  unsorted.integers.pop_back();
  EXPECT_EQ(w->add_points("cpu#!~#o", unsorted).error().code, ifx::ErrorCode::invalid_argument);
  ASSERT_TRUE(w->finish());

  auto reader = TsmReader::open(p);
  ASSERT_TRUE(reader.has_value());
  auto cursor = reader->index();
  KeyIndex key;
  ASSERT_TRUE(cursor.next(key).value());
  ASSERT_EQ(key.entries.size(), 3u);  // 100 + 100 + 50
  EXPECT_EQ(key.entries[0].min_time, -120000);
  EXPECT_EQ(key.entries[0].max_time, -21000);
  EXPECT_EQ(key.entries[2].min_time, 80000);
  EXPECT_EQ(key.entries[2].max_time, 129000);
  std::vector<std::uint8_t> buffer;
  ifx::tsm::DecodedBlock decoded, all;
  for (const IndexEntry& e : key.entries) {
    auto data = reader->read_block(e, key.type, buffer);
    ASSERT_TRUE(data.has_value()) << data.error().describe();
    EXPECT_TRUE(reader->check_block_times(e, *data).has_value());
    ASSERT_TRUE(ifx::tsm::decode_block(*data, decoded).has_value());
    ifx::test::append_points(all, decoded);
  }
  EXPECT_EQ(all.times, points.times);
  EXPECT_EQ(all.integers, points.integers);
  EXPECT_FALSE(cursor.next(key).value());
}

TEST_F(TsmFileTest, BlockTimesThatDisagreeWithTheIndex) {
  auto reader = TsmReader::open(file("v.tsm", vector_file()));
  ASSERT_TRUE(reader.has_value());
  std::vector<std::uint8_t> buffer;
  const IndexEntry good{kT, kT, 5, 34};
  auto data = reader->read_block(good, BlockType::Float, buffer);
  ASSERT_TRUE(data.has_value());
  EXPECT_TRUE(reader->check_block_times(good, *data).has_value());

  auto r = reader->check_block_times(IndexEntry{kT - 1, kT, 5, 34}, *data);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ifx::ErrorCode::tsm_time_range);
  EXPECT_EQ(r.error().offset, 5u);
  EXPECT_NE(r.error().message.find(fmt::format("[{}, {}] but its index entry says [{}, {}]", kT, kT, kT - 1, kT)),
            std::string::npos)
      << r.error().message;
  r = reader->check_block_times(IndexEntry{kT, kT + 1, 5, 34}, *data);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ifx::ErrorCode::tsm_time_range);

  // A timestamp section cut short: a decode error located in the file.
  std::vector<std::uint8_t> cut(data->begin(), data->begin() + 6);
  r = reader->check_block_times(good, cut);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ifx::ErrorCode::tsm_block_decode);
  ASSERT_TRUE(r.error().offset.has_value());
  EXPECT_GE(*r.error().offset, 9u);
}

TEST_F(TsmFileTest, ReaderReadsTheSpecVector) {
  auto reader = TsmReader::open(file("v.tsm", vector_file()));
  ASSERT_TRUE(reader.has_value()) << reader.error().describe();
  EXPECT_EQ(reader->file_size(), 86u);
  EXPECT_EQ(reader->index_offset(), 0x27u);

  auto cursor = reader->index();
  KeyIndex key;
  auto more = cursor.next(key);
  ASSERT_TRUE(more.has_value() && *more);
  EXPECT_EQ(key.key, "m#!~#v");
  EXPECT_EQ(key.type, BlockType::Float);
  EXPECT_EQ(key.index_offset, 0x27u);
  ASSERT_EQ(key.entries.size(), 1u);
  EXPECT_EQ(key.entries[0], (IndexEntry{kT, kT, 5, 34}));
  more = cursor.next(key);
  ASSERT_TRUE(more.has_value());
  EXPECT_FALSE(*more);

  std::vector<std::uint8_t> buffer;
  auto data = reader->read_block(IndexEntry{kT, kT, 5, 34}, BlockType::Float, buffer);
  ASSERT_TRUE(data.has_value()) << data.error().describe();
  EXPECT_EQ(std::vector<std::uint8_t>(data->begin(), data->end()), kVectorBlock);

  auto summary = reader->summary();
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(summary->key_count, 1u);
  EXPECT_EQ(summary->block_count, 1u);
  EXPECT_EQ(summary->min_time, kT);
  EXPECT_EQ(summary->max_time, kT);
  EXPECT_EQ(summary->influxd_max_time, kT);
}

TEST_F(TsmFileTest, HeaderDefects) {
  ifx::Error e = open_error(vector_file().substr(0, 12));
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_header);
  EXPECT_EQ(e.offset, 0u);
  EXPECT_NE(e.message.find("12 bytes"), std::string::npos) << e.message;
  EXPECT_NE(e.file.find("bad.tsm"), std::string::npos);

  std::string bad_magic = vector_file();
  bad_magic[2] = 0x17;
  e = open_error(bad_magic);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_header);
  EXPECT_EQ(e.offset, 0u);
  EXPECT_NE(e.message.find("0x16d117d1"), std::string::npos) << e.message;

  std::string bad_version = vector_file();
  bad_version[4] = 2;
  e = open_error(bad_version);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_header);
  EXPECT_EQ(e.offset, 4u);
}

TEST_F(TsmFileTest, FooterDefects) {
  std::string s = vector_file();
  put_u64(s, 78, 4);  // before the first block
  ifx::Error e = open_error(s);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(e.offset, 78u);

  put_u64(s, 78, 78);  // empty index region
  e = open_error(s);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(e.offset, 78u);

  // Truncated: the last 8 bytes are now part of the index entry, a huge "offset".
  e = open_error(vector_file().substr(0, 80));
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(e.offset, 72u);
  EXPECT_NE(e.message.find("80-byte file"), std::string::npos) << e.message;
}

TEST_F(TsmFileTest, FlippedCrcByteIsReportedWithStoredAndComputedValues) {
  std::string s = vector_file();
  s[5] = static_cast<char>(0x4f);
  expect_block_crc_error(s, "stored 0x4fda168a, computed 0x4eda168a");
}

TEST_F(TsmFileTest, FlippedDataByteFailsTheCrc) {
  std::string s = vector_file();
  s[0x15] ^= 0x01;
  expect_block_crc_error(s, "stored 0x4eda168a");
}

TEST_F(TsmFileTest, BlockTypeByteMustMatchTheIndexType) {
  std::string s = vector_file();
  s[0x2f] = 1;  // index says integer; the block (CRC intact) says float
  auto reader = TsmReader::open(file("type.tsm", s));
  ASSERT_TRUE(reader.has_value());
  auto cursor = reader->index();
  KeyIndex key;
  ASSERT_TRUE(cursor.next(key).value());
  EXPECT_EQ(key.type, BlockType::Integer);
  std::vector<std::uint8_t> buffer;
  auto data = reader->read_block(key.entries[0], key.type, buffer);
  ASSERT_FALSE(data.has_value());
  EXPECT_EQ(data.error().code, ifx::ErrorCode::tsm_block_decode);
  EXPECT_EQ(data.error().offset, 9u);
}

TEST_F(TsmFileTest, IndexKeyDefects) {
  std::string s = vector_file();
  put_u16(s, 0x27, 0);
  ifx::Error e = index_error(s);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(e.offset, 0x27u);

  s = vector_file();
  put_u16(s, 0x27, 64);  // more key bytes than the index holds
  e = index_error(s);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(e.offset, 0x27u);

  s = vector_file();
  s[0x2f] = 7;  // type byte
  e = index_error(s);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(e.offset, 0x2fu);

  s = vector_file();
  put_u16(s, 0x30, 0);  // count 0
  e = index_error(s);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(e.offset, 0x30u);

  s = vector_file();
  put_u16(s, 0x30, 2);  // two entries declared, one present
  e = index_error(s);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(e.offset, 0x30u);

  // One stray byte after the last key (footer moved along).
  s = vector_file();
  s.insert(0x4e, 1, '\0');
  e = index_error(s);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(e.offset, 0x4eu);
}

TEST_F(TsmFileTest, IndexEntryDefects) {
  std::string s = vector_file();
  put_u64(s, 0x3a, kT - 1);  // maxTime before minTime
  ifx::Error e = index_error(s);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(e.offset, 0x32u);

  s = vector_file();
  s[0x4d] = 4;  // size 4: no room for a byte of data
  e = index_error(s);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(e.offset, 0x4au);

  s = vector_file();
  put_u64(s, 0x42, 4);  // block offset inside the header
  e = index_error(s);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(e.offset, 0x42u);

  s = vector_file();
  put_u64(s, 0x42, 6);  // 34 bytes at 6 run into the index
  e = index_error(s);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(e.offset, 0x42u);
  EXPECT_NE(e.message.find("outside the block region [5, 39)"), std::string::npos) << e.message;
}

TEST_F(TsmFileTest, KeysOutOfOrderAndUnsortedEntries) {
  fs::path p = dir / "two.tsm";
  ifx::test::write_tsm_blocks(p, {{"a#!~#v", BlockType::Integer, 10, 20, opaque_block(BlockType::Integer, 1)},
                                  {"a#!~#v", BlockType::Integer, 30, 40, opaque_block(BlockType::Integer, 2)},
                                  {"b#!~#v", BlockType::Integer, 10, 20, opaque_block(BlockType::Integer, 3)}});
  const std::string good = ifx::test::read_file(p);
  // Layout: header 5 + 3 blocks × 16 bytes → index at 53; key "a": 2+6+3+2×28 = 67 bytes.
  const std::size_t index_at = 53, second_key_at = index_at + 67;
  ASSERT_EQ(good[second_key_at + 2], 'b');

  std::string s = good;
  s[second_key_at + 2] = 'a';  // equal keys
  ifx::Error e = index_error(s);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(e.offset, second_key_at);
  EXPECT_NE(e.message.find("strictly increasing"), std::string::npos) << e.message;

  s = good;
  s[second_key_at + 2] = static_cast<char>('a' - 1);  // smaller
  e = index_error(s);
  EXPECT_EQ(e.offset, second_key_at);

  s = good;
  s[second_key_at + 2] = static_cast<char>(0xe2);  // unsigned order: 0xe2 > 'a' is fine
  auto reader = TsmReader::open(file("high.tsm", s));
  ASSERT_TRUE(reader.has_value());
  auto summary = reader->summary();
  ASSERT_TRUE(summary.has_value()) << summary.error().describe();
  EXPECT_EQ(summary->key_count, 2u);
  EXPECT_EQ(summary->block_count, 3u);

  s = good;
  const std::size_t second_entry_at = index_at + 2 + 6 + 3 + 28;
  put_u64(s, second_entry_at, 5);  // minTime 5 before the first entry's 10
  e = index_error(s);
  EXPECT_EQ(e.code, ifx::ErrorCode::tsm_index);
  EXPECT_EQ(e.offset, second_entry_at);
}

TEST_F(TsmFileTest, ManyKeysAndBlocksAreStreamed) {
  fs::path p = dir / "many.tsm";
  constexpr int kKeys = 3000, kBlocks = 3;
  const std::string long_key = "long," + std::string(65535 - 10, 'x') +
                               "#!~#v";  // the longest key, across buffer refills
  {
    auto w = TsmWriter::create(p, {.sync_on_finish = false});
    ASSERT_TRUE(w.has_value());
    for (int k = 0; k < kKeys; ++k) {
      const std::string key = fmt::format("cpu,host=h{:05}#!~#value", k);
      for (int b = 0; b < kBlocks; ++b) {
        const BlockType type = k % 2 ? BlockType::Float : BlockType::Integer;
        ASSERT_TRUE(w->add_encoded_block(key, type, -1000 + b * 100, -1000 + b * 100 + 50,
                                         opaque_block(type, k * kBlocks + b, 10 + b)));
      }
    }
    ASSERT_TRUE(w->add_encoded_block(long_key, BlockType::String, 7, 7, opaque_block(BlockType::String, 9)));
    EXPECT_EQ(w->key_count(), kKeys + 1u);
    ASSERT_TRUE(w->finish());
  }
  auto reader = TsmReader::open(p);
  ASSERT_TRUE(reader.has_value());
  auto cursor = reader->index();
  KeyIndex key;
  std::uint64_t expected_offset = 5, keys = 0;
  std::vector<std::uint8_t> buffer;
  for (;;) {
    auto more = cursor.next(key);
    ASSERT_TRUE(more.has_value()) << more.error().describe();
    if (!*more) break;
    for (const IndexEntry& e : key.entries) {
      EXPECT_EQ(e.offset, expected_offset);  // blocks are contiguous, in index order
      expected_offset += e.size;
      ASSERT_TRUE(reader->read_block(e, key.type, buffer).has_value());
    }
    if (keys < kKeys) {
      EXPECT_EQ(key.key, fmt::format("cpu,host=h{:05}#!~#value", keys));
      EXPECT_EQ(key.entries.size(), 3u);
      EXPECT_EQ(key.entries[2].size, 4u + 12u);
    } else {
      EXPECT_EQ(key.key, long_key);
    }
    ++keys;
  }
  EXPECT_EQ(keys, kKeys + 1u);
  EXPECT_EQ(expected_offset, reader->index_offset());
  auto summary = reader->summary();
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(summary->block_count, kKeys * 3u + 1);
  EXPECT_EQ(summary->min_time, -1000);
  EXPECT_EQ(summary->max_time, 7);
}

TEST_F(TsmFileTest, NegativeTimestampsAndInfluxdMaxTime) {
  fs::path p = dir / "neg.tsm";
  ifx::test::write_tsm_blocks(p, {{"m#!~#v", BlockType::Boolean, std::numeric_limits<std::int64_t>::min(), -5,
                                   opaque_block(BlockType::Boolean, 1)}});
  auto reader = TsmReader::open(p);
  ASSERT_TRUE(reader.has_value());
  auto summary = reader->summary();
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(summary->min_time, std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(summary->max_time, -5);
  EXPECT_EQ(summary->influxd_max_time, 0);  // docs/FORMATS.md §6.2 quirk
}

TEST_F(TsmFileTest, WriterRefusesMisuse) {
  auto w = TsmWriter::create(dir / "misuse.tsm");
  ASSERT_TRUE(w.has_value());
  auto block = opaque_block(BlockType::Integer, 1);
  EXPECT_EQ(w->finish().error().code, ifx::ErrorCode::invalid_argument);  // no key yet
  auto w2 = TsmWriter::create(dir / "misuse2.tsm");
  ASSERT_TRUE(w2.has_value());
  ASSERT_TRUE(w2->add_encoded_block("b", BlockType::Integer, 10, 20, block));
  EXPECT_EQ(w2->add_encoded_block("b", BlockType::Integer, 20, 30, block).error().code,
            ifx::ErrorCode::invalid_argument);
  EXPECT_EQ(w2->add_encoded_block("b", BlockType::Float, 30, 40, opaque_block(BlockType::Float, 1)).error().code,
            ifx::ErrorCode::invalid_argument);
  EXPECT_EQ(w2->add_encoded_block("a", BlockType::Integer, 30, 40, block).error().code,
            ifx::ErrorCode::invalid_argument);
  EXPECT_EQ(w2->add_encoded_block("c", BlockType::Float, 30, 40, block).error().code, ifx::ErrorCode::invalid_argument);
  EXPECT_EQ(w2->add_encoded_block("c", BlockType::Integer, 40, 30, block).error().code,
            ifx::ErrorCode::invalid_argument);
  EXPECT_EQ(w2->add_encoded_block("", BlockType::Integer, 30, 40, block).error().code,
            ifx::ErrorCode::invalid_argument);
  ASSERT_TRUE(w2->add_encoded_block("c", BlockType::Integer, 30, 40, block));
  ASSERT_TRUE(w2->finish());
  EXPECT_EQ(w2->add_encoded_block("d", BlockType::Integer, 30, 40, block).error().code,
            ifx::ErrorCode::invalid_argument);
}

TEST_F(TsmFileTest, MissingFileIsAnIoError) {
  auto reader = TsmReader::open(dir / "nope.tsm");
  ASSERT_FALSE(reader.has_value());
  EXPECT_EQ(reader.error().code, ifx::ErrorCode::io);
}

}  // namespace
