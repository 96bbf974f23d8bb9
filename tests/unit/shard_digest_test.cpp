// digest_shard_data: a shard's TSM and tombstone files as unpacking its archives in order leaves
// them, hashed without regard to compression, tar headers or how a chain split them; any byte of
// a data file changes it, files the engine rebuilds do not.
#include "ifx/format/shard/shard_digest.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/backup_builder.hpp"
#include "support/paths.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::test::ArchiveFile;
using ifx::test::BackupShard;
using ifx::test::ScratchDir;

const std::vector<ArchiveFile> kFiles = {{"000000001-000000001.tsm", "first tsm bytes"},
                                         {"000000002-000000001.tsm", "second tsm bytes"},
                                         {"000000002-000000001.tombstone", "tombstone bytes"}};

ifx::ShardDataDigest digest_of(const fs::path& dir) {
  auto set = ifx::open_backup_set(dir);
  EXPECT_TRUE(set) << set.error().describe();
  if (!set || set->shards.size() != 1) {
    ADD_FAILURE() << "expected one shard in " << dir;
    return {};
  }
  auto d = ifx::digest_shard_data(*set, set->shards.front());
  EXPECT_TRUE(d) << d.error().describe();
  return d ? *d : ifx::ShardDataDigest{};
}

ifx::ShardDataDigest portable_digest(const fs::path& dir, const std::vector<ArchiveFile>& files,
                                     ifx::ArchiveCompression compression = ifx::ArchiveCompression::gzip,
                                     const std::string& base = "20260101T000000Z") {
  ifx::test::write_portable_backup(dir,
                                   {.base = base, .shards = {{.id = 3, .files = files}}, .compression = compression});
  return digest_of(dir);
}

TEST(ShardDataDigest, TheSameFilesGiveTheSameDigestInEveryLayout) {
  ScratchDir scratch("shard-digest");
  const auto gzip = portable_digest(scratch / "gzip", kFiles);
  EXPECT_EQ(gzip.sha256.size(), 64u);
  EXPECT_EQ(gzip.files, 3u);
  EXPECT_EQ(gzip.bytes, std::string("first tsm bytessecond tsm bytestombstone bytes").size());
  // Another base (another gzip FNAME), zstd, and a legacy raw tar: other archive bytes, same data.
  EXPECT_EQ(portable_digest(scratch / "later", kFiles, ifx::ArchiveCompression::gzip, "20260202T000000Z").sha256,
            gzip.sha256);
  EXPECT_EQ(portable_digest(scratch / "zstd", kFiles, ifx::ArchiveCompression::zstd).sha256, gzip.sha256);
  ifx::test::write_legacy_backup(scratch / "legacy", {.shards = {{.id = 3, .files = kFiles}}});
  EXPECT_EQ(digest_of(scratch / "legacy").sha256, gzip.sha256);
  // Entries in another order inside the tar.
  EXPECT_EQ(portable_digest(scratch / "reordered", {kFiles[2], kFiles[1], kFiles[0]}).sha256, gzip.sha256);
}

TEST(ShardDataDigest, AnyByteOfADataFileChangesItOtherFilesDoNot) {
  ScratchDir scratch("shard-digest");
  const auto base = portable_digest(scratch / "base", kFiles);
  auto changed = kFiles;
  changed[1].data[3] ^= 1;
  EXPECT_NE(portable_digest(scratch / "byte", changed).sha256, base.sha256);
  auto renamed = kFiles;
  renamed[0].name = "000000001-000000002.tsm";
  EXPECT_NE(portable_digest(scratch / "renamed", renamed).sha256, base.sha256);
  auto fewer = kFiles;
  fewer.pop_back();
  EXPECT_NE(portable_digest(scratch / "no-tombstone", fewer).sha256, base.sha256);
  auto with_index = kFiles;
  with_index.push_back({"fields.idx", "an index the engine rebuilds"});
  EXPECT_EQ(portable_digest(scratch / "index", with_index).sha256, base.sha256);
}

TEST(ShardDataDigest, ALaterIncrementReplacesAFileOfTheSameName) {
  ScratchDir scratch("shard-digest");
  const auto merged = portable_digest(scratch / "merged", kFiles);
  // Increment 00 holds an older copy of the second file, increment 01 the copy that wins.
  const fs::path chain = scratch / "chain";
  auto older = kFiles;
  older[1].data = "an older copy, longer than the one that wins";
  ifx::test::write_legacy_backup(chain, {.shards = {{.id = 3, .files = older}}});
  ifx::test::add_legacy_increment(chain, {.id = 3, .files = {kFiles[1]}});
  EXPECT_EQ(digest_of(chain).sha256, merged.sha256);
}

TEST(ShardDataDigest, AMissingArchiveIsAnError) {
  ScratchDir scratch("shard-digest");
  const fs::path dir = scratch / "b";
  ifx::test::write_portable_backup(dir, {.shards = {{.id = 3, .files = kFiles}}});
  fs::remove(dir / "20260101T000000Z.s3.tar.gz");
  auto set = ifx::open_backup_set(dir);
  ASSERT_TRUE(set) << set.error().describe();
  auto d = ifx::digest_shard_data(*set, set->shards.front());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ifx::ErrorCode::file_missing);
}

}  // namespace
