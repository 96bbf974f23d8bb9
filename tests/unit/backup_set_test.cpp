// open_backup_set (docs/FORMATS.md §2, §3, §3.6) over small backups written by our own writers
// (support/backup_builder.hpp): the format, the meta store, every shard's archives in order, and
// the rules where we differ from influxd on purpose (highest meta.NN by number, .pending never
// chosen, dotted names resolved through the meta store, manifest chains kept whole).
#include "ifx/format/backup/backup_set.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "ifx/format/io/checksum.hpp"
#include "support/backup_builder.hpp"
#include "support/paths.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::BackupFormat;
using ifx::test::BackupShard;
using ifx::test::ScratchDir;

const std::vector<BackupShard> kShards = {
    {.db = "db", .rp = "autogen", .id = 3, .files = {{"000000001-000000001.tsm", "three"}}},
    {.db = "db",
     .rp = "autogen",
     .id = 4,
     .group_start_ns = ifx::test::kWeekNs,
     .files = {{"000000001-000000001.tsm", "four"}}},
    {.db = "other", .rp = "weekly", .id = 7, .files = {{"000000002-000000001.tsm", "seven"}}},
};

// The file names of every shard's archives, oldest first, as "<id>:<file>".
std::vector<std::string> archives_of(const ifx::BackupSet& set) {
  std::vector<std::string> out;
  for (const auto& s : set.shards)
    for (const auto& a : s.archives) out.push_back(std::to_string(s.shard_id) + ":" + a.file_name);
  return out;
}

TEST(BackupSet, PortableBackupIsReadWhole) {
  ScratchDir dir("backup-set");
  ifx::test::write_portable_backup(dir / "b", {.shards = kShards});
  auto set = ifx::open_backup_set(dir / "b");
  ASSERT_TRUE(set) << set.error().describe();
  EXPECT_EQ(set->format, BackupFormat::Portable);
  EXPECT_TRUE(set->problems.empty());
  EXPECT_TRUE(set->unreferenced_files.empty());
  EXPECT_EQ(set->meta_file, "20260101T000000Z.meta");
  EXPECT_EQ(set->meta_blob, ifx::meta::encode_meta_data(ifx::test::meta_store_for(kShards)));
  ASSERT_EQ(set->meta.databases.size(), 2u);
  EXPECT_EQ(set->meta.databases[1].retention_policies[0].name, "weekly");
  EXPECT_EQ(archives_of(*set), (std::vector<std::string>{"3:20260101T000000Z.s3.tar.gz", "4:20260101T000000Z.s4.tar.gz",
                                                         "7:20260101T000000Z.s7.tar.gz"}));
  for (const auto& s : set->shards) {
    EXPECT_TRUE(s.in_meta) << s.shard_id;
    ASSERT_EQ(s.archives.size(), 1u);
    EXPECT_TRUE(s.archives[0].manifest_size.has_value());
    ASSERT_TRUE(s.archives[0].sha256.has_value());  // recorded by our writer (§3.9)
    EXPECT_EQ(*s.archives[0].sha256, *ifx::sha256_file(dir / "b" / s.archives[0].file_name));
  }
  EXPECT_EQ(set->find_shard(7)->database, "other");
}

TEST(BackupSet, ManifestChainKeepsEveryIncrementOldestFirst) {
  ScratchDir dir("backup-set");
  ifx::test::write_portable_backup(dir / "b", {.shards = kShards});
  ifx::test::write_portable_backup(dir / "b", {.base = "20260102T000000Z", .shards = {kShards[0]}});
  auto set = ifx::open_backup_set(dir / "b");
  ASSERT_TRUE(set) << set.error().describe();
  EXPECT_EQ(set->manifest_files, (std::vector<std::string>{"20260101T000000Z.manifest", "20260102T000000Z.manifest"}));
  EXPECT_EQ(archives_of(*set),
            (std::vector<std::string>{"3:20260101T000000Z.s3.tar.gz", "3:20260102T000000Z.s3.tar.gz",
                                      "4:20260101T000000Z.s4.tar.gz", "7:20260101T000000Z.s7.tar.gz"}));
}

TEST(BackupSet, LegacyIncrementsAndTheNewestMetaByNumber) {
  ScratchDir dir("backup-set");
  const fs::path b = dir / "b";
  ifx::test::write_legacy_backup(b, {.shards = kShards});
  // A second run holding shard 4 again; influxd writes the whole meta store every time.
  const std::string meta_blob = ifx::meta::encode_meta_data(ifx::test::meta_store_for(kShards));
  ifx::test::write_legacy_backup(b, {.meta_blob = meta_blob, .shards = {kShards[1]}});
  // meta.100 is newer than meta.99 (a string comparison says otherwise); a .pending leftover is
  // never the meta store.
  fs::copy_file(b / "meta.01", b / "meta.99");
  fs::copy_file(b / "meta.01", b / "meta.100");
  ifx::test::write_file(b / "meta.101.pending", "half");
  auto set = ifx::open_backup_set(b);
  ASSERT_TRUE(set) << set.error().describe();
  EXPECT_EQ(set->format, BackupFormat::Legacy);
  EXPECT_EQ(set->meta_file, "meta.100");
  EXPECT_EQ(set->meta_blob, meta_blob);
  for (const auto& shard : set->shards) EXPECT_TRUE(shard.in_meta) << shard.shard_id;
  EXPECT_EQ(archives_of(*set), (std::vector<std::string>{"3:db.autogen.00003.00", "4:db.autogen.00004.00",
                                                         "4:db.autogen.00004.01", "7:other.weekly.00007.00"}));
  EXPECT_EQ(set->unreferenced_files, std::vector<std::string>{"meta.101.pending"});
}

TEST(BackupSet, DottedLegacyNamesAreResolvedThroughTheMetaStore) {
  ScratchDir dir("backup-set");
  const std::vector<BackupShard> dotted = {
      {.db = "a.b", .rp = "c.d", .id = 12, .files = {{"000000001-000000001.tsm", "x"}}},
      {.db = "a", .rp = "b.c.d", .id = 13, .files = {{"000000001-000000001.tsm", "y"}}},
  };
  ifx::test::write_legacy_backup(dir / "b", {.shards = dotted});
  auto set = ifx::open_backup_set(dir / "b");
  ASSERT_TRUE(set) << set.error().describe();
  ASSERT_EQ(set->shards.size(), 2u);
  for (const auto& want : dotted) {
    const auto* s = set->find_shard(want.id);
    ASSERT_NE(s, nullptr) << want.id;
    EXPECT_EQ(s->database, want.db);
    EXPECT_EQ(s->retention_policy, want.rp);
    EXPECT_TRUE(s->in_meta);
  }
}

}  // namespace
