// ifx-prune over a repository of snapshots spread over six months, made the way ifx-backup --repo
// makes them: each a complete portable backup, an unchanged shard's archive hard-linked from the
// snapshot before. The rules keep the calendar set worked out by hand below; no kept snapshot
// loses a file (each verifies byte by byte after); the bytes reported freed are those the file
// system got back; --dry-run removes nothing; a killed removal is finished by the next run; the
// binary's exit codes (2 usage, 4 locked).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "ifx-prune/prune.hpp"
#include "ifx-verify/verify.hpp"
#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/backup/repository.hpp"
#include "ifx/format/check/backup_check.hpp"
#include "support/child_process.hpp"
#include "support/paths.hpp"
#include "support/run.hpp"
#include "support/repository_builder.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::Repository;
using ifx::test::ScratchDir;

// One snapshot a day at 01:00 UTC from 2026-06-01 to 2026-11-30.
std::vector<std::string> make_six_months(const fs::path& root, const fs::path& scratch) {
  std::vector<std::int64_t> times;
  for (std::int64_t t = *ifx::parse_portable_base_time("20260601T010000Z");
       t <= *ifx::parse_portable_base_time("20261130T010000Z"); t += 86400LL * 1'000'000'000)
    times.push_back(t);
  return ifx::test::write_snapshots(root, scratch, times);
}

std::vector<std::string> snapshot_dirs(const fs::path& root) {
  std::vector<std::string> out;
  auto repo = Repository::open(root, false);
  EXPECT_TRUE(repo) << repo.error().describe();
  for (const auto& s : repo->snapshots()) out.push_back(s.base);
  return out;
}

void expect_verifies(const fs::path& dir) {
  ifx::check::BackupCheckOptions o;
  o.backup_dir = dir;
  o.jobs = 1;
  auto r = ifx::check::check_backup(o);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(r->valid()) << ifx::verify::to_text(*r);
}

class Prune : public ::testing::Test {
 protected:
  void SetUp() override { bases_ = make_six_months(root_, scratch_.path()); }

  ifx::prune::Options options(ifx::RetentionPolicy policy) const {
    return {.repo = root_, .policy = std::move(policy), .now_ns = *ifx::parse_portable_base_time(kNow)};
  }

  static constexpr const char* kNow = "20261130T120000Z";  // a Monday
  ScratchDir scratch_;
  fs::path root_ = scratch_ / "repo";
  std::vector<std::string> bases_;
};

TEST_F(Prune, DailyWeeklyMonthlyKeepTheCalendarSetAndEveryKeptSnapshotVerifies) {
  ASSERT_EQ(bases_.size(), 183u);
  const std::uint64_t before = ifx::test::distinct_file_bytes(root_);

  // 7 days (24th … 30th November); 4 ISO weeks, Monday first (the newest of the weeks starting
  // 30 Nov, 23 Nov, 16 Nov, 9 Nov: the 30th, 29th, 22nd, 15th); 6 months (the last day of
  // November back to June).
  const std::set<std::string> expected{"20260630T010000Z", "20260731T010000Z", "20260831T010000Z", "20260930T010000Z",
                                       "20261031T010000Z", "20261115T010000Z", "20261122T010000Z", "20261124T010000Z",
                                       "20261125T010000Z", "20261126T010000Z", "20261127T010000Z", "20261128T010000Z",
                                       "20261129T010000Z", "20261130T010000Z"};
  auto dry = ifx::prune::run({.repo = root_,
                              .policy = {.daily = 7, .weekly = 4, .monthly = 6},
                              .dry_run = true,
                              .now_ns = *ifx::parse_portable_base_time(kNow)});
  ASSERT_TRUE(dry) << dry.error().describe();
  EXPECT_EQ(dry->removed(), 183u - expected.size());
  EXPECT_EQ(snapshot_dirs(root_).size(), 183u) << "--dry-run removes nothing";
  EXPECT_EQ(ifx::test::distinct_file_bytes(root_), before);

  auto report = ifx::prune::run(options({.daily = 7, .weekly = 4, .monthly = 6}));
  ASSERT_TRUE(report) << report.error().describe();
  std::set<std::string> kept;
  for (const auto& s : report->snapshots) {
    if (s.keep) kept.insert(s.base);
    EXPECT_EQ(s.keep, !s.reasons.empty()) << s.base;
  }
  EXPECT_EQ(kept, expected);
  const auto on_disk = snapshot_dirs(root_);
  EXPECT_EQ(std::set<std::string>(on_disk.begin(), on_disk.end()), expected);
  EXPECT_EQ(report->freed_bytes, dry->freed_bytes) << "the dry run predicted what the run freed";
  EXPECT_EQ(report->freed_bytes, before - ifx::test::distinct_file_bytes(root_));
  EXPECT_GT(report->freed_bytes, 0u);
  const auto& newest = report->snapshots.back();
  EXPECT_EQ(newest.reasons, (std::vector<std::string>{"newest", "daily", "weekly", "monthly"}));

  // No kept snapshot lost a file: the shard archive the removed first day wrote is still there,
  // named by every kept snapshot.
  for (const auto& base : expected) expect_verifies(root_ / base);
  struct stat st {};
  ASSERT_EQ(::stat((root_ / "20261130T010000Z" / "20261130T010000Z.s1.tar.gz").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, expected.size());
  EXPECT_EQ(fs::read_symlink(root_ / "latest"), fs::path("20261130T010000Z"));
}

TEST_F(Prune, NoRuleRemovesNothingAndTheNewestAlwaysStays) {
  auto none = ifx::prune::run(options({}));
  ASSERT_TRUE(none) << none.error().describe();
  EXPECT_EQ(none->removed(), 0u);
  ASSERT_FALSE(none->notes.empty());
  EXPECT_NE(none->notes.back().find("no --keep-* rule"), std::string::npos);
  EXPECT_EQ(snapshot_dirs(root_).size(), 183u);

  // Within one hour of a "now" a year on: no snapshot qualifies, but the newest is kept.
  auto later = ifx::prune::run({.repo = root_,
                                .policy = {.within_ns = 3600LL * 1'000'000'000},
                                .now_ns = *ifx::parse_portable_base_time("20271130T120000Z")});
  ASSERT_TRUE(later) << later.error().describe();
  EXPECT_EQ(snapshot_dirs(root_), std::vector<std::string>{"20261130T010000Z"});
  expect_verifies(root_ / "20261130T010000Z");
}

TEST_F(Prune, ARemovalKilledHalfwayIsFinishedByTheNextRun) {
  // What a kill between the rename and the end of the removal leaves.
  fs::rename(root_ / bases_[0], root_ / (bases_[0] + ".removing"));
  fs::remove(root_ / (bases_[0] + ".removing") / (bases_[0] + ".manifest"));
  auto report = ifx::prune::run(options({.last = 200}));
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->removed(), 0u);
  EXPECT_FALSE(fs::exists(root_ / (bases_[0] + ".removing")));
  ASSERT_FALSE(report->notes.empty());
  EXPECT_NE(report->notes.front().find("interrupted prune"), std::string::npos);
  EXPECT_EQ(snapshot_dirs(root_).size(), 182u);
  expect_verifies(root_ / bases_[1]);
}

TEST_F(Prune, TheToolsExitCodesAndJson) {
  using ifx::test::run_command;
  using ifx::test::tool;
  auto bad_zone = run_command({tool("ifx-prune"), root_.string(), "--keep-daily", "3", "--tz", "Mars/Olympus"});
  EXPECT_EQ(bad_zone.exit_code, 2) << bad_zone.err;
  EXPECT_NE(bad_zone.err.find("Mars/Olympus"), std::string::npos) << bad_zone.err;
  auto bad_within = run_command({tool("ifx-prune"), root_.string(), "--keep-within", "soon"});
  EXPECT_EQ(bad_within.exit_code, 2) << bad_within.err;

  {
    auto held = ifx::RepositoryLock::acquire(root_, "the test (holding the lock)", std::chrono::milliseconds(0));
    ASSERT_TRUE(held) << held.error().describe();
    auto locked = run_command({tool("ifx-prune"), root_.string(), "--keep-last", "1"});
    EXPECT_EQ(locked.exit_code, 4) << locked.err;
    EXPECT_NE(locked.err.find("the test (holding the lock)"), std::string::npos) << locked.err;
  }
  EXPECT_EQ(snapshot_dirs(root_).size(), 183u);

  auto dry = run_command({tool("ifx-prune"), root_.string(), "--keep-last", "2", "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  const auto j = nlohmann::json::parse(dry.out);
  EXPECT_EQ(j["removed"], 181);
  EXPECT_EQ(j["kept"], 2);
  EXPECT_EQ(j["dry_run"], true);
  EXPECT_EQ(j["snapshots"].back()["reasons"], (nlohmann::json{"newest", "last"}));
  EXPECT_EQ(snapshot_dirs(root_).size(), 183u);

  auto real = run_command({tool("ifx-prune"), root_.string(), "--keep-last", "2"});
  ASSERT_EQ(real.exit_code, 0) << real.err;
  EXPECT_NE(real.out.find("181 snapshots removed, 2 kept"), std::string::npos) << real.out;
  EXPECT_EQ(snapshot_dirs(root_), (std::vector<std::string>{"20261129T010000Z", "20261130T010000Z"}));
}

}  // namespace
