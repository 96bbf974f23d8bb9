// ifx-verify over the fixtures made by real influxd: every good backup verifies clean, and each
// defect class, made by damaging a copy in one precise way, is reported with its exact code, file,
// entry and offset. Most tests call check::check_backup in-process; the CLI tests run the binary.
#include <gtest/gtest.h>

#include <cstdio>
#include <sys/wait.h>

#include "ifx/format/io/checksum.hpp"
#include "ifx/format/backup/backup_set.hpp"
#include "verify_damage.hpp"

namespace {

using namespace vt;
using ifx::test::read_file;
using ifx::test::ScratchDir;
using ifx::test::write_file;

std::vector<std::string> good_fixtures() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(ifx::test::fixtures_dir()))
    if (e.is_directory()) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// A test with a scratch directory for writable copies of the fixtures it damages.
class WithCopies : public ::testing::Test {
 protected:
  fs::path copy(const std::string& fixture_name) const { return copy_fixture(scratch_, fixture_name); }
  ScratchDir scratch_{"verify"};
};
using VerifyDefects = WithCopies;
using VerifyNotes = WithCopies;
using VerifyChain = WithCopies;
using VerifyTsm = WithCopies;
using VerifyKeepsGoing = WithCopies;
using VerifyFilters = WithCopies;
using VerifyCli = WithCopies;

// ---- every good fixture verifies clean -------------------------------------------------------
class VerifyClean : public ::testing::TestWithParam<std::string> {};

TEST_P(VerifyClean, FullAndQuickFindNoDefect) {
  for (bool quick : {false, true}) {
    Report r = verify(ifx::test::fixture(GetParam()), [&](auto& o) { o.quick = quick; });
    EXPECT_TRUE(r.valid()) << (quick ? "--quick" : "full") << ":\n" << describe(r);
    EXPECT_EQ(ifx::verify::exit_code(r), 0);
    EXPECT_GE(r.checked.files, 1u);
    if (quick) {
      EXPECT_EQ(r.checked.points, 0u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, VerifyClean, ::testing::ValuesIn(good_fixtures()),
                         [](const auto& info) { return ifx::test::test_name_of(info.param); });

TEST(VerifyCounts, PortableDbReadsEveryBlockAndPoint) {
  Report r = verify(ifx::test::fixture("portable-db"));
  ASSERT_TRUE(r.valid()) << describe(r);
  EXPECT_EQ(r.checked.archives, 2u);
  EXPECT_EQ(r.checked.files, 4u);  // manifest, meta, two archives
  std::uint64_t bytes = 0;
  for (const auto& e : fs::directory_iterator(ifx::test::fixture("portable-db"))) bytes += e.file_size();
  EXPECT_EQ(r.checked.bytes, bytes);
  EXPECT_EQ(r.checked.tsm_files, 4u);  // 3 in shard 9, 1 in shard 10
  EXPECT_GT(r.checked.blocks, 0u);
  EXPECT_GE(r.checked.points, 3600u);  // the 3600-point measurement alone
}

// ---- compression -----------------------------------------------------------------------------
TEST_F(VerifyDefects, GzipTruncatedInsideTrailer) {
  fs::path dir = copy("portable-db");
  std::string archive = file_ending(dir, ".s9.tar.gz");
  std::string bytes = read_file(dir / archive);
  write_file(dir / archive, bytes.substr(0, bytes.size() - 4));
  Report r = verify(dir);
  ASSERT_EQ(r.defects.size(), 1u) << describe(r);
  const auto& d = r.defects[0];
  EXPECT_EQ(d.code, ifx::ErrorCode::gzip_truncated);
  EXPECT_EQ(d.file, archive);
  EXPECT_EQ(d.entry, "");
  EXPECT_EQ(d.offset, bytes.size() - 4) << d.message;  // where the file ends
  EXPECT_EQ(ifx::verify::exit_code(r), 1);
}

TEST_F(VerifyDefects, GzipTrailerCrcMismatch) {
  fs::path dir = copy("portable-db");
  std::string archive = file_ending(dir, ".s9.tar.gz");
  const std::uint64_t crc_at = fs::file_size(dir / archive) - 8;  // docs/FORMATS.md §3.3: CRC32, ISIZE
  flip_byte(dir / archive, crc_at, 0x01);
  const ifx::Error d = only_defect(verify(dir), "gzip-crc", archive);
  EXPECT_EQ(d.entry, "");
  EXPECT_EQ(d.offset, crc_at) << d.message;
}

TEST_F(VerifyDefects, GzipIsizeMismatch) {
  fs::path dir = copy("portable-db");
  std::string archive = file_ending(dir, ".s10.tar.gz");
  const std::uint64_t isize_at = fs::file_size(dir / archive) - 4;
  flip_byte(dir / archive, isize_at, 0x10);
  const ifx::Error d = only_defect(verify(dir), "gzip-crc", archive);
  EXPECT_EQ(d.offset, isize_at) << d.message;
}

// ---- tar ---------------------------------------------------------------------------------------
TEST_F(VerifyDefects, TarTruncatedInsideEntryData) {
  fs::path dir = copy("legacy-db");
  const std::string archive = "plain.autogen.00009.00";  // a raw tar (docs/FORMATS.md §2.4)
  auto entries = read_shard_archive(dir / archive);
  ASSERT_FALSE(entries.empty());
  std::string bytes = read_file(dir / archive);
  const std::uint64_t cut = 512 + 100;  // the first entry's header, then 100 bytes of its data
  ASSERT_GT(entries[0].data.size(), 100u);
  write_file(dir / archive, bytes.substr(0, cut));
  Report r = verify(dir);
  auto found = with_code(r, "tar-truncated");
  ASSERT_EQ(found.size(), 1u) << describe(r);
  EXPECT_EQ(found[0]->file, archive);
  EXPECT_EQ(found[0]->entry, entries[0].name);
  EXPECT_EQ(found[0]->offset, cut) << found[0]->message;
  EXPECT_EQ(r.defects.size(), 1u) << describe(r);
}

TEST_F(VerifyDefects, TarMissingEndOfArchiveMarker) {
  fs::path dir = copy("legacy-db");
  const std::string archive = "plain.autogen.00010.00";
  std::string bytes = read_file(dir / archive);
  write_file(dir / archive, bytes.substr(0, bytes.size() - 1024));  // influxd's §4.4.1 bug
  const ifx::Error d = only_defect(verify(dir), "tar-truncated", archive);
  EXPECT_EQ(d.offset, bytes.size() - 1024) << d.message;
}

TEST_F(VerifyDefects, TarHeaderChecksum) {
  fs::path dir = copy("legacy-db");
  const std::string archive = "plain.autogen.00009.00";
  flip_byte(dir / archive, 300, 0x20);  // inside the first header, outside its checksum field
  const ifx::Error d = only_defect(verify(dir), "tar-header", archive);
  EXPECT_EQ(d.offset, 0u) << d.message;
}

struct UnsafeCase {
  const char* name;
  const char* entry;
};

class VerifyUnsafe : public WithCopies, public ::testing::WithParamInterface<UnsafeCase> {};

TEST_P(VerifyUnsafe, EntryNameIsReportedAtItsHeader) {
  fs::path dir = copy("legacy-db");
  // A second increment of shard 9 whose second entry is hostile; the first is fine.
  const std::string archive = "plain.autogen.00009.01";
  write_file(dir / archive, tar_of({{"plain/autogen/9/ok.txt", "fine"}, {GetParam().entry, "evil"}}));
  const ifx::Error d = only_defect(verify(dir), "unsafe-path", archive);
  EXPECT_EQ(d.entry, GetParam().entry);
  EXPECT_EQ(d.offset, 1024u) << d.message;  // header 0, data 512, header 1024
}

INSTANTIATE_TEST_SUITE_P(Names, VerifyUnsafe,
                         ::testing::Values(UnsafeCase{"dotdot", "plain/autogen/9/../../../../etc/x"},
                                           UnsafeCase{"absolute", "/plain/autogen/9/x.tsm"},
                                           UnsafeCase{"other_shard", "plain/autogen/10/x.tsm"},
                                           UnsafeCase{"other_db", "other/autogen/9/x.tsm"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(VerifyNotes, DuplicateEntryNamesAreANoteNotADefect) {
  fs::path dir = copy("portable-db");
  std::string archive = file_ending(dir, ".s10.tar.gz");
  auto entries = read_shard_archive(dir / archive);
  ASSERT_FALSE(entries.empty());
  entries.push_back(entries[0]);  // influxd's exact-boundary export does this (docs/FORMATS.md §4.4)
  ifx::test::rewrite_archive(dir, archive, entries);
  Report r = verify(dir);
  EXPECT_TRUE(r.valid()) << describe(r);
  auto duplicate_notes = [](const Report& rep) {
    std::vector<std::string> out;
    for (const auto& n : rep.notes)
      if (n.find("more than once") != std::string::npos) out.push_back(n);
    return out;
  };
  auto one = duplicate_notes(r);
  ASSERT_EQ(one.size(), 1u) << describe(r);
  EXPECT_NE(one[0].find("1 entry in 1 archive occurs more than once"), std::string::npos) << one[0];
  EXPECT_NE(one[0].find(archive + ": " + entries[0].name), std::string::npos) << one[0];
  EXPECT_EQ(r.checked.tsm_files, 5u);  // both copies were checked

  // The same in every archive: still one note, with the count, not one per shard.
  std::string archive9 = file_ending(dir, ".s9.tar.gz");
  auto entries9 = read_shard_archive(dir / archive9);
  ASSERT_FALSE(entries9.empty());
  entries9.push_back(entries9[0]);
  ifx::test::rewrite_archive(dir, archive9, entries9);
  Report both = verify(dir);
  EXPECT_TRUE(both.valid()) << describe(both);
  auto two = duplicate_notes(both);
  ASSERT_EQ(two.size(), 1u) << describe(both);
  EXPECT_NE(two[0].find("2 entries in 2 archives occur more than once"), std::string::npos) << two[0];
}

// ---- directory and manifest ------------------------------------------------------------------
TEST_F(VerifyDefects, FileMissing) {
  fs::path dir = copy("portable-db");
  std::string archive = file_ending(dir, ".s10.tar.gz");
  fs::remove(dir / archive);
  const ifx::Error d = only_defect(verify(dir), "file-missing", archive);
  EXPECT_EQ(d.entry, "");
  EXPECT_FALSE(d.offset);
}

TEST_F(VerifyDefects, FileUnexpectedIncludingPendingLeftovers) {
  fs::path dir = copy("portable-db");
  write_file(dir / "notes.txt", "x");
  write_file(dir / "20261124T151120Z.s11.tar.gz.pending", "");
  Report r = verify(dir);
  auto found = with_code(r, "file-unexpected");
  ASSERT_EQ(found.size(), 2u) << describe(r);
  ASSERT_EQ(r.defects.size(), 2u) << describe(r);
  EXPECT_EQ(found[0]->file, "20261124T151120Z.s11.tar.gz.pending");
  EXPECT_NE(found[0]->message.find(".pending"), std::string::npos);
  EXPECT_EQ(found[1]->file, "notes.txt");
}

TEST_F(VerifyDefects, LegacyUnparsableNameIsUnexpected) {
  fs::path dir = copy("legacy-db");
  write_file(dir / "plain.autogen.9.00", std::string(1024, '\0'));  // id needs 5 digits
  only_defect(verify(dir), "file-unexpected", "plain.autogen.9.00");
}

TEST_F(VerifyDefects, ManifestBrokenJson) {
  fs::path dir = copy("portable-db");
  std::string manifest = file_ending(dir, ".manifest");
  std::string text = read_file(dir / manifest);
  write_file(dir / manifest, text.substr(0, 100));
  Report r = verify(dir);
  const ifx::Error& d = only_defect(r, "manifest-invalid", manifest);
  EXPECT_EQ(d.offset, 100u) << d.message;  // JSON ends there
  EXPECT_EQ(ifx::verify::exit_code(r), 1);
}

TEST_F(VerifyDefects, ManifestMissingFields) {
  fs::path dir = copy("portable-db");
  std::string manifest = file_ending(dir, ".manifest");
  std::string text = read_file(dir / manifest);
  auto at = text.find("\"shardID\": 10,");
  ASSERT_NE(at, std::string::npos);
  text.erase(at, std::string("\"shardID\": 10,").size());
  write_file(dir / manifest, text);
  Report r = verify(dir);
  auto found = with_code(r, "manifest-invalid");
  ASSERT_EQ(found.size(), 1u) << describe(r);
  EXPECT_EQ(found[0]->file, manifest);
  EXPECT_NE(found[0]->message.find("files[1]: shardID"), std::string::npos) << found[0]->message;
}

TEST_F(VerifyDefects, ManifestFileNameOutsideTheDirectory) {
  fs::path dir = copy("portable-db");
  edit_manifest(dir, [](ifx::PortableManifest& m) { m.files[1].file_name = "../escape.tar.gz"; });
  Report r = verify(dir);
  auto found = with_code(r, "unsafe-path");
  ASSERT_EQ(found.size(), 1u) << describe(r);
  EXPECT_EQ(found[0]->file, file_ending(dir, ".manifest"));
}

TEST_F(VerifyChain, SeveralManifestsAreOneChain) {
  fs::path dir = copy("portable-db");
  const std::string base = file_ending(dir, ".manifest").substr(0, 16);  // 20261124T151120Z
  const std::string later = "20261125T000000Z";
  // A later incremental run that holds shard 10 again (docs/FORMATS.md §3.6).
  fs::copy_file(dir / (base + ".s10.tar.gz"), dir / (later + ".s10.tar.gz"));
  fs::copy_file(dir / (base + ".meta"), dir / (later + ".meta"));
  auto m = ifx::read_manifest_file(dir / (base + ".manifest"));
  ASSERT_TRUE(m);
  m->meta.file_name = later + ".meta";
  m->files.erase(m->files.begin());
  m->files[0].file_name = later + ".s10.tar.gz";
  write_file(dir / (later + ".manifest"), ifx::write_manifest(*m));
  Report r = verify(dir);
  EXPECT_TRUE(r.valid()) << describe(r);
  EXPECT_EQ(r.checked.archives, 3u);  // every file of the chain, the older s10 too
  EXPECT_EQ(r.checked.files, 7u);     // 2 manifests, both metas, 3 archives
  // The older run's meta file is checked as well.
  std::string old_meta = read_file(dir / (base + ".meta"));
  write_file(dir / (base + ".meta"), old_meta.substr(0, 300));
  Report bad_meta = verify(dir);
  ASSERT_EQ(bad_meta.defects.size(), 1u) << describe(bad_meta);
  EXPECT_EQ(bad_meta.defects[0].code, ifx::ErrorCode::meta_invalid);
  EXPECT_EQ(bad_meta.defects[0].file, base + ".meta");
  write_file(dir / (base + ".meta"), old_meta);
  // An older manifest that no longer parses is reported; the chain still verifies the rest.
  write_file(dir / (base + ".manifest"), "{\"meta\": ");
  Report broken = verify(dir);
  auto found = with_code(broken, "manifest-invalid");
  ASSERT_EQ(found.size(), 1u) << describe(broken);
  EXPECT_EQ(found[0]->file, base + ".manifest");
  EXPECT_EQ(found[0]->offset, 9u) << found[0]->message;
}

TEST_F(VerifyDefects, SizeMismatch) {
  fs::path dir = copy("portable-db");
  std::string archive = file_ending(dir, ".s9.tar.gz");
  edit_manifest(dir, [&](ifx::PortableManifest& m) {
    for (auto& f : m.files)
      if (f.file_name == archive) f.size += 512;
  });
  const ifx::Error d = only_defect(verify(dir), "size-mismatch", archive);
  EXPECT_EQ(d.entry, "");
  EXPECT_FALSE(d.offset);
  EXPECT_NE(d.message.find("10752"), std::string::npos) << d.message;  // found
  EXPECT_NE(d.message.find("11264"), std::string::npos) << d.message;  // expected
}

TEST_F(VerifyDefects, MetaSizeMismatch) {
  fs::path dir = copy("portable-db");
  edit_manifest(dir, [](ifx::PortableManifest& m) { m.meta.size += 1; });
  only_defect(verify(dir), "size-mismatch", file_ending(dir, ".meta"));
}

TEST_F(VerifyDefects, PortableMetaTruncated) {
  fs::path dir = copy("portable-db");
  std::string meta = file_ending(dir, ".meta");
  std::string bytes = read_file(dir / meta);
  write_file(dir / meta, bytes.substr(0, 200));
  const ifx::Error d = only_defect(verify(dir), "meta-invalid", meta);
  EXPECT_TRUE(d.offset.has_value()) << d.message;
}

TEST_F(VerifyDefects, OlderLegacyMetaWithBadMagic) {
  fs::path dir = copy("legacy-since-chain");
  flip_byte(dir / "meta.00", 4, 0x01);  // magic 00 00 00 00 59 59 01 01 (docs/FORMATS.md §2.3)
  const ifx::Error d = only_defect(verify(dir), "meta-invalid", "meta.00");
  EXPECT_EQ(d.offset, 0u) << d.message;
}

TEST_F(VerifyDefects, LegacyIncrementChainGap) {
  fs::path dir = copy("legacy-since-chain");
  fs::rename(dir / "inc.autogen.00013.01", dir / "inc.autogen.00013.02");
  only_defect(verify(dir), "chain-gap", "inc.autogen.00013.01");
}

TEST_F(VerifyDefects, LegacyMetaChainGap) {
  fs::path dir = copy("legacy-since-chain");
  fs::rename(dir / "meta.00", dir / "meta.02");
  Report r = verify(dir);
  auto found = with_code(r, "chain-gap");
  ASSERT_EQ(found.size(), 1u) << describe(r);
  EXPECT_EQ(found[0]->file, "meta.00");
}

TEST_F(VerifyDefects, ShardNotInMeta) {
  fs::path dir = copy("legacy-db");
  // Shard 99 does not exist; its entries say shard 99 too, so only the meta check fires.
  EXPECT_EQ(ifx::test::add_legacy_increment(dir, {.db = "plain", .rp = "autogen", .id = 99, .files = {{"a.txt", "x"}}}),
            "plain.autogen.00099.00");
  only_defect(verify(dir), "shard-not-in-meta", "plain.autogen.00099.00");
}

TEST_F(VerifyDefects, ShardMissingFromRecordedEnterpriseScope) {
  fs::path dir = copy("portable-db");
  std::string archive = file_ending(dir, ".s10.tar.gz");
  fs::remove(dir / archive);
  edit_manifest(dir, [](ifx::PortableManifest& m) {
    m.limited = true;
    m.database = "plain";
    m.files.pop_back();  // shard 10
  });
  const ifx::Error d = only_defect(verify(dir), "shard-missing", file_ending(dir, ".manifest"));
  EXPECT_NE(d.message.find("shard 10 "), std::string::npos) << d.message;
}

TEST_F(VerifyDefects, ShardMissingFromOurOwnScopeKey) {
  fs::path dir = copy("portable-db");
  fs::remove(dir / file_ending(dir, ".s9.tar.gz"));
  edit_manifest(dir, [](ifx::PortableManifest& m) {
    m.extra["scope"] = {{"database", "plain"}, {"retention_policy", nullptr}, {"shard", nullptr}};
    m.files.erase(m.files.begin());  // shard 9
  });
  Report r = verify(dir);
  ASSERT_EQ(r.defects.size(), 1u) << describe(r);
  EXPECT_EQ(r.defects[0].code, ifx::ErrorCode::shard_missing);
}

TEST_F(VerifyNotes, OssBackupWithoutScopeListsAbsentShardsAsNotes) {
  // portable-db-rp-shard holds shard 9 only; influxd OSS records no scope, so the others are
  // "not in this backup", not defects.
  Report r = verify(ifx::test::fixture("portable-db-rp-shard"));
  EXPECT_TRUE(r.valid()) << describe(r);
  bool noted = false;
  for (const auto& n : r.notes) noted |= n.find("not in this backup") != std::string::npos;
  EXPECT_TRUE(noted);
}

// ---- TSM inside a .tar.gz --------------------------------------------------------------------
const char* kTsm1 = "/000000001-000000001.tsm";

struct TsmCase {
  fs::path dir;
  std::string archive;
  std::string entry;
  std::vector<TsmBlockAt> blocks;
};

// Copies portable-db and applies `damage` to the first TSM file of shard 9.
TsmCase damage_tsm(const ScratchDir& s,
                   const std::function<void(std::string&, const std::vector<TsmBlockAt>&)>& damage) {
  TsmCase c;
  c.dir = copy_fixture(s, "portable-db");
  c.archive = file_ending(c.dir, ".s9.tar.gz");
  c.entry = rewrite_entry(c.dir, c.archive, kTsm1, [&](std::string& tsm) {
    c.blocks = tsm_blocks(tsm);
    damage(tsm, c.blocks);
  });
  return c;
}

void expect_one(const Report& r, const TsmCase& c, const std::string& code, std::uint64_t offset) {
  const ifx::Error& d = only_defect(r, code, c.archive);
  EXPECT_EQ(d.entry, c.entry);
  EXPECT_EQ(d.offset, offset) << d.message;
}

TEST_F(VerifyTsm, HeaderMagic) {
  auto c = damage_tsm(scratch_, [](std::string& t, const auto&) { t[1] ^= 0x40; });
  expect_one(verify(c.dir), c, "tsm-header", 0);
}

TEST_F(VerifyTsm, BlockCrcIsFoundByQuickToo) {
  std::uint64_t at = 0;
  auto c = damage_tsm(scratch_, [&](std::string& t, const std::vector<TsmBlockAt>& blocks) {
    ASSERT_GE(blocks.size(), 2u);
    const auto& e = blocks[1].entry;  // the second block, somewhere in its data
    at = e.offset;
    t[e.offset + 4 + e.size / 2 - 2] ^= 0x08;
  });
  expect_one(verify(c.dir), c, "tsm-block-crc", at);
  expect_one(verify(c.dir, [](auto& o) { o.quick = true; }), c, "tsm-block-crc", at);
}

TEST_F(VerifyTsm, BlockThatFailsToDecodeUnderAValidCrc) {
  TsmBlockAt b{};
  auto c = damage_tsm(scratch_, [&](std::string& t, const std::vector<TsmBlockAt>& blocks) {
    b = blocks[0];
    const auto& e = b.entry;
    // docs/FORMATS.md §7: type byte, uvarint length of the timestamp section. Claim far more
    // timestamp bytes than the block holds, then fix the CRC so only decoding can tell.
    t[e.offset + 5] = static_cast<char>(0x7f);
    std::uint32_t crc = ifx::crc32({reinterpret_cast<const std::uint8_t*>(t.data()) + e.offset + 4, e.size - 4});
    for (int i = 0; i < 4; ++i) t[e.offset + i] = static_cast<char>(crc >> (24 - 8 * i));
  });
  Report r = verify(c.dir);
  ASSERT_EQ(r.defects.size(), 1u) << describe(r);
  EXPECT_EQ(r.defects[0].code, ifx::ErrorCode::tsm_block_decode);
  EXPECT_EQ(r.defects[0].entry, c.entry);
  ASSERT_TRUE(r.defects[0].offset);
  EXPECT_GE(*r.defects[0].offset, b.entry.offset + 4);  // inside this block's data
  EXPECT_LT(*r.defects[0].offset, b.entry.offset + b.entry.size);
  EXPECT_TRUE(verify(c.dir, [](auto& o) { o.quick = true; }).valid()) << "--quick does not decode";
}

TEST_F(VerifyTsm, IndexMaxTimeDisagreesWithBlock) {
  TsmBlockAt b{};
  auto c = damage_tsm(scratch_, [&](std::string& t, const std::vector<TsmBlockAt>& blocks) {
    b = blocks[0];
    t[b.index_entry_offset + 15] ^= 0x01;  // low byte of maxTime (docs/FORMATS.md §6.2)
  });
  expect_one(verify(c.dir), c, "tsm-time-range", b.entry.offset);
  EXPECT_NE(verify(c.dir).defects[0].message.find(std::to_string(b.entry.max_time)), std::string::npos);
}

TEST_F(VerifyTsm, IndexKeyLengthZero) {
  std::uint64_t index_offset = 0;
  auto c = damage_tsm(scratch_, [&](std::string& t, const auto&) {
    const auto* f = reinterpret_cast<const std::uint8_t*>(t.data() + t.size() - 8);
    index_offset = 0;
    for (int i = 0; i < 8; ++i) index_offset = index_offset << 8 | f[i];
    t[index_offset] = 0;
    t[index_offset + 1] = 0;
  });
  expect_one(verify(c.dir), c, "tsm-index", index_offset);
}

TEST_F(VerifyTsm, TypeConflictAcrossFilesOfAShard) {
  fs::path dir = copy("portable-db");
  std::string archive = file_ending(dir, ".s9.tar.gz");
  auto entries = read_shard_archive(dir / archive);
  auto blocks = tsm_blocks(entries[0].data);
  ASSERT_FALSE(blocks.empty());
  const std::string key = blocks[0].key;
  ASSERT_NE(blocks[0].type, ifx::tsm::BlockType::String);
  // A newer TSM file holding the same key as strings.
  ScratchDir tmp("verify-w");
  ifx::test::write_tsm(tmp / "x.tsm", {{key, ifx::test::points<std::string>({{1, "text"}})}});
  ArchiveFile extra = entries[0];
  extra.name = extra.name.substr(0, extra.name.rfind('/')) + "/000000009-000000001.tsm";
  extra.data = read_file(tmp / "x.tsm");
  entries.push_back(extra);
  ifx::test::rewrite_archive(dir, archive, entries);
  const ifx::Error d = only_defect(verify(dir), "tsm-type-conflict", archive);
  EXPECT_EQ(d.entry, extra.name);
  EXPECT_EQ(d.offset, tsm_blocks(extra.data)[0].index_entry_offset - 3 - key.size() - 2);
}

TEST_F(VerifyTsm, TombstoneTruncated) {
  fs::path dir = copy("portable-tombstones");
  std::string archive;
  std::string entry;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (!n.ends_with(".tar.gz") || !archive.empty()) continue;
    for (const auto& en : read_shard_archive(e.path()))
      if (en.name.ends_with(".tombstone")) archive = n;
  }
  ASSERT_FALSE(archive.empty());
  entry = rewrite_entry(dir, archive, ".tombstone", [](std::string& t) { t.resize(t.size() - 5); });
  const ifx::Error d = only_defect(verify(dir), "tombstone-invalid", archive);
  EXPECT_EQ(d.entry, entry);
  EXPECT_TRUE(d.offset);
}

TEST_F(VerifyKeepsGoing, EveryDefectOfSeveralArchivesIsReported) {
  fs::path dir = copy("legacy-db");
  flip_byte(dir / "plain.autogen.00009.00", 300, 0x20);  // tar header
  write_file(dir / "stray", "x");                        // unexpected file
  std::string b = read_file(dir / "plain.autogen.00010.00");
  write_file(dir / "plain.autogen.00010.00", b.substr(0, b.size() - 1024));  // no end marker
  Report r = verify(dir, [](auto& o) { o.jobs = 1; });
  EXPECT_EQ(with_code(r, "tar-header").size(), 1u) << describe(r);
  EXPECT_EQ(with_code(r, "file-unexpected").size(), 1u) << describe(r);
  EXPECT_EQ(with_code(r, "tar-truncated").size(), 1u) << describe(r);
  EXPECT_EQ(r.defects.size(), 3u) << describe(r);
}

TEST_F(VerifyFilters, ShardFilterChecksOnlyThatShard) {
  fs::path dir = copy("portable-db");
  fs::remove(dir / file_ending(dir, ".s10.tar.gz"));
  Report only9 = verify(dir, [](auto& o) { o.shard = 9; });
  EXPECT_TRUE(only9.valid()) << describe(only9);
  EXPECT_EQ(only9.checked.archives, 1u);
  Report only10 = verify(dir, [](auto& o) { o.shard = 10; });
  EXPECT_EQ(with_code(only10, "file-missing").size(), 1u) << describe(only10);
  Report other_db = verify(dir, [](auto& o) { o.database = "nosuch"; });
  EXPECT_EQ(other_db.checked.archives, 0u);
}

// ---- --max-age and --expect-db ---------------------------------------------------------------
TEST(VerifyExpectations, MaxAge) {
  const fs::path dir = ifx::test::fixture("portable-db");
  auto made = ifx::parse_portable_base_time(file_ending(dir, ".manifest"));
  ASSERT_TRUE(made);
  const std::int64_t hour = 3600'000'000'000LL;
  Report fresh = verify(dir, [&](auto& o) {
    o.max_age_ns = 26 * hour;
    o.now_ns = *made + 25 * hour;
  });
  EXPECT_TRUE(fresh.valid()) << describe(fresh);
  Report stale = verify(dir, [&](auto& o) {
    o.max_age_ns = 26 * hour;
    o.now_ns = *made + 27 * hour;
  });
  ASSERT_EQ(stale.defects.size(), 1u) << describe(stale);
  EXPECT_EQ(stale.defects[0].code, ifx::ErrorCode::backup_too_old);
  EXPECT_EQ(stale.defects[0].file, file_ending(dir, ".manifest"));
  // Ages as people read them (days and hours), not as Go's 27h0m0s.
  EXPECT_NE(stale.defects[0].message.find(", 1d3h ago; --max-age allows 1d2h"), std::string::npos)
      << stale.defects[0].message;
}

TEST(VerifyExpectations, ExpectDb) {
  const fs::path dir = ifx::test::fixture("portable-all");
  EXPECT_TRUE(verify(dir, [](auto& o) { o.expect_databases = {"plain", "del"}; }).valid());
  Report missing = verify(dir, [](auto& o) { o.expect_databases = {"nosuch"}; });
  ASSERT_EQ(missing.defects.size(), 1u) << describe(missing);
  EXPECT_EQ(missing.defects[0].code, ifx::ErrorCode::db_missing);
  Report empty = verify(dir, [](auto& o) { o.expect_databases = {"empty db", "dropped"}; });
  ASSERT_EQ(empty.defects.size(), 2u) << describe(empty);
  EXPECT_EQ(empty.defects[0].code, ifx::ErrorCode::db_empty);
  EXPECT_EQ(empty.defects[1].code, ifx::ErrorCode::db_empty);
  auto outside = ifx::check::check_backup([&] {
    ifx::check::BackupCheckOptions o;
    o.backup_dir = dir;
    o.database = "plain";
    o.expect_databases = {"del"};
    return o;
  }());
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().code, ifx::ErrorCode::usage);
}

// ---- the binary: exit codes, Go-style flags, --json schema -------------------------------------
struct ToolRun {
  int exit_code;
  std::string out;
};

ToolRun run_tool(const std::string& args) {
  std::string cmd = (ifx::test::build_dir() / "tools/ifx-verify").string() + " " + args + " 2>/dev/null";
  ToolRun r{-1, {}};
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

TEST_F(VerifyCli, ExitCodesAndJsonSchema) {
  ToolRun ok = run_tool("--json " + quoted(ifx::test::fixture("portable-db")));
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  auto j = nlohmann::ordered_json::parse(ok.out);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"tool", "version", "ok", "exit_code", "error", "valid", "backup",
                                            "backup_path", "checked", "defects", "warnings"}));
  keys.clear();
  for (const auto& [k, v] : j["checked"].items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"files", "archives", "tsm_files", "blocks", "points", "bytes"}));
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["defects"].size(), 0u);

  fs::path dir = copy("portable-db");
  std::string archive = file_ending(dir, ".s9.tar.gz");
  flip_byte(dir / archive, fs::file_size(dir / archive) - 8, 0x01);
  ToolRun bad = run_tool("--json " + quoted(dir));
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  j = nlohmann::ordered_json::parse(bad.out);
  EXPECT_EQ(j["valid"], false);
  ASSERT_EQ(j["defects"].size(), 1u);
  const auto& d = j["defects"][0];
  keys.clear();
  for (const auto& [k, v] : d.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"code", "file", "entry", "offset", "message"}));
  EXPECT_EQ(d["code"], "gzip-crc");
  EXPECT_EQ(d["file"], archive);
  EXPECT_TRUE(d["entry"].is_null());
  EXPECT_EQ(d["offset"], fs::file_size(dir / archive) - 8);

  ToolRun text = run_tool(quoted(dir));
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("gzip-crc"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("INVALID: 1 defect found"), std::string::npos) << text.out;

  EXPECT_EQ(run_tool(quoted(scratch_ / "does-not-exist")).exit_code, 2);
  EXPECT_EQ(run_tool("--no-such-flag " + quoted(dir)).exit_code, 2);
  EXPECT_EQ(run_tool("--max-age 3x " + quoted(dir)).exit_code, 2);
}

// Legacy backups record no scope, but the meta store inside meta.NN lists every shard: a database
// of which the backup holds some shards and not others is warned about, naming the missing ones;
// --expect-complete makes it a defect.
TEST_F(VerifyCli, LegacyBackupMissingSomeShardsOfADatabase) {
  Report complete = verify(ifx::test::fixture("legacy-db"));
  EXPECT_TRUE(complete.warnings.empty()) << describe(complete);

  const fs::path dir = copy("legacy-db");
  fs::remove(dir / "plain.autogen.00010.00");
  Report r = verify(dir);
  EXPECT_TRUE(r.valid()) << describe(r);
  ASSERT_EQ(r.warnings.size(), 1u) << describe(r);
  EXPECT_NE(r.warnings[0].find("database plain: the backup holds 1 of its 2 live shards; missing: 10 (autogen)"),
            std::string::npos)
      << r.warnings[0];
  Report strict = verify(dir, [](auto& o) { o.expect_complete = true; });
  ASSERT_EQ(strict.defects.size(), 1u) << describe(strict);
  EXPECT_EQ(strict.defects[0].code, ifx::ErrorCode::shard_missing);
  EXPECT_NE(strict.defects[0].message.find("missing: 10 (autogen)"), std::string::npos) << strict.defects[0].message;

  ToolRun warned = run_tool(quoted(dir));
  EXPECT_EQ(warned.exit_code, 0) << warned.out;
  EXPECT_NE(warned.out.find("WARNING: database plain"), std::string::npos) << warned.out;
  ToolRun failed = run_tool("--expect-complete --json " + quoted(dir));
  EXPECT_EQ(failed.exit_code, 1) << failed.out;
  EXPECT_EQ(nlohmann::json::parse(failed.out)["defects"][0]["code"], "shard-missing");
  EXPECT_NE(run_tool("--help").out.find("--expect-complete"), std::string::npos);
}

TEST_F(VerifyCli, GoStyleFlagsAndExpectations) {
  const std::string dir = quoted(ifx::test::fixture("portable-db"));
  EXPECT_EQ(run_tool("-db plain -rp autogen -shard 9 -j 1 --quick " + dir).exit_code, 0);
  EXPECT_EQ(run_tool("-expect-db plain " + dir).exit_code, 0);
  EXPECT_EQ(run_tool("--expect-db nosuch " + dir).exit_code, 1);
  EXPECT_EQ(run_tool("--max-age 1000000h " + dir).exit_code, 0);
  EXPECT_EQ(run_tool("-max-age 1ns " + dir).exit_code, 1);
  ToolRun two = run_tool("--json " + dir + " " + quoted(ifx::test::fixture("legacy-db")));
  EXPECT_EQ(two.exit_code, 0);
  auto j = nlohmann::ordered_json::parse(two.out);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j.size(), 2u);
}

}  // namespace
