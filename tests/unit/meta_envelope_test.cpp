// Legacy meta.NN envelope (docs/FORMATS.md §2.3) and portable .meta wrapper (§3.2).
#include "ifx/format/meta/meta_envelope.hpp"

#include <gtest/gtest.h>

#include <string>

#include "support/paths.hpp"

namespace {

using namespace ifx::meta;

std::string u64be(std::uint64_t v) {
  std::string s;
  for (int shift = 56; shift >= 0; shift -= 8) s.push_back(static_cast<char>(v >> shift));
  return s;
}

const std::string kMagic("\x00\x00\x00\x00\x59\x59\x01\x01", 8);

// A 906-byte "blob" shaped like the verified example (starts 08 00 10 1c 18 …).
std::string blob906() {
  std::string b("\x08\x00\x10\x1c\x18", 5);
  for (std::size_t i = b.size(); i < 906; ++i) b.push_back(static_cast<char>(i * 7));
  return b;
}

template <class T>
void expect_invalid(const ifx::Result<T>& r, std::uint64_t offset, const std::string& fragment) {
  ASSERT_FALSE(r) << "accepted";
  EXPECT_EQ(r.error().code, ifx::ErrorCode::meta_invalid);
  ASSERT_TRUE(r.error().offset) << r.error().message;
  EXPECT_EQ(*r.error().offset, offset) << r.error().message;
  EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
}

TEST(LegacyMeta, WritesTheVerifiedLayout) {
  const std::string blob = blob906();
  const std::string file = write_legacy_meta(blob);
  ASSERT_EQ(file.size(), 935u);  // 8 + 8 + 906 + 8 + 5
  EXPECT_EQ(file.substr(0, 8), kMagic);
  EXPECT_EQ(file.substr(8, 8), std::string("\x00\x00\x00\x00\x00\x00\x03\x8a", 8));
  EXPECT_EQ(file.substr(16, 906), blob);
  EXPECT_EQ(file.substr(922, 8), u64be(5));
  EXPECT_EQ(file.substr(930), "null\n");

  auto parsed = parse_legacy_meta(file);
  ASSERT_TRUE(parsed) << parsed.error().describe();
  EXPECT_EQ(parsed->blob, blob);
  EXPECT_EQ(parsed->node_json, "null\n");
}

TEST(LegacyMeta, AcceptsANodeObjectAndAnEmptyBlob) {
  auto r = parse_legacy_meta(write_legacy_meta("abc", "{\"ID\":1}\n"));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->blob, "abc");
  EXPECT_EQ(r->node_json, "{\"ID\":1}\n");
  auto e = parse_legacy_meta(write_legacy_meta(""));
  ASSERT_TRUE(e) << e.error().describe();
  EXPECT_EQ(e->blob, "");
}

TEST(LegacyMeta, BadMagic) {
  std::string file = write_legacy_meta("abc");
  file[4] = '\x58';
  expect_invalid(parse_legacy_meta(file), 0, "found 00 00 00 00 58 59 01 01");
  // A portable .meta handed in by mistake.
  expect_invalid(parse_legacy_meta(std::string("\x0a\x03"
                                               "abc\x10\x00",
                                               7)),
                 0, "expected magic 00 00 00 00 59 59 01 01");
}

TEST(LegacyMeta, ShortFiles) {
  expect_invalid(parse_legacy_meta(std::string()), 0, "truncated: 0 bytes");
  expect_invalid(parse_legacy_meta(kMagic.substr(0, 5)), 0, "truncated: 5 bytes");
  expect_invalid(parse_legacy_meta(kMagic + std::string(3, '\0')), 8, "truncated: 11 bytes");
}

TEST(LegacyMeta, BlobLengthLargerThanTheFile) {
  std::string file = write_legacy_meta("abcdef");
  file.replace(8, 8, u64be(1000));
  expect_invalid(parse_legacy_meta(file), 8, "is 1000 bytes but only 19 bytes follow");
  file.replace(8, 8, u64be(~0ULL));  // must not overflow 16 + M
  expect_invalid(parse_legacy_meta(file), 8, "is 18446744073709551615 bytes");
}

TEST(LegacyMeta, FileEndsInsideTheNodeLength) {
  const std::string file = write_legacy_meta("abcdef");
  expect_invalid(parse_legacy_meta(file.substr(0, 16 + 6 + 3)), 22, "ends 3 bytes after the 6-byte meta blob");
  expect_invalid(parse_legacy_meta(file.substr(0, 16 + 6)), 22, "ends 0 bytes after");
}

TEST(LegacyMeta, NodeLengthMismatch) {
  std::string file = write_legacy_meta("abcdef");
  file.replace(22, 8, u64be(6));
  expect_invalid(parse_legacy_meta(file), 22, "is 6 bytes but 5 bytes follow it");
  file.replace(22, 8, u64be(4));
  expect_invalid(parse_legacy_meta(file), 22, "is 4 bytes but 5 bytes follow it");
  // Trailing junk after a consistent envelope.
  expect_invalid(parse_legacy_meta(write_legacy_meta("abcdef") + "x"), 22, "is 5 bytes but 6 bytes follow it");
}

TEST(LegacyMeta, NodeJsonMustBeNullOrAnObject) {
  expect_invalid(parse_legacy_meta(write_legacy_meta("ab", "nul\n")), 26, "found \"nul\\n\"");
  expect_invalid(parse_legacy_meta(write_legacy_meta("ab", "[1]\n")), 26, "JSON object");
  expect_invalid(parse_legacy_meta(write_legacy_meta("ab", "")), 26, "JSON object");
  expect_invalid(parse_legacy_meta(write_legacy_meta("ab", "{} {}")), 26, "JSON object");
}

TEST(LegacyMetaFile, ReadsFromDiskAndNamesTheFileInErrors) {
  ifx::test::ScratchDir dir("meta-file");
  const std::string blob = blob906();
  ifx::test::write_file(dir / "meta.00", write_legacy_meta(blob));
  auto r = read_legacy_meta_file(dir / "meta.00");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->blob, blob);
  EXPECT_EQ(r->node_json, "null\n");

  std::string bad = write_legacy_meta(blob);
  bad.replace(922, 8, u64be(7));
  ifx::test::write_file(dir / "meta.01", bad);
  auto e = read_legacy_meta_file(dir / "meta.01");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ifx::ErrorCode::meta_invalid);
  EXPECT_EQ(e.error().file, (dir / "meta.01").string());
  ASSERT_TRUE(e.error().offset);
  EXPECT_EQ(*e.error().offset, 922u);

  // A corrupted length of 2^62 is refused before any allocation.
  std::string huge = write_legacy_meta(blob);
  huge.replace(8, 8, u64be(1ULL << 62));
  ifx::test::write_file(dir / "meta.02", huge);
  auto h = read_legacy_meta_file(dir / "meta.02");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, ifx::ErrorCode::meta_invalid);
  EXPECT_EQ(*h.error().offset, 8u);

  auto missing = read_legacy_meta_file(dir / "meta.99");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ifx::ErrorCode::io);
  EXPECT_EQ(missing.error().file, (dir / "meta.99").string());
}

TEST(LegacyMetaFile, StreamingAndInMemoryAgreeOnEveryTruncation) {
  ifx::test::ScratchDir dir("meta-file-trunc");
  const std::string file = write_legacy_meta("0123456789", "{\"ID\":3}\n");
  for (std::size_t n = 0; n < file.size(); ++n) {
    const std::string prefix = file.substr(0, n);
    ifx::test::write_file(dir / "m", prefix);
    auto mem = parse_legacy_meta(prefix);
    auto disk = read_legacy_meta_file(dir / "m");
    ASSERT_FALSE(mem) << n;
    ASSERT_FALSE(disk) << n;
    EXPECT_EQ(mem.error().message, disk.error().message);
    EXPECT_EQ(mem.error().offset, disk.error().offset);
  }
}

// --- portable .meta ---------------------------------------------------------------------------

TEST(PortableMeta, EncodesTheVerifiedBytes) {
  const std::string blob = blob906();
  const std::string meta = encode_portable_meta(blob);
  ASSERT_EQ(meta.size(), 911u);
  EXPECT_EQ(meta.substr(0, 3), std::string("\x0a\x8a\x07", 3));
  EXPECT_EQ(meta.substr(3, 906), blob);
  EXPECT_EQ(meta.substr(909), std::string("\x10\x00", 2));
  auto back = parse_portable_meta(meta);
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(*back, blob);

  EXPECT_EQ(encode_portable_meta("", 300), std::string("\x0a\x00\x10\xac\x02", 5));
  EXPECT_EQ(encode_portable_meta("xy"), std::string("\x0a\x02xy\x10\x00", 6));
}

TEST(PortableMeta, ToleratesUnknownFieldsOrderAndMissingMaxNodeId) {
  // MaxNodeID first, an unknown 32-bit field 3, an unknown string field 4, then Data.
  const std::string odd(
      "\x10\x05\x1d\x01\x02\x03\x04\x22\x01z\x0a\x03"
      "abc",
      15);
  auto r = parse_portable_meta(odd);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(*r, "abc");
  auto no_max = parse_portable_meta(
      std::string("\x0a\x02"
                  "ab",
                  4));
  ASSERT_TRUE(no_max) << no_max.error().describe();
  EXPECT_EQ(*no_max, "ab");
}

void expect_portable_invalid(const std::string& bytes, std::uint64_t offset, const std::string& fragment) {
  expect_invalid(parse_portable_meta(bytes), offset, fragment);
}

TEST(PortableMeta, DamagedWrappers) {
  expect_portable_invalid("", 0, "no Data field");
  expect_portable_invalid(std::string("\x10\x00", 2), 0, "no Data field");
  // Data declares 906 bytes, 3 present.
  expect_portable_invalid(std::string("\x0a\x8a\x07"
                                      "abc",
                                      6),
                          1, "declares 906 bytes at offset 1 but only 3 remain");
  // Length varint cut off.
  expect_portable_invalid(std::string("\x0a\x8a", 2), 1, "truncated inside the length");
  // MaxNodeID value cut off.
  expect_portable_invalid(std::string("\x0a\x00\x10", 3), 3, "truncated inside the varint");
  // Wire type 3 (group) is not something this wrapper ever holds.
  expect_portable_invalid(std::string("\x0a\x00\x0b", 3), 2, "unsupported wire type 3");
  // Data sent as a varint is not Data.
  expect_portable_invalid(std::string("\x08\x05\x10\x00", 4), 0, "no Data field");
  // A legacy meta.NN handed in by mistake: field 0.
  expect_portable_invalid(write_legacy_meta("abc"), 0, "field number 0");
}

}  // namespace
