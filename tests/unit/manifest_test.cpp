// Portable manifest (docs/FORMATS.md §3.4) and the multi-manifest loader (§3.6).
#include "ifx/format/backup/manifest.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "support/paths.hpp"

namespace {

using ifx::PortableManifest;

// §3.4 verbatim: what influxd 1.6.7 wrote (the part before "files" also heads an empty manifest).
const std::string kSpecMeta = R"({
  "meta": {
    "fileName": "20261124T060957Z.meta",
    "size": 906
  },
  "limited": false,)";
const std::string kSpecExample = kSpecMeta + R"(
  "files": [
    {
      "database": "telegraf",
      "policy": "autogen",
      "shardID": 1,
      "fileName": "20261124T060957Z.s1.tar.gz",
      "size": 23040,
      "lastModified": 0
    }
  ]
})";

PortableManifest parse_ok(const std::string& text) {
  auto m = ifx::parse_manifest(text);
  EXPECT_TRUE(m) << m.error().describe();
  return m ? *m : PortableManifest{};
}

void expect_invalid(const std::string& text, const std::string& message) {
  auto m = ifx::parse_manifest(text);
  ASSERT_FALSE(m) << "accepted: " << text;
  EXPECT_EQ(m.error().code, ifx::ErrorCode::manifest_invalid);
  EXPECT_EQ(m.error().message, message);
}

// The standard fields of one files[] entry.
void expect_shard_file(const PortableManifest::ShardFileEntry& f, const std::string& database,
                       const std::string& policy, std::uint64_t shard_id, const std::string& file_name,
                       std::int64_t size, std::int64_t last_modified) {
  EXPECT_EQ(f.database, database);
  EXPECT_EQ(f.policy, policy);
  EXPECT_EQ(f.shard_id, shard_id);
  EXPECT_EQ(f.file_name, file_name);
  EXPECT_EQ(f.size, size);
  EXPECT_EQ(f.last_modified, last_modified);
}

TEST(Manifest, SpecExampleRoundTripsByteForByte) {
  const auto m = parse_ok(kSpecExample);
  EXPECT_EQ(m.meta.file_name, "20261124T060957Z.meta");
  EXPECT_EQ(m.meta.size, 906);
  EXPECT_FALSE(m.limited);
  ASSERT_EQ(m.files.size(), 1u);
  expect_shard_file(m.files[0], "telegraf", "autogen", 1, "20261124T060957Z.s1.tar.gz", 23040, 0);
  EXPECT_TRUE(m.extra.empty());
  EXPECT_EQ(ifx::write_manifest(m), kSpecExample);
}

TEST(Manifest, EmptyFilesAreWrittenAsNullAndReadFromNullOrAbsence) {
  PortableManifest m;
  m.meta.file_name = "20261124T060957Z.meta";
  m.meta.size = 906;
  const std::string text = ifx::write_manifest(m);
  EXPECT_EQ(text, kSpecMeta + R"(
  "files": null
})");
  EXPECT_TRUE(parse_ok(text).files.empty());
  EXPECT_TRUE(parse_ok(R"({"meta":{"fileName":"a.meta","size":1}})").files.empty());
  EXPECT_TRUE(parse_ok(R"({"files":[]})").files.empty());
  // Go: null on a struct or scalar is a no-op, null on a slice empties it.
  const auto n = parse_ok(R"({"files":[{"shardID":4}],"meta":null,"limited":null,"files":null})");
  EXPECT_TRUE(n.files.empty());
  EXPECT_TRUE(parse_ok("null").meta.file_name.empty());
  // A null element of files is a zero entry.
  const auto z = parse_ok(R"({"files":[null,{"shardID":null,"size":5}]})");
  ASSERT_EQ(z.files.size(), 2u);
  EXPECT_EQ(z.files[0].shard_id, 0u);
  EXPECT_EQ(z.files[1].size, 5);
}

TEST(Manifest, KeysMatchCaseInsensitivelyLikeGo) {
  const auto m = parse_ok(
      "{\"META\":{\"FILENAME\":\"x.meta\",\"\xc5\xbfize\":7},\"Limited\":true,"
      "\"Files\":[{\"DataBase\":\"db\",\"POLICY\":\"rp\",\"shardid\":12,\"FileName\":\"x.s12.tar.gz\","
      "\"SIZE\":100,\"LASTMODIFIED\":-3}],\"Database\":\"db\",\"POLICY\":\"rp\",\"SHARD_ID\":12}");
  EXPECT_EQ(m.meta.file_name, "x.meta");
  EXPECT_EQ(m.meta.size, 7);  // "ſize": U+017F folds to 's' in Go
  EXPECT_TRUE(m.limited);
  ASSERT_EQ(m.files.size(), 1u);
  expect_shard_file(m.files[0], "db", "rp", 12, "x.s12.tar.gz", 100, -3);
  EXPECT_EQ(m.database, "db");
  EXPECT_EQ(m.policy, "rp");
  EXPECT_EQ(m.shard_id, 12u);
  EXPECT_TRUE(m.extra.empty());
  EXPECT_TRUE(m.files[0].extra.empty());
  // "shardID" does not fold onto "shard_id" and vice versa.
  const auto s = parse_ok(R"({"shardID":5,"files":[{"shard_id":6}]})");
  EXPECT_EQ(s.shard_id, 0u);
  EXPECT_EQ(s.files[0].shard_id, 0u);
  EXPECT_EQ(s.extra.dump(), R"({"shardID":5})");
  EXPECT_EQ(s.files[0].extra.dump(), R"({"shard_id":6})");
}

TEST(Manifest, LaterDuplicateKeyWinsAndObjectsMerge) {
  const auto m = parse_ok(R"({"meta":{"fileName":"a","size":1},"Meta":{"size":2},"limited":true,"LIMITED":false})");
  EXPECT_EQ(m.meta.file_name, "a");  // Go decodes the second object into the same struct
  EXPECT_EQ(m.meta.size, 2);
  EXPECT_FALSE(m.limited);
}

TEST(Manifest, EnterpriseKeysAreWrittenAfterFilesAndOmittedWhenEmpty) {
  PortableManifest m;
  m.limited = true;
  m.database = "db";
  m.shard_id = 9;
  m.files.push_back({"db", "rp", 9, "b.s9.tar.gz", 1024, 1700000000, {}});
  const std::string text = ifx::write_manifest(m);
  EXPECT_EQ(text, R"({
  "meta": {
    "fileName": "",
    "size": 0
  },
  "limited": true,
  "files": [
    {
      "database": "db",
      "policy": "rp",
      "shardID": 9,
      "fileName": "b.s9.tar.gz",
      "size": 1024,
      "lastModified": 1700000000
    }
  ],
  "database": "db",
  "shard_id": 9
})");
  const auto back = parse_ok(text);
  EXPECT_EQ(back.database, "db");
  EXPECT_EQ(back.policy, "");
  EXPECT_EQ(back.shard_id, 9u);
  EXPECT_EQ(ifx::write_manifest(back), text);
}

TEST(Manifest, UnknownKeysSurviveParseAndWriteInOrder) {
  // The same objects stand in the input and, in another order, in the output.
  const std::string meta = R"("meta": {
    "fileName": "a.meta",
    "size": 3,
    "checksum": "sha256:ab"
  },
  "limited": false,)";
  const std::string alpha = R"("alpha": {
    "nested": [
      1,
      -2,
      1.5,
      true,
      null,
      "x",
      {},
      []
    ],
    "empty": {}
  },)";
  const std::string standard_file_keys = R"("database": "db",
      "policy": "rp",
      "shardID": 1,
      "fileName": "a.s1.tar.gz",
      "size": 512,
      "lastModified": 0,)";
  const std::string in = "{\n  \"zeta\": 1,\n  " + meta + "\n  " + alpha + R"(
  "files": [
    {
      "owner": "node-2",
      )" + standard_file_keys +
                         R"(
      "crc": 12345678901234567890
    }
  ],
  "html": "<a&b>"
})";
  const auto m = parse_ok(in);
  ASSERT_EQ(m.extra.size(), 3u);
  EXPECT_EQ(m.extra.begin().key(), "zeta");
  EXPECT_EQ(m.meta.extra["checksum"], "sha256:ab");
  EXPECT_EQ(m.files[0].extra["owner"], "node-2");
  EXPECT_EQ(m.files[0].extra["crc"].get<std::uint64_t>(), 12345678901234567890ULL);
  // Standard keys first in §3.4 order, then the unknown ones in their original order.
  const std::string expected = "{\n  " + meta + R"(
  "files": [
    {
      )" + standard_file_keys + R"(
      "owner": "node-2",
      "crc": 12345678901234567890
    }
  ],
  "zeta": 1,
  )" + alpha + R"(
  "html": "\u003ca\u0026b\u003e"
})";
  EXPECT_EQ(ifx::write_manifest(m), expected);
  EXPECT_EQ(ifx::write_manifest(parse_ok(expected)), expected);
}

TEST(Manifest, StringsAreEscapedAsGoDoes) {
  PortableManifest m;
  m.meta.file_name = std::string(
      "<>&\"\\/\n\r\t\x01\x08\x0c\x1f\x7f é\xe2\x80\xa8\xe2\x80\xa9|\xff|"
      "\xed\xa0\x80|\xc0\xaf|\xf0\x9f\x98\x80");
  const std::string text = ifx::write_manifest(m);
  const std::string want = R"("fileName": "\u003c\u003e\u0026\"\\/\n\r\t\u0001\u0008\u000c\u001f)"
                           "\x7f \xc3\xa9"
                           R"(\u2028\u2029|\ufffd|\ufffd\ufffd\ufffd|\ufffd\ufffd|)"
                           "\xf0\x9f\x98\x80\"";
  EXPECT_NE(text.find(want), std::string::npos) << text;
}

TEST(Manifest, NumbersInUnknownKeysUseGoFormatting) {
  const auto m = parse_ok(
      R"({"a":1e21,"b":1e-7,"c":0.000001,"d":1e20,"e":123.25,"f":-0.5,"g":1.5e300,"h":12e-10,"i":-0.0})");
  const std::string text = ifx::write_manifest(m);
  for (const char* want : {R"("a": 1e+21)", R"("b": 1e-7)", R"("c": 0.000001)", R"("d": 100000000000000000000)",
                           R"("e": 123.25)", R"("f": -0.5)", R"("g": 1.5e+300)", R"("h": 1.2e-9)", R"("i": -0)"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }
}

TEST(Manifest, InvalidUtf8InInputBecomesReplacementCharacter) {
  const auto m = parse_ok(
      "{\"meta\":{\"fileName\":\"a\xff"
      "b.meta\"}}");
  EXPECT_EQ(m.meta.file_name,
            "a\xef\xbf\xbd"
            "b.meta");
  // A syntax error after the bad byte is reported at its offset in the original text.
  auto e = ifx::parse_manifest("{\"x\":\"\xff\xff\",]");
  ASSERT_FALSE(e);
  ASSERT_TRUE(e.error().offset);
  EXPECT_EQ(*e.error().offset, 10u);  // the "]" after the two bad bytes
}

TEST(Manifest, WrongTypesNameTheKeyAndWhatWasFound) {
  expect_invalid(R"({"files":[{},{},{"shardID":"abc"}]})",
                 R"(files[2].shardID: expected an unsigned integer, found "abc")");
  expect_invalid(R"({"files":[{"shardID":-1}]})", "files[0].shardID: expected an unsigned integer, found -1");
  expect_invalid(R"({"files":[{"size":1.5}]})", "files[0].size: expected an integer, found 1.5");
  expect_invalid(R"({"files":[{"size":1.0}]})", "files[0].size: expected an integer, found 1.0");
  expect_invalid(R"({"files":[{"lastModified":9223372036854775808}]})",
                 "files[0].lastModified: expected an integer that fits in int64, found "
                 "9223372036854775808");
  expect_invalid(R"({"files":[{"fileName":7}]})", "files[0].fileName: expected a string, found 7");
  expect_invalid(R"({"files":[{"Database":["x"]}]})", "files[0].Database: expected a string, found an array");
  expect_invalid(R"({"files":[7]})", "files[0]: expected an object, found 7");
  expect_invalid(R"({"files":{}})", "files: expected an array or null, found an object");
  expect_invalid(R"({"limited":"yes"})", R"(limited: expected true or false, found "yes")");
  expect_invalid(R"({"Meta":{"Size":"906"}})", R"(Meta.Size: expected an integer, found "906")");
  expect_invalid(R"({"meta":[]})", "meta: expected an object, found an array");
  expect_invalid(R"({"shard_id":-4})", "shard_id: expected an unsigned integer, found -4");
  expect_invalid(R"([1])", "manifest must be a JSON object, found an array");
}

TEST(Manifest, NotJsonReportsTheOffset) {
  auto e = ifx::parse_manifest("{\"meta\": {\"fileName\": \"a\",}}");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ifx::ErrorCode::manifest_invalid);
  ASSERT_TRUE(e.error().offset);
  EXPECT_EQ(*e.error().offset, 26u);  // the "}" after the comma
  EXPECT_NE(e.error().message.find("not valid JSON"), std::string::npos);
  EXPECT_EQ(e.error().message.find("[json.exception"), std::string::npos) << e.error().message;

  auto empty = ifx::parse_manifest("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ifx::ErrorCode::manifest_invalid);
  // Trailing data after the object (a truncated second write, a concatenation) is damage.
  auto trailing = ifx::parse_manifest(kSpecExample + "}");
  ASSERT_FALSE(trailing);
  EXPECT_EQ(*trailing.error().offset, kSpecExample.size());
  EXPECT_TRUE(ifx::parse_manifest(kSpecExample + "\n"));
}

TEST(Manifest, ReadsAFileAndNamesItInErrors) {
  ifx::test::ScratchDir dir("manifest");
  ifx::test::write_file(dir / "a.manifest", kSpecExample);
  auto m = ifx::read_manifest_file(dir / "a.manifest");
  ASSERT_TRUE(m) << m.error().describe();
  EXPECT_EQ(m->files.size(), 1u);
  ifx::test::write_file(dir / "b.manifest", R"({"limited":1})");
  auto b = ifx::read_manifest_file(dir / "b.manifest");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, ifx::ErrorCode::manifest_invalid);
  EXPECT_EQ(b.error().file, (dir / "b.manifest").string());
  auto c = ifx::read_manifest_file(dir / "c.manifest");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ifx::ErrorCode::io);
}

// --- §3.6 -------------------------------------------------------------------------------------

PortableManifest::ShardFileEntry entry(std::uint64_t id, const std::string& file, std::int64_t last_modified = 0) {
  return {"db", "rp", id, file, 1024, last_modified, {}};
}

PortableManifest manifest(const std::string& meta_file, std::vector<PortableManifest::ShardFileEntry> files) {
  PortableManifest m;
  m.meta.file_name = meta_file;
  m.meta.size = 10;
  m.files = std::move(files);
  return m;
}

TEST(ManifestChain, OssIncrementalsMergeOldestToNewestWhileInfluxdTakesTheNewest) {
  // Given out of order on purpose.
  std::vector<std::pair<std::string, PortableManifest>> in = {
      {"20240103T000000Z.manifest", manifest("", {entry(1, "20240103T000000Z.s1.tar.gz")})},
      {"20240101T000000Z.manifest", manifest("20240101T000000Z.meta", {entry(1, "20240101T000000Z.s1.tar.gz"),
                                                                       entry(2, "20240101T000000Z.s2.tar.gz")})},
      {"20240102T000000Z.manifest", manifest("20240102T000000Z.meta", {entry(1, "20240102T000000Z.s1.tar.gz"),
                                                                       entry(2, "20240102T000000Z.s2.tar.gz")})},
  };
  const std::set<std::string> present = {"20240101T000000Z.s1.tar.gz", "20240101T000000Z.s2.tar.gz",
                                         "20240102T000000Z.s1.tar.gz",
                                         "20240103T000000Z.s1.tar.gz"};  // 20240102T000000Z.s2.tar.gz is gone
  const auto chain = ifx::merge_manifest_chain(in, [&](const std::string& f) { return present.count(f) > 0; });

  ASSERT_TRUE(chain.meta);  // newest manifest has an empty meta.fileName: skipped
  EXPECT_EQ(chain.meta->file_name, "20240102T000000Z.meta");
  EXPECT_EQ(chain.meta_manifest, "20240102T000000Z.manifest");

  ASSERT_EQ(chain.shards.size(), 2u);
  const auto& s1 = chain.shards.at(1);
  ASSERT_EQ(s1.files.size(), 3u);
  EXPECT_EQ(s1.files[0].entry.file_name, "20240101T000000Z.s1.tar.gz");
  EXPECT_EQ(s1.files[0].manifest, "20240101T000000Z.manifest");
  EXPECT_EQ(s1.files[1].entry.file_name, "20240102T000000Z.s1.tar.gz");
  EXPECT_EQ(s1.files[2].entry.file_name, "20240103T000000Z.s1.tar.gz");
  EXPECT_EQ(s1.influxd_choice, 2u);  // LoadIncremental keeps only the newest

  const auto& s2 = chain.shards.at(2);
  ASSERT_EQ(s2.files.size(), 1u);
  EXPECT_EQ(s2.files[0].entry.file_name, "20240101T000000Z.s2.tar.gz");
  EXPECT_EQ(s2.influxd_choice, 0u);

  ASSERT_EQ(chain.missing.size(), 1u);
  EXPECT_EQ(chain.missing[0].entry.file_name, "20240102T000000Z.s2.tar.gz");
  EXPECT_EQ(chain.missing[0].manifest, "20240102T000000Z.manifest");
}

TEST(ManifestChain, InfluxdPrefersAStrictlyGreaterLastModified) {
  std::vector<std::pair<std::string, PortableManifest>> in = {
      {"b.manifest", manifest("b.meta", {entry(5, "b5", 100), entry(6, "b6", 50)})},
      {"a.manifest", manifest("a.meta", {entry(5, "a5", 200), entry(6, "a6", 50)})},
  };
  const auto chain = ifx::merge_manifest_chain(in, [](const std::string&) { return true; });
  EXPECT_EQ(chain.meta->file_name, "b.meta");
  EXPECT_EQ(chain.shards.at(5).files[chain.shards.at(5).influxd_choice].entry.file_name, "a5");
  // Equal lastModified: the newer manifest's entry stays.
  EXPECT_EQ(chain.shards.at(6).files[chain.shards.at(6).influxd_choice].entry.file_name, "b6");
  EXPECT_EQ(chain.shards.at(6).files[0].entry.file_name, "a6");
}

TEST(ManifestChain, DuplicateFileNamesAppearOnceAndNoMetaMeansNullopt) {
  std::vector<std::pair<std::string, PortableManifest>> in = {
      {"x.manifest", manifest("", {entry(1, "f1"), entry(1, "f1")})},
      {"y.manifest", manifest("", {entry(1, "f1"), entry(1, "f2")})},
  };
  const auto chain = ifx::merge_manifest_chain(in, [](const std::string&) { return true; });
  EXPECT_FALSE(chain.meta);
  const auto& s = chain.shards.at(1);
  ASSERT_EQ(s.files.size(), 2u);
  EXPECT_EQ(s.files[0].manifest, "x.manifest");
  EXPECT_EQ(s.files[1].entry.file_name, "f2");
  EXPECT_EQ(s.influxd_choice, 0u);  // newest manifest y lists f1 first; f2 is not greater

  const auto none = ifx::merge_manifest_chain({}, [](const std::string&) { return true; });
  EXPECT_FALSE(none.meta);
  EXPECT_TRUE(none.shards.empty());
}

}  // namespace
