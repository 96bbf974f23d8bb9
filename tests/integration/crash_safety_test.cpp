// Crash safety: ifx-backup, ifx-convert and an offline ifx-restore are each killed with
// SIGKILL at 20 moments drawn with a fixed seed uniformly over a clean run's duration (measured
// first, so the moments spread over the whole run: start-up, meta, every shard, the manifest).
// After each kill:
//   * every file whose path has no ".pending" component is complete (libformat's readers, not the
//     tool, are the judge: safety_checks.hpp);
//   * ifx-verify of the target is valid, or its defects concern only .pending leftovers and the
//     missing manifest of an interrupted backup (never a damaged file);
//   * the rerun a user would type (ifx-backup --resume, ifx-convert --force as its message says,
//     ifx-restore the same command) completes, and the result verifies.
// The offline restore's directories are then served by a real influxd and compared with the
// fixture's truth. ifx-backup --repo and ifx-prune are killed the same way over a snapshot
// repository: after each kill every snapshot under a final name verifies and `latest` names a
// complete one; the next run finishes what was left.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "ifx-verify/verify.hpp"
#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/backup/repository.hpp"
#include "ifx/format/check/repository_check.hpp"
#include "restore_truth.hpp"
#include "safety_checks.hpp"
#include "support/child_process.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/repository_builder.hpp"
#include "support/run.hpp"
#include "support/server_data.hpp"
#include "support/server_suite.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace ifx::test;

constexpr int kKills = 20;

// Where the kills of one tool land: kKills moments uniformly in [0, typical], `typical` being how
// long a clean run takes, the faster of two (the first backup also makes influxd write its cache
// to TSM, which later runs do not wait for). A fixed seed per tool, so a failure reproduces.
struct KillPlan {
  std::chrono::milliseconds typical{};
  std::vector<std::chrono::microseconds> moments;
  std::string trace(int i) const {
    return fmt::format("kill {} at {} us of a {} ms run", i, moments[i].count(), typical.count());
  }
};

KillPlan plan_kills(const std::function<std::vector<std::string>(int)>& clean_argv, unsigned seed) {
  KillPlan plan{std::chrono::hours(1), {}};
  for (int i = 0; i < 2; ++i) {
    const auto r = ifx::test::run_process(clean_argv(i));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    plan.typical = std::min(plan.typical, r.elapsed);
  }
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int64_t> at(
      0, std::chrono::duration_cast<std::chrono::microseconds>(plan.typical).count());
  for (int i = 0; i < kKills; ++i) plan.moments.emplace_back(at(rng));
  return plan;
}

// Spawns, sleeps `after`, SIGKILLs (a no-op if it already ended), reaps.
ProcessExit kill_after(const std::vector<std::string>& argv, std::chrono::microseconds after,
                       const ifx::test::SpawnOptions& so) {
  ChildProcess p(argv, so);
  std::this_thread::sleep_for(after);
  p.kill(SIGKILL);
  return p.wait(60s);
}

ifx::check::BackupCheckReport verify_dir(const fs::path& dir) {
  ifx::check::BackupCheckOptions o;
  o.backup_dir = dir;
  o.jobs = 1;
  o.quick = true;
  auto r = ifx::check::check_backup(o);
  if (!r) {  // an unreadable directory is reported as one defect so the caller's rules apply
    ifx::check::BackupCheckReport rep;
    rep.defects.push_back(r.error());
    return rep;
  }
  return *r;
}

// Defects an interrupted (not damaged) backup may have: .pending leftovers, and the consequences
// of the manifest not being written yet (files no manifest lists, no meta store to read).
std::vector<std::string> damage_defects(const ifx::check::BackupCheckReport& report) {
  std::vector<std::string> out;
  for (const auto& d : report.defects) {
    if (d.file.ends_with(".pending")) continue;
    if (d.code == ifx::ErrorCode::file_unexpected || d.code == ifx::ErrorCode::file_missing) continue;
    // "no backup here": no manifest yet, the directory is not (yet) a backup at all.
    if (d.code == ifx::ErrorCode::manifest_invalid && d.file.empty()) continue;
    out.push_back(d.describe());
  }
  return out;
}

// A repository as a kill may leave it: every file outside .pending complete, every snapshot
// under a final name valid, `latest` naming a complete snapshot.
void expect_repository_sound(const fs::path& repo) {
  EXPECT_EQ(ifx::test::incomplete_files(repo), std::vector<std::string>{});
  ifx::check::RepositoryCheckOptions o{.repository_dir = repo};
  o.backup.jobs = 1;
  o.backup.quick = true;
  auto r = ifx::check::check_repository(o);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(r->valid()) << ifx::verify::to_text(*r);
}

std::vector<std::string> snapshot_bases(const fs::path& repo) {
  std::vector<std::string> out;
  auto r = ifx::Repository::open(repo, false);
  EXPECT_TRUE(r) << r.error().describe();
  if (r)
    for (const auto& s : r->snapshots()) out.push_back(s.base);
  return out;
}

struct Tally {
  int killed = 0;           // the kill ended the process
  int finished_before = 0;  // the process had already ended by itself
  int left_pending = 0;     // a kill left .pending leftovers
  void add(const ProcessExit& run, bool pending_left) {
    (run.signal == SIGKILL ? killed : finished_before)++;
    left_pending += pending_left;
  }
};

void print_tally(const char* what, const Tally& t) {
  std::printf("[crash-safety] %s: %d kills, %d landed mid-run, %d after it ended, %d left .pending files\n", what,
              kKills, t.killed, t.finished_before, t.left_pending);
}

class CrashSafety : public ifx::test::ServerSuite<CrashSafety> {
 protected:
  static void SetUpTestSuite() {
    ServerSuite::SetUpTestSuite();
    server_->create_database("crash");
    server_->write("crash", ifx::test::weekly_points(4, 1500, [](int i) {  // four weekly shard groups
                     return fmt::format("cpu,host=h{} value={},n={}i", i % 4, i * 0.25, i);
                   }));
  }
  // The tools' scratch files ($TMPDIR) of killed runs stay inside the test's directory.
  ifx::test::SpawnOptions spawn() const {
    ifx::test::SpawnOptions so;
    so.env["TMPDIR"] = (scratch_ / "tmp").string();
    fs::create_directories(scratch_ / "tmp");
    return so;
  }
  // What is left in the tools' $TMPDIR. After a rerun: nothing, because a tool's first scratch
  // directory sweeps those of killed runs (libformat ScratchDirectory) and removes its own.
  std::vector<std::string> scratch_leftovers() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(scratch_ / "tmp", ec)) out.push_back(e.path().filename().string());
    return out;
  }
  ifx::test::ScratchDir scratch_{"ifx-crash"};
};

TEST_F(CrashSafety, BackupKilledTwentyTimesThenResumeCompletes) {
  auto args = [&](const fs::path& dir, bool resume) {
    std::vector<std::string> a{tool("ifx-backup"), "-portable", "-db",       "crash", "-host", server_->rpc_address(),
                               "--progress",       "none",      "--retries", "2",     "-j",    "1"};
    if (resume) a.push_back("--resume");
    a.push_back(dir.string());
    return a;
  };
  const KillPlan plan = plan_kills([&](int i) { return args(scratch_ / fmt::format("clean{}", i), false); }, 8001);
  Tally t;
  for (int i = 0; i < kKills; ++i) {
    SCOPED_TRACE(plan.trace(i));
    const fs::path dir = scratch_ / fmt::format("b{}", i);
    t.add(kill_after(args(dir, false), plan.moments[i], spawn()), !ifx::test::pending_leftovers(dir).empty());
    EXPECT_EQ(ifx::test::incomplete_files(dir), std::vector<std::string>{});
    bool has_manifest = false;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) has_manifest |= e.path().extension() == ".manifest";
    if (fs::exists(dir)) {
      const auto report = verify_dir(dir);
      if (has_manifest)
        EXPECT_TRUE(report.valid()) << "a manifest is written last: its backup must be whole\n"
                                    << ifx::verify::to_text(report);
      else EXPECT_EQ(damage_defects(report), std::vector<std::string>{}) << ifx::verify::to_text(report);
    }
    if (has_manifest) continue;  // it had finished: nothing to resume
    const auto rerun = ifx::test::run_process(args(dir, true), spawn());
    ASSERT_EQ(rerun.exit_code, 0) << "ifx-backup --resume after the kill: " << rerun.err;
    EXPECT_EQ(scratch_leftovers(), std::vector<std::string>{});
    const auto report = verify_dir(dir);
    EXPECT_TRUE(report.valid()) << ifx::verify::to_text(report);
    EXPECT_EQ(ifx::test::pending_leftovers(dir), std::vector<std::string>{});
  }
  print_tally("ifx-backup", t);
  EXPECT_GE(t.killed, kKills / 2) << "the moments should mostly land inside the run";
}

TEST_F(CrashSafety, RepositoryBackupKilledTwentyTimesKeepsEverySnapshotWhole) {
  const fs::path repo = scratch_ / "repo";
  auto args = [&](int) {
    return std::vector<std::string>{tool("ifx-backup"),
                                    "-portable",
                                    "-db",
                                    "crash",
                                    "-host",
                                    server_->rpc_address(),
                                    "--http",
                                    server_->http_url(),
                                    "--repo",
                                    repo.string(),
                                    "--progress",
                                    "none",
                                    "-j",
                                    "1"};
  };
  const KillPlan plan = plan_kills(args, 8004);  // the two clean runs leave two snapshots
  ASSERT_EQ(snapshot_bases(repo).size(), 2u);
  Tally t;
  for (int i = 0; i < kKills; ++i) {
    SCOPED_TRACE(plan.trace(i));
    // One shard changes before each run: it is fetched, the others shared by hard link.
    server_->write("crash", std::vector<std::string>{fmt::format("cpu,host=h9 value={} {}", i,
                                                                 kJan2022 + (i % 4) * 7 * kDay + 5 * kSecond)});
    t.add(kill_after(args(0), plan.moments[i], spawn()), !ifx::test::pending_leftovers(repo).empty());
    expect_repository_sound(repo);
  }
  const auto rerun = ifx::test::run_process(args(0), spawn());
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  expect_repository_sound(repo);
  EXPECT_EQ(ifx::test::pending_leftovers(repo), std::vector<std::string>{});
  EXPECT_EQ(fs::read_symlink(repo / "latest"), fs::path(snapshot_bases(repo).back()));
  print_tally("ifx-backup --repo", t);
  EXPECT_GE(t.killed, kKills / 2);
}

TEST_F(CrashSafety, PruneKilledTwentyTimesKeepsEverySnapshotWhole) {
  // Fresh repositories of 40 daily snapshots (shard 1 shared by all); --keep-last 1 removes 39.
  std::vector<std::int64_t> times;
  for (int d = 0; d < 40; ++d) times.push_back(*ifx::parse_portable_base_time("20261001T010000Z") + d * kDay);
  const fs::path made = scratch_ / "made";
  fs::create_directories(made);
  ifx::test::write_snapshots(made / "repo", made, times);
  auto fresh = [&](int i) {  // a copy, hard links kept
    const fs::path root = scratch_ / fmt::format("prune{}", i);
    const auto cp = ifx::test::run_command({"cp", "-a", (made / "repo").string(), root.string()});
    EXPECT_EQ(cp.exit_code, 0) << cp.err;
    return root;
  };
  auto removing_left = [](const fs::path& root) {
    for (const auto& e : fs::directory_iterator(root))
      if (e.path().filename().string().ends_with(".removing")) return true;
    return false;
  };
  auto args = [&](const fs::path& root) {
    return std::vector<std::string>{tool("ifx-prune"), root.string(), "--keep-last", "1"};
  };
  const KillPlan plan = plan_kills([&](int i) { return args(fresh(100 + i)); }, 8005);
  Tally t;
  int partly = 0;  // kills that left some but not all of the 39 removed
  for (int i = 0; i < kKills; ++i) {
    SCOPED_TRACE(plan.trace(i));
    const fs::path root = fresh(i);
    const std::string newest = snapshot_bases(root).back();
    const auto run = kill_after(args(root), plan.moments[i], spawn());
    t.add(run, removing_left(root));
    const std::size_t left = snapshot_bases(root).size();
    partly += left > 1 && left < times.size();
    expect_repository_sound(root);
    const auto rerun = ifx::test::run_process(args(root), spawn());
    ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
    EXPECT_EQ(snapshot_bases(root), std::vector<std::string>{newest});
    expect_repository_sound(root);
    EXPECT_FALSE(removing_left(root));
  }
  std::printf("[crash-safety] ifx-prune: %d kills left the repository partly pruned\n", partly);
  print_tally("ifx-prune (.removing for .pending)", t);
  EXPECT_GE(t.killed, kKills / 2);
}

TEST_F(CrashSafety, ConvertKilledTwentyTimesThenForcedRerunCompletes) {
  const fs::path source = ifx::test::fixture("portable-all");
  auto args = [&](const fs::path& dest, bool force) {
    std::vector<std::string> a{tool("ifx-convert"), "--threads", "1"};
    if (force) a.push_back("--force");
    a.push_back(source.string());
    a.push_back(dest.string());
    return a;
  };
  const KillPlan plan = plan_kills([&](int i) { return args(scratch_ / fmt::format("clean{}", i), false); }, 8002);
  Tally t;
  for (int i = 0; i < kKills; ++i) {
    SCOPED_TRACE(plan.trace(i));
    const fs::path dest = scratch_ / fmt::format("c{}", i);
    const fs::path pending = dest.string() + ".pending";
    t.add(kill_after(args(dest, false), plan.moments[i], spawn()), fs::exists(pending));
    // DEST appears only whole (rename of DEST.pending); DEST.pending is the declared leftover.
    EXPECT_EQ(ifx::test::incomplete_files(dest), std::vector<std::string>{});
    if (fs::exists(dest)) {
      const auto report = verify_dir(dest);
      EXPECT_TRUE(report.valid()) << ifx::verify::to_text(report);
      continue;
    }
    const auto rerun = ifx::test::run_process(args(dest, fs::exists(pending)), spawn());
    ASSERT_EQ(rerun.exit_code, 0) << "ifx-convert after the kill: " << rerun.err;
    EXPECT_EQ(scratch_leftovers(), std::vector<std::string>{});
    const auto report = verify_dir(dest);
    EXPECT_TRUE(report.valid()) << ifx::verify::to_text(report);
    EXPECT_FALSE(fs::exists(pending));
  }
  print_tally("ifx-convert", t);
  EXPECT_GE(t.killed, kKills / 2);
}

TEST_F(CrashSafety, OfflineRestoreKilledTwentyTimesThenRerunCompletes) {
  auto srv = InfluxdServer::start();
  srv->stop();
  auto args = [&] {
    return std::vector<std::string>{tool("ifx-restore"),
                                    "-metadir",
                                    srv->meta_dir().string(),
                                    "-datadir",
                                    srv->data_dir().string(),
                                    "-db",
                                    "plain",
                                    "--progress",
                                    "none",
                                    ifx::test::fixture("legacy-db").string()};
  };
  const KillPlan plan = plan_kills([&](int) { return args(); }, 8003);
  Tally t;
  for (int i = 0; i < kKills; ++i) {
    SCOPED_TRACE(plan.trace(i));
    t.add(kill_after(args(), plan.moments[i], spawn()), !ifx::test::pending_leftovers(srv->work_dir()).empty());
    EXPECT_EQ(ifx::test::incomplete_files(srv->meta_dir()), std::vector<std::string>{});
    EXPECT_EQ(ifx::test::incomplete_files(srv->data_dir()), std::vector<std::string>{});
    const auto rerun = ifx::test::run_process(args(), spawn());
    ASSERT_EQ(rerun.exit_code, 0) << "ifx-restore after the kill: " << rerun.err;
    EXPECT_EQ(scratch_leftovers(), std::vector<std::string>{});
    EXPECT_EQ(ifx::test::pending_leftovers(srv->work_dir()), std::vector<std::string>{});
    // Shard directories are only ever the numeric ones (what influxd loads) and moved-aside ones.
    for (const auto& e : fs::directory_iterator(srv->data_dir() / "plain" / "autogen")) {
      const std::string n = e.path().filename().string();
      EXPECT_TRUE(n == "9" || n == "10" || n.find(".ifx-replaced-") != std::string::npos) << n;
    }
  }
  print_tally("ifx-restore offline", t);
  EXPECT_GE(t.killed, kKills / 2);
  srv->restart();
  ifx::test::expect_matches_truth(*srv, ifx::test::load_truth("legacy-db"), {"plain", "plain", {}, {}});
}

}  // namespace
