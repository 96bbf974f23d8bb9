// Disk full: each tool that writes — ifx-backup, ifx-convert, ifx-export --out and an
// offline ifx-restore — writes into a 128 KiB tmpfs while its output needs several times that.
// Each must fail with a clear message (the file it was writing and the system's reason), exit
// non-zero, and leave no partial output: no .pending file, nothing that looks complete but is
// not (libformat's readers judge, safety_checks.hpp), no manifest, no converted backup, no export
// file, the offline directories as they were. ifx-backup may keep the shard archives it finished
// (each complete and checked) for --resume, which its message names.
// Without the right to mount (not root), RLIMIT_FSIZE in the child stands in for the full disk
// (write(2) fails with EFBIG); without either the tests skip.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "safety_checks.hpp"
#include "support/expect_has.hpp"
#include "support/child_process.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/server_data.hpp"
#include "support/server_suite.hpp"
#include "tool_runs.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::test::ProcessExit;
using ifx::test::tool;

constexpr std::uint64_t kSmallFsBytes = 128 * 1024;

class DiskFull : public ifx::test::ServerSuite<DiskFull> {
 protected:
  static void SetUpTestSuite() {
    scratch_ = std::make_unique<ifx::test::ScratchDir>("ifx-disk-full");
    small_ = scratch_->path() / "small";
    fs::create_directories(small_);
    mounted_ = ::mount("tmpfs", small_.c_str(), "tmpfs", 0, fmt::format("size={}", kSmallFsBytes).c_str()) == 0;
    ServerSuite::SetUpTestSuite();
    server_->create_database("full");
    // Random floats defeat TSM's float compression (about 8 bytes a point): two shards of
    // ~240 KiB each, several times the small file system.
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> value(-1e6, 1e6);
    server_->write("full", ifx::test::weekly_points(
                               2, 30000, [&](int i) { return fmt::format("m,host=h{} v={}", i % 3, value(rng)); }));
    ifx::test::backup_portable(server_->rpc_address(), "full", source());
  }
  static void TearDownTestSuite() {
    if (mounted_ && ::umount2(small_.c_str(), 0) != 0) ::umount2(small_.c_str(), MNT_DETACH);
    ServerSuite::TearDownTestSuite();
    scratch_.reset();
  }
  void SetUp() override {
    if (mounted_) return;
    // Fallback: every file the child writes is limited instead of the whole file system.
    spawn_.file_size_limit = 64 * 1024;
    if (::geteuid() != 0) GTEST_LOG_(INFO) << "no tmpfs (not root): RLIMIT_FSIZE stands in for a full disk";
  }
  // The output of one test, inside the small file system; empty at the start.
  fs::path out(const std::string& name) const {
    const fs::path p = small_ / name;
    fs::create_directories(p);
    return p;
  }
  ProcessExit run(const std::vector<std::string>& argv) const {
    return ifx::test::run_process(argv, spawn_, std::chrono::minutes(2));
  }
  // The system's words for a full disk (tmpfs) or a too-large file (the rlimit fallback).
  void expect_disk_full_message(const std::string& err) const {
    EXPECT_TRUE(err.find("No space left on device") != std::string::npos ||
                err.find("File too large") != std::string::npos)
        << err;
    EXPECT_HAS(err, small_.string());  // which file (or directory) it was writing
  }
  static fs::path source() { return scratch_->path() / "source"; }

  static inline std::unique_ptr<ifx::test::ScratchDir> scratch_;
  static inline fs::path small_;
  static inline bool mounted_ = false;
  ifx::test::SpawnOptions spawn_;
};

TEST_F(DiskFull, BackupFailsClearlyAndKeepsOnlyCompleteArchives) {
  const fs::path dir = out("backup") / "b";
  const auto r = run({tool("ifx-backup"), "-portable", "-db", "full", "-host", server_->rpc_address(), "--retries", "2",
                      "--progress", "none", dir.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  expect_disk_full_message(r.err);
  EXPECT_EQ(ifx::test::pending_leftovers(dir), std::vector<std::string>{});
  EXPECT_EQ(ifx::test::incomplete_files(dir), std::vector<std::string>{});
  for (const auto& name : ifx::test::tree_of(dir)) EXPECT_FALSE(name.ends_with(".manifest")) << name;
}

// The backup's output has room but its scratch space (where each received shard is checked)
// does not: that is said plainly, not blamed on the server's answer, and not retried.
TEST_F(DiskFull, BackupWithFullScratchSpaceSaysSoAndKeepsNothingIncomplete) {
  if (!mounted_) GTEST_SKIP() << "needs the tmpfs (root): RLIMIT_FSIZE would limit the output as well";
  const fs::path dir = scratch_->path() / "backup-roomy";
  const fs::path full = out("backup-scratch");
  const auto r = run({tool("ifx-backup"), "-portable", "-db", "full", "-host", server_->rpc_address(), "--retries", "2",
                      "--progress", "none", "--scratch-dir", full.string(), dir.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  expect_disk_full_message(r.err);
  EXPECT_NE(r.err.find("--scratch-dir"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("is damaged"), std::string::npos) << r.err;
  EXPECT_EQ(ifx::test::pending_leftovers(dir), std::vector<std::string>{});
  EXPECT_EQ(ifx::test::incomplete_files(dir), std::vector<std::string>{});
  EXPECT_EQ(ifx::test::tree_of(full), std::vector<std::string>{});
}

TEST_F(DiskFull, ConvertFailsClearlyAndLeavesNothing) {
  const fs::path parent = out("convert");
  const auto r = run({tool("ifx-convert"), source().string(), (parent / "converted").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  expect_disk_full_message(r.err);
  EXPECT_EQ(ifx::test::tree_of(parent), std::vector<std::string>{});
}

TEST_F(DiskFull, ExportToAFileFailsClearlyAndLeavesNothing) {
  const fs::path parent = out("export");
  const auto r = run({tool("ifx-export"), source().string(), "--out", (parent / "points.lp").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  expect_disk_full_message(r.err);
  EXPECT_EQ(ifx::test::tree_of(parent), std::vector<std::string>{});
}

TEST_F(DiskFull, OfflineRestoreFailsClearlyAndPutsEverythingBack) {
  const fs::path parent = out("restore");
  fs::create_directories(parent / "meta");
  fs::create_directories(parent / "data");
  const auto before = ifx::test::tree_of(parent);
  const auto r = run({tool("ifx-restore"), "-metadir", (parent / "meta").string(), "-datadir",
                      (parent / "data").string(), source().string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  expect_disk_full_message(r.err);
  EXPECT_HAS(r.err, "as before");
  EXPECT_EQ(ifx::test::tree_of(parent), before);
}

}  // namespace
