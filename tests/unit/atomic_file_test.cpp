// AtomicFile: NAME.pending, fsync, rename, directory fsync; cleanup without commit; clear "io"
// errors naming the path.
#include "ifx/format/io/atomic_file.hpp"

#include "support/bytes.hpp"
#include "support/paths.hpp"

#include <sys/resource.h>

#include <csignal>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {

using ifx::test::bytes_of;

using ifx::AtomicFile;
using ifx::test::read_file;
using ifx::test::ScratchDir;
using ifx::test::write_file;
using ::testing::HasSubstr;

TEST(AtomicFile, AppearsUnderItsNameOnlyAfterCommit) {
  ScratchDir dir;
  auto f = AtomicFile::create(dir / "meta.00");
  ASSERT_TRUE(f) << f.error().describe();
  EXPECT_EQ(f->pending_path(), dir / "meta.00.pending");
  ASSERT_TRUE(f->write(bytes_of("hello ")));
  ASSERT_TRUE(f->write(bytes_of("world")));
  EXPECT_EQ(f->bytes_written(), 11u);
  EXPECT_TRUE(std::filesystem::exists(dir / "meta.00.pending"));
  EXPECT_FALSE(std::filesystem::exists(dir / "meta.00"));
  ASSERT_TRUE(f->commit());
  EXPECT_TRUE(f->committed());
  EXPECT_EQ(read_file(dir / "meta.00"), "hello world");
  EXPECT_FALSE(std::filesystem::exists(dir / "meta.00.pending"));
  EXPECT_EQ(std::filesystem::status(dir / "meta.00").permissions() & std::filesystem::perms::owner_write,
            std::filesystem::perms::owner_write);
}

TEST(AtomicFile, RemovesThePendingFileWithoutCommit) {
  ScratchDir dir;
  {
    auto f = AtomicFile::create(dir / "a");
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->write(bytes_of("partial")));
    AtomicFile moved = std::move(*f);  // ownership travels with a move
    EXPECT_TRUE(std::filesystem::exists(dir / "a.pending"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "a.pending"));
  EXPECT_FALSE(std::filesystem::exists(dir / "a"));
  auto g = AtomicFile::create(dir / "b");
  ASSERT_TRUE(g);
  g->abandon();
  EXPECT_FALSE(std::filesystem::exists(dir / "b.pending"));
  EXPECT_FALSE(g->write(bytes_of("x")));
}

// The error of creating an AtomicFile at `path`, which must be refused as "io".
ifx::Error refused_create(const std::filesystem::path& path) {
  auto f = AtomicFile::create(path);
  EXPECT_FALSE(f) << "created " << path;
  if (f) return {};
  EXPECT_EQ(f.error().code, ifx::ErrorCode::io);
  return f.error();
}

TEST(AtomicFile, RefusesToClobberAPendingFile) {
  ScratchDir dir;
  write_file(dir / "a.pending", "someone else's");
  const ifx::Error e = refused_create(dir / "a");
  EXPECT_EQ(e.file, (dir / "a.pending").string());
  EXPECT_THAT(e.message, HasSubstr("already exists"));
  EXPECT_EQ(read_file(dir / "a.pending"), "someone else's");
}

TEST(AtomicFile, RefusesToReplaceAnExistingFileUnlessAsked) {
  ScratchDir dir;
  write_file(dir / "a", "old");
  EXPECT_THAT(refused_create(dir / "a").message, HasSubstr("File exists"));

  // Created by someone else between create() and commit(): the rename refuses too.
  auto g = AtomicFile::create(dir / "b");
  ASSERT_TRUE(g);
  ASSERT_TRUE(g->write(bytes_of("mine")));
  write_file(dir / "b", "theirs");
  auto c = g->commit();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ifx::ErrorCode::io);
  EXPECT_THAT(c.error().message, HasSubstr((dir / "b").string()));
  EXPECT_EQ(read_file(dir / "b"), "theirs");
  g->abandon();
  EXPECT_FALSE(std::filesystem::exists(dir / "b.pending"));

  auto h = AtomicFile::create(dir / "a", {.replace_existing = true});
  ASSERT_TRUE(h);
  ASSERT_TRUE(h->write(bytes_of("new")));
  ASSERT_TRUE(h->commit());
  EXPECT_EQ(read_file(dir / "a"), "new");
}

TEST(AtomicFile, ReportsAMissingDirectory) {
  ScratchDir dir;
  const ifx::Error e = refused_create(dir / "no" / "such" / "a");
  EXPECT_THAT(e.message, HasSubstr("No such file or directory"));
  EXPECT_THAT(e.message, HasSubstr((dir / "no" / "such" / "a.pending").string()));
}

TEST(AtomicFile, ReportsAFailedWrite) {
  // A file-size limit makes write() fail the way a full disk does (EFBIG instead of ENOSPC).
  ScratchDir dir;
  auto f = AtomicFile::create(dir / "big");
  ASSERT_TRUE(f);
  struct rlimit old {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string block(10000, 'x');
  auto r = f->write(bytes_of(block));
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::io);
  EXPECT_EQ(r.error().file, (dir / "big.pending").string());
  EXPECT_THAT(r.error().message, HasSubstr("File too large"));
  EXPECT_EQ(f->bytes_written(), 4096u);  // the short write before the failure is counted
}

TEST(FsyncDir, SyncsADirectoryAndNamesAMissingOne) {
  ScratchDir dir;
  EXPECT_TRUE(ifx::fsync_dir(dir.path()));
  auto r = ifx::fsync_dir(dir / "missing");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::io);
  EXPECT_THAT(r.error().message, HasSubstr((dir / "missing").string()));
}

}  // namespace
