// Tombstone files v1–v4 (docs/FORMATS.md §6.6): exact bytes, round trips, and damaged files with
// their code and offset.
#include "ifx/format/tsm/tombstone.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "support/archive_builder.hpp"
#include "support/paths.hpp"

namespace {

using ifx::tsm::Tombstone;
using ifx::tsm::TombstoneVersion;
namespace fs = std::filesystem;

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}
std::string be64(std::int64_t v) {
  return be32(static_cast<std::uint64_t>(v) >> 32) + be32(static_cast<std::uint32_t>(v));
}
std::string record(const std::string& key, std::int64_t min, std::int64_t max) {
  return be32(static_cast<std::uint32_t>(key.size())) + key + be64(min) + be64(max);
}

// An independent gzip member (zlib), for hand-made damaged files.
std::string gzip(const std::string& data) { return ifx::test::zlib_gzip(data); }

class TombstoneTest : public ::testing::Test {
 protected:
  ifx::test::ScratchDir dir{"tombstone-test"};
  fs::path file(const std::string& bytes) {
    fs::path p = dir / fmt_name();
    ifx::test::write_file(p, bytes);
    return p;
  }
  std::string fmt_name() { return "t" + std::to_string(counter_++) + ".tombstone"; }
  ifx::Error error_of(const std::string& bytes) {
    auto r = ifx::tsm::read_tombstones(file(bytes));
    EXPECT_FALSE(r.has_value());
    return r ? ifx::Error{} : r.error();
  }
  int counter_ = 0;
};

const std::vector<Tombstone> kBatchA = {{"mem,host=b#!~#free", kMin, 1600000099999999999},
                                        {"mem,host=b#!~#used", kMin, 1600000099999999999}};
const std::vector<Tombstone> kBatchB = {{"cpu#!~#v", -50, -10}};
const std::vector<Tombstone> kBatchC = {{"cpu#!~#v", 100, 200}, {"disk#!~#v", kMin, kMax}};

TEST_F(TombstoneTest, V1TextLinesAreWholeKeyDeletes) {
  auto r = ifx::tsm::read_tombstones(file("cpu#!~#a\n\nmem#!~#b\r\nlast#!~#c"));
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(*r,
            (std::vector<Tombstone>{{"cpu#!~#a", kMin, kMax}, {"mem#!~#b", kMin, kMax}, {"last#!~#c", kMin, kMax}}));

  r = ifx::tsm::read_tombstones(file(""));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->empty());

  r = ifx::tsm::read_tombstones(file("abc"));  // shorter than a header: v1
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, (std::vector<Tombstone>{{"abc", kMin, kMax}}));
}

TEST_F(TombstoneTest, V1WriterRefusesPartialRanges) {
  std::vector<std::vector<Tombstone>> batches{{{"k", 1, 2}}};
  auto r = ifx::tsm::write_tombstones(dir / "v1", TombstoneVersion::V1, batches);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ifx::ErrorCode::invalid_argument);
  batches = {{{"a#!~#x", kMin, kMax}, {"b#!~#y", kMin, kMax}}};
  ASSERT_TRUE(ifx::tsm::write_tombstones(dir / "v1", TombstoneVersion::V1, batches));
  EXPECT_EQ(ifx::test::read_file(dir / "v1"), "a#!~#x\nb#!~#y\n");
}

// Found by tests/fuzz/tombstone_fuzz: this v1 file's only key starts with the bytes of the v4
// header, so writing it back as v1 gave a file that reads as v4. The writer now refuses.
TEST_F(TombstoneTest, V1WriterRefusesAFirstKeyThatLooksLikeAHeader) {
  auto r = ifx::tsm::read_tombstones(file(std::string("\n\x00\x00\x15\x04", 5)));
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  const std::string key("\x00\x00\x15\x04", 4);
  ASSERT_EQ(*r, (std::vector<Tombstone>{{key, kMin, kMax}}));

  std::vector<std::vector<Tombstone>> batches{*r};
  auto w = ifx::tsm::write_tombstones(dir / "v1", TombstoneVersion::V1, batches);
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().code, ifx::ErrorCode::invalid_argument);
  EXPECT_NE(w.error().message.find("v2-v4 header"), std::string::npos) << w.error().message;

  // After another key it is fine (only the first 4 bytes are a header), and v4 holds it anyway.
  batches = {{{"a#!~#x", kMin, kMax}, {key, kMin, kMax}}};
  ASSERT_TRUE(ifx::tsm::write_tombstones(dir / "v1", TombstoneVersion::V1, batches));
  auto back = ifx::tsm::read_tombstones(dir / "v1");
  ASSERT_TRUE(back.has_value()) << back.error().describe();
  EXPECT_EQ(*back, batches[0]);
  batches = {*r};
  ASSERT_TRUE(ifx::tsm::write_tombstones(dir / "v4", TombstoneVersion::V4, batches));
  back = ifx::tsm::read_tombstones(dir / "v4");
  ASSERT_TRUE(back.has_value()) << back.error().describe();
  EXPECT_EQ(*back, *r);
}

TEST_F(TombstoneTest, V2RawRecordsExactBytes) {
  std::vector<std::vector<Tombstone>> batches{kBatchA, kBatchB};
  ASSERT_TRUE(ifx::tsm::write_tombstones(dir / "v2", TombstoneVersion::V2, batches));
  const std::string expected = std::string("\x00\x00\x15\x02", 4) +
                               record(kBatchA[0].key, kBatchA[0].min, kBatchA[0].max) +
                               record(kBatchA[1].key, kBatchA[1].min, kBatchA[1].max) + record("cpu#!~#v", -50, -10);
  EXPECT_EQ(ifx::test::read_file(dir / "v2"), expected);
  auto r = ifx::tsm::read_tombstones(file(expected));
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(*r, (std::vector<Tombstone>{kBatchA[0], kBatchA[1], kBatchB[0]}));
}

TEST_F(TombstoneTest, V2DamageIsReportedAtTheRecord) {
  const std::string header("\x00\x00\x15\x02", 4);
  const std::string first = record("cpu#!~#v", 1, 2);
  // A key length far beyond the file: refused without allocating it.
  ifx::Error e = error_of(header + be32(0xFFFFFFF0u) + "abc");
  EXPECT_EQ(e.code, ifx::ErrorCode::tombstone_invalid);
  EXPECT_EQ(e.offset, 4u);
  // The second record is cut in its time range.
  const std::string second = record("mem#!~#v", 3, 4);
  e = error_of(header + first + second.substr(0, second.size() - 3));
  EXPECT_EQ(e.code, ifx::ErrorCode::tombstone_invalid);
  EXPECT_EQ(e.offset, 4u + first.size());
  // Two stray bytes after the last record.
  e = error_of(header + first + std::string("\x00\x01", 2));
  EXPECT_EQ(e.code, ifx::ErrorCode::tombstone_invalid);
  EXPECT_EQ(e.offset, 4u + first.size());
}

TEST_F(TombstoneTest, V3OneGzipMember) {
  std::vector<std::vector<Tombstone>> batches{kBatchA, kBatchC};
  ASSERT_TRUE(ifx::tsm::write_tombstones(dir / "v3", TombstoneVersion::V3, batches));
  const std::string bytes = ifx::test::read_file(dir / "v3");
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x00\x00\x15\x03", 4));
  auto r = ifx::tsm::read_tombstones(dir / "v3");
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(*r, (std::vector<Tombstone>{kBatchA[0], kBatchA[1], kBatchC[0], kBatchC[1]}));

  // An independently compressed member reads the same.
  r = ifx::tsm::read_tombstones(file(std::string("\x00\x00\x15\x03", 4) + gzip(record("x#!~#y", -3, 3))));
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(*r, (std::vector<Tombstone>{{"x#!~#y", -3, 3}}));

  ifx::Error e = error_of(std::string("\x00\x00\x15\x03", 4));
  EXPECT_EQ(e.code, ifx::ErrorCode::tombstone_invalid);
  EXPECT_EQ(e.offset, 4u);
}

TEST_F(TombstoneTest, V4OneMemberPerBatchLikeInfluxd) {
  std::vector<std::vector<Tombstone>> batches{kBatchA, kBatchB, kBatchC};
  ASSERT_TRUE(ifx::tsm::write_tombstones(dir / "v4", TombstoneVersion::V4, batches));
  const std::string bytes = ifx::test::read_file(dir / "v4");
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x00\x00\x15\x04", 4));
  // docs/FORMATS.md §6.6: Go's gzip member header, MTIME 0, OS 255.
  EXPECT_EQ(bytes.substr(4, 10), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10));
  std::size_t members = 0;
  for (std::size_t at = bytes.find("\x1f\x8b\x08", 4); at != std::string::npos;
       at = bytes.find("\x1f\x8b\x08", at + 1)) {
    ++members;
  }
  EXPECT_EQ(members, 3u);
  auto r = ifx::tsm::read_tombstones(dir / "v4");
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(*r, (std::vector<Tombstone>{kBatchA[0], kBatchA[1], kBatchB[0], kBatchC[0], kBatchC[1]}));

  ASSERT_TRUE(ifx::tsm::write_tombstones_v4(dir / "one", kBatchC));
  auto version = ifx::tsm::for_each_tombstone(dir / "one", [](const Tombstone&) -> ifx::Result<void> { return {}; });
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(*version, TombstoneVersion::V4);

  r = ifx::tsm::read_tombstones(file(std::string("\x00\x00\x15\x04", 4)));  // header only: nothing deleted
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->empty());
}

TEST_F(TombstoneTest, V4DamageIsReportedAtTheMember) {
  const std::string header("\x00\x00\x15\x04", 4);
  const std::string m1 = gzip(record("a#!~#v", 1, 2));
  const std::string m2 = gzip(record("b#!~#v", 3, 4) + record("c#!~#v", 5, 6));
  const std::size_t m2_at = 4 + m1.size();

  ifx::Error e = error_of(header + m1 + m2.substr(0, m2.size() - 5));  // truncated second member
  EXPECT_EQ(e.code, ifx::ErrorCode::tombstone_invalid);
  EXPECT_EQ(e.offset, m2_at);
  EXPECT_NE(e.message.find("truncated"), std::string::npos) << e.message;

  std::string bad_crc = header + m1 + m2;
  bad_crc[bad_crc.size() - 6] ^= 0x20;  // gzip trailer CRC32
  e = error_of(bad_crc);
  EXPECT_EQ(e.code, ifx::ErrorCode::tombstone_invalid);
  EXPECT_EQ(e.offset, m2_at);

  e = error_of(header + m1 + "garbage!");
  EXPECT_EQ(e.code, ifx::ErrorCode::tombstone_invalid);
  EXPECT_EQ(e.offset, m2_at);

  // A member ending inside a record; and a key length larger than the member holds.
  const std::string partial = record("d#!~#v", 7, 8);
  e = error_of(header + m1 + gzip(partial.substr(0, partial.size() - 1)));
  EXPECT_EQ(e.code, ifx::ErrorCode::tombstone_invalid);
  EXPECT_EQ(e.offset, m2_at);
  e = error_of(header + gzip(be32(0xFFFFFFF0u) + "abcdefgh"));
  EXPECT_EQ(e.code, ifx::ErrorCode::tombstone_invalid);
  EXPECT_EQ(e.offset, 4u);
}

TEST_F(TombstoneTest, ManyRecordsAcrossChunks) {
  std::vector<std::vector<Tombstone>> batches(2);
  for (int i = 0; i < 20000; ++i) {
    batches[i % 2].push_back({"cpu,host=server" + std::to_string(i) + "#!~#usage_idle", -i, i * 1000});
  }
  for (auto version : {TombstoneVersion::V2, TombstoneVersion::V3, TombstoneVersion::V4}) {
    fs::path p = dir / ("many" + std::to_string(static_cast<int>(version)));
    ASSERT_TRUE(ifx::tsm::write_tombstones(p, version, batches));
    std::size_t n = 0;
    bool in_order = true;
    auto r = ifx::tsm::for_each_tombstone(p, [&](const Tombstone& t) -> ifx::Result<void> {
      const Tombstone& want = batches[n < 10000 ? 0 : 1][n % 10000];
      in_order = in_order && t == want;
      ++n;
      return {};
    });
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    EXPECT_EQ(*r, version);
    EXPECT_EQ(n, 20000u);
    EXPECT_TRUE(in_order);
  }
}

TEST_F(TombstoneTest, CallbackErrorStopsTheRead) {
  ASSERT_TRUE(ifx::tsm::write_tombstones_v4(dir / "stop", kBatchC));
  int calls = 0;
  auto r = ifx::tsm::for_each_tombstone(dir / "stop", [&](const Tombstone&) -> ifx::Result<void> {
    ++calls;
    return ifx::fail(ifx::ErrorCode::usage, "stop here");
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ifx::ErrorCode::usage);
  EXPECT_EQ(calls, 1);
}

}  // namespace
