// Repository: snapshots found by their directory and manifest, publishing renames the pending
// directory and repoints `latest`, the newest archive of a shard is found across snapshots, and
// the lock excludes a second holder and names the first.
#include "ifx/format/backup/repository.hpp"
#include "ifx/format/backup/repository_usage.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "ifx/format/backup/file_names.hpp"
#include "support/backup_builder.hpp"
#include "support/paths.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::Repository;
using ifx::RepositoryLock;
using ifx::test::ScratchDir;

// A complete snapshot `base` holding shard `id` of db/autogen, written as a pending one and
// published.
void add_snapshot(Repository& repo, const std::string& base, std::uint64_t id) {
  ifx::test::write_portable_backup(
      repo.pending_dir(base),
      {.base = base, .shards = {{.db = "db", .rp = "autogen", .id = id, .files = {{"000000001-000000001.tsm", "x"}}}}});
  auto s = repo.publish(base);
  ASSERT_TRUE(s) << s.error().describe();
}

TEST(Repository, CreatesListsAndPublishes) {
  ScratchDir dir;
  const fs::path root = dir / "repo";
  EXPECT_FALSE(Repository::open(root, false));
  auto repo = Repository::open(root, true);
  ASSERT_TRUE(repo) << repo.error().describe();
  EXPECT_TRUE(repo->snapshots().empty());
  EXPECT_EQ(fs::status(root).permissions() & fs::perms::all, fs::perms::owner_all);

  add_snapshot(*repo, "20261201T010000Z", 3);
  add_snapshot(*repo, "20261202T010000Z", 3);
  ASSERT_EQ(repo->snapshots().size(), 2u);
  EXPECT_EQ(repo->snapshots().back().base, "20261202T010000Z");
  EXPECT_EQ(fs::read_symlink(root / "latest"), fs::path("20261202T010000Z"));
  EXPECT_TRUE(Repository::is_repository(root));
  EXPECT_FALSE(fs::exists(repo->pending_dir("20261202T010000Z")));

  // A pending snapshot is listed as such, and a new base steps past taken names.
  fs::create_directory(repo->pending_dir("20261203T010000Z"));
  auto again = Repository::open(root, false);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->pending(), std::vector<std::string>{"20261203T010000Z"});
  const auto t = *ifx::parse_portable_base_time("20261203T010000Z");
  EXPECT_EQ(again->new_base(t), "20261203T010001Z");
  EXPECT_EQ(again->new_base(t - 1'000'000'000), "20261203T005959Z");
}

TEST(Repository, NewestArchiveOfAShard) {
  ScratchDir dir;
  auto repo = Repository::open(dir / "repo", true);
  ASSERT_TRUE(repo);
  add_snapshot(*repo, "20261201T010000Z", 3);
  add_snapshot(*repo, "20261202T010000Z", 4);
  auto a3 = repo->newest_archive_of("db", "autogen", 3, ifx::ArchiveCompression::gzip);
  ASSERT_TRUE(a3 && *a3);
  EXPECT_EQ((*a3)->snapshot.base, "20261201T010000Z");
  EXPECT_EQ((*a3)->path.filename(), "20261201T010000Z.s3.tar.gz");
  EXPECT_TRUE((*a3)->entry.extra.contains("sha256"));
  auto a4 = repo->newest_archive_of("db", "autogen", 4, ifx::ArchiveCompression::gzip);
  ASSERT_TRUE(a4 && *a4);
  EXPECT_EQ((*a4)->snapshot.base, "20261202T010000Z");
  EXPECT_FALSE(*repo->newest_archive_of("db", "autogen", 4, ifx::ArchiveCompression::zstd));
  EXPECT_FALSE(*repo->newest_archive_of("db", "other", 3, ifx::ArchiveCompression::gzip));
  auto meta = repo->meta_store(repo->snapshots().front());
  ASSERT_TRUE(meta) << meta.error().describe();
  EXPECT_EQ((*meta)->databases.size(), 1u);
}

TEST(Repository, RefusesADirectoryHoldingABackup) {
  ScratchDir dir;
  ifx::test::write_portable_backup(dir / "backup", {.base = "20261201T010000Z"});
  auto r = Repository::open(dir / "backup", true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::usage);
}

TEST(Repository, UsageCountsEveryNameAndEachInodeOnce) {
  ScratchDir dir;
  auto repo = Repository::open(dir / "repo", true);
  ASSERT_TRUE(repo) << repo.error().describe();
  EXPECT_EQ(ifx::repository_usage(repo->snapshots()).snapshots.size(), 0u);
  add_snapshot(*repo, "20261201T010000Z", 3);
  add_snapshot(*repo, "20261202T010000Z", 3);
  // The second snapshot shares the first one's archive, as ifx-backup --repo shares one.
  const fs::path first = dir / "repo" / "20261201T010000Z" / "20261201T010000Z.s3.tar.gz";
  const fs::path second = dir / "repo" / "20261202T010000Z" / "20261202T010000Z.s3.tar.gz";
  fs::remove(second);
  fs::create_hard_link(first, second);
  std::uint64_t every_name = 0;
  for (const auto& s : repo->snapshots())
    for (const auto& f : fs::directory_iterator(s.dir)) every_name += fs::file_size(f.path());
  const auto usage = ifx::repository_usage(repo->snapshots());
  ASSERT_EQ(usage.snapshots.size(), 2u);
  EXPECT_EQ(usage.logical_bytes, every_name);
  EXPECT_EQ(usage.on_disk_bytes, every_name - fs::file_size(first));
  EXPECT_EQ(usage.snapshots[1].added_bytes, usage.snapshots[1].logical_bytes - fs::file_size(first));
  std::vector<ifx::SnapshotFile> files;
  for (const auto& s : repo->snapshots())
    for (const auto& f : ifx::snapshot_files(s)) files.push_back(f);
  ASSERT_EQ(files.size(), 6u);  // meta, manifest and one archive each
  EXPECT_EQ(std::count_if(files.begin(), files.end(), [](const auto& f) { return f.links == 2; }), 2);
}

TEST(RepositoryLock, ExcludesASecondHolderAndNamesTheFirst) {
  ScratchDir dir;
  {
    auto first = RepositoryLock::acquire(dir.path(), "first run", std::chrono::milliseconds(0));
    ASSERT_TRUE(first) << first.error().describe();
    auto second = RepositoryLock::acquire(dir.path(), "second run", std::chrono::milliseconds(300));
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, ifx::ErrorCode::repository_locked);
    EXPECT_NE(second.error().message.find("first run"), std::string::npos) << second.error().message;
  }
  // Released cleanly: the next holder finds no name left behind.
  auto next = RepositoryLock::acquire(dir.path(), "next run", std::chrono::milliseconds(0));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->previous_holder(), "");
}

TEST(RepositoryLock, TakesOverFromAHolderThatDied) {
  ScratchDir dir;
  // What a killed holder leaves: its name in the file, and no flock (the kernel dropped it).
  ifx::test::write_file(dir / "lock", "ifx-backup (pid 99999 on host, since then)\n");
  auto lock = RepositoryLock::acquire(dir.path(), "this run", std::chrono::milliseconds(0));
  ASSERT_TRUE(lock) << lock.error().describe();
  EXPECT_EQ(lock->previous_holder(), "ifx-backup (pid 99999 on host, since then)");
}

}  // namespace
