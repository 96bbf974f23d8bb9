// ScratchDirectory (libformat): removed with its contents when it goes; after a kill -9 the next
// process sweeps what the dead one left, and never a live process's directory or anything that
// is not a scratch directory.
#include "ifx/format/io/scratch_directory.hpp"

#include "support/paths.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

namespace {

namespace fs = std::filesystem;
using ifx::ScratchDirectory;
using ifx::test::ScratchDir;
using ifx::test::write_file;

TEST(ScratchDirectory, IsRemovedWithItsContents) {
  ScratchDir root;
  fs::path made;
  {
    auto d = ScratchDirectory::create(root.path(), "ifx-unit");
    ASSERT_TRUE(d) << d.error().describe();
    made = d->path();
    EXPECT_TRUE(made.filename().string().starts_with("ifx-unit-"));
    write_file(made / "spooled.tsm", "data");
    ScratchDirectory moved = std::move(*d);
    EXPECT_EQ(moved.path(), made);
    EXPECT_TRUE(fs::exists(made / "spooled.tsm"));
  }
  EXPECT_FALSE(fs::exists(made));
}

// A child makes a scratch directory, fills it and is killed before it can clean up.
fs::path left_by_a_killed_process(const fs::path& root) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    auto d = ScratchDirectory::create(root, "ifx-killed");
    if (!d) ::_exit(1);
    write_file(d->path() / "half-written.tar", std::string(4096, 'x'));
    const std::string p = d->path().string();
    (void)!::write(fds[1], p.data(), p.size());
    ::close(fds[1]);
    ::raise(SIGKILL);
  }
  ::close(fds[1]);
  std::string path;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) path.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  return path;
}

TEST(ScratchDirectory, TheNextProcessRemovesWhatAKilledOneLeft) {
  ScratchDir root;
  auto live = ScratchDirectory::create(root.path(), "ifx-live");  // this process's: kept
  ASSERT_TRUE(live) << live.error().describe();
  const fs::path dead = left_by_a_killed_process(root.path());
  ASSERT_FALSE(dead.empty());
  ASSERT_TRUE(fs::exists(dead / "half-written.tar"));

  fs::create_directory(root / "ifx-not-a-scratch-dir");  // no lock file: not ours, kept
  fs::create_directory(root / "other");

  EXPECT_EQ(ScratchDirectory::remove_abandoned(root.path()), 1u);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(live->path()));
  EXPECT_TRUE(fs::exists(root / "ifx-not-a-scratch-dir"));
  EXPECT_TRUE(fs::exists(root / "other"));
  EXPECT_EQ(ScratchDirectory::remove_abandoned(root.path()), 0u);
}

TEST(ScratchDirectory, CreateSweepsItsRootOncePerProcess) {
  ScratchDir root;
  const fs::path dead = left_by_a_killed_process(root.path());
  ASSERT_TRUE(fs::exists(dead));
  auto d = ScratchDirectory::create(root.path(), "ifx-unit");  // the first create() under this root
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_FALSE(fs::exists(dead));
}

}  // namespace
