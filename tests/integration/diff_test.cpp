// ifx-diff against backups of a real influxd, taken by ifx-backup (portable, legacy, --repo):
// two backups of unchanged data are the same whatever their archive bytes; new points make
// exactly their shard changed, and --deep names the measurement and the points added, or the
// values overwritten; a created database is added, a dropped one removed; legacy against portable
// of the same data is the same by content; hard-linked snapshots are decided by inode, a copied
// one by the manifests; the filters, --json, and the binary's exit codes (0, 1, 2, 3). Then two
// of influxd's own backups from fixtures/.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ifx-backup/backup.hpp"
#include "ifx-diff/diff.hpp"
#include "support/child_process.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/server_data.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::diff::Evidence;
using ifx::diff::Status;
using ifx::test::InfluxdServer;
using ifx::test::kDay;
using ifx::test::kJan2022;
using ifx::test::kSecond;
using ifx::test::ScratchDir;
using json = nlohmann::json;

constexpr int kDays = 3;  // one shard each (1-day shard groups)

std::string cpu(int day, int i) {
  return fmt::format("cpu,host=a usage={},n={}i {}", day * 100 + i, i, kJan2022 + day * kDay + i * kSecond);
}
std::string mem(int day, int i, int value) {
  return fmt::format("mem,host=a used={}i {}", value, kJan2022 + day * kDay + i * kSecond);
}

class Diff : public ::testing::Test {
 protected:
  void SetUp() override {
    srv_ = InfluxdServer::start();
    srv_->query("CREATE DATABASE app WITH SHARD DURATION 1d");
    std::vector<std::string> lines;
    for (int d = 0; d < kDays; ++d)
      for (int i = 0; i < 40; ++i) {
        lines.push_back(cpu(d, i));
        lines.push_back(mem(d, i, i));
      }
    srv_->write("app", lines);
    app_shards_ = ifx::test::shard_ids(*srv_, "app");
    ASSERT_EQ(app_shards_.size(), static_cast<std::size_t>(kDays));
    srv_->create_database("other");
    srv_->write("other", std::vector<std::string>{"disk free=1i " + std::to_string(kJan2022)});
  }

  // A backup of the whole server (or of `db`) in a new directory.
  fs::path backup(bool portable = true, const std::string& db = "") {
    const fs::path dir = scratch_ / fmt::format("b{}", ++backups_);
    ifx::backup::Options o{.host = srv_->rpc_address(), .dir = dir, .portable = portable};
    if (!db.empty()) o.database = db;
    o.now_ns = kJan2022 + backups_ * kSecond;  // distinct base names, as nights apart
    auto s = ifx::backup::run(o);
    if (!s) throw std::runtime_error(s.error().describe());
    return dir;
  }

  // A snapshot of database app into the repository; returns its directory.
  fs::path snapshot() {
    ifx::backup::Options o{.host = srv_->rpc_address(), .portable = true, .database = "app"};
    o.repo = repo_;
    o.http_url = srv_->http_url();
    auto s = ifx::backup::run(o);
    if (!s) throw std::runtime_error(s.error().describe());
    return s->snapshot;
  }

  static ifx::diff::Report diff(const fs::path& a, const fs::path& b,
                                const std::function<void(ifx::diff::Options&)>& tweak = {}) {
    ifx::diff::Options o{.old_backup = a, .new_backup = b, .jobs = 2};
    if (tweak) tweak(o);
    auto r = ifx::diff::run(o);
    if (!r) throw std::runtime_error(r.error().describe());
    return std::move(*r);
  }

  static std::map<std::uint64_t, ifx::diff::ShardDiff> by_id(const ifx::diff::Report& r) {
    std::map<std::uint64_t, ifx::diff::ShardDiff> out;
    for (const auto& s : r.shards) out[s.shard_id] = s;
    return out;
  }
  static std::map<std::string, Status> database_statuses(const ifx::diff::Report& r) {
    std::map<std::string, Status> out;
    for (const auto& d : r.databases) out[d.name] = d.status;
    return out;
  }
  static void expect_all_unchanged(const ifx::diff::Report& r, Evidence how) {
    EXPECT_TRUE(r.same());
    EXPECT_EQ(ifx::diff::exit_code(r), ifx::diff::kExitSame);
    for (const auto& s : r.shards) {
      EXPECT_EQ(s.status, Status::unchanged) << s.shard_id;
      EXPECT_EQ(s.how, how) << s.shard_id;
    }
    for (const auto& d : r.databases) EXPECT_EQ(d.status, Status::unchanged) << d.name;
  }

  static ifx::test::ProcessExit run_diff(std::vector<std::string> args) {
    args.insert(args.begin(), ifx::test::tool("ifx-diff"));
    return ifx::test::run_process(args);
  }

  std::unique_ptr<InfluxdServer> srv_;
  std::vector<std::uint64_t> app_shards_;
  ScratchDir scratch_{"ifx-diff-test"};
  fs::path repo_ = scratch_ / "repo";
  int backups_ = 0;
};

TEST_F(Diff, TwoBackupsOfUnchangedDataAreTheSame) {
  const fs::path a = backup();
  const fs::path b = backup();
  const auto r = diff(a, b);
  ASSERT_EQ(r.shards.size(), static_cast<std::size_t>(kDays + 1));  // app's three, other's one
  // Other base names, so other archive bytes and SHA-256: decided by the unpacked data.
  expect_all_unchanged(r, Evidence::content);
  EXPECT_EQ(database_statuses(r),
            (std::map<std::string, Status>{{"app", Status::unchanged}, {"other", Status::unchanged}}));
  const auto ran = run_diff({a.string(), b.string()});
  EXPECT_EQ(ran.exit_code, 0) << ran.err << ran.out;
  EXPECT_NE(ran.out.find("The backups hold the same data."), std::string::npos) << ran.out;
}

TEST_F(Diff, NewPointsMakeExactlyTheirShardChangedAndDeepNamesTheMeasurement) {
  const fs::path a = backup();
  // Day 1: two new cpu points, and one mem value overwritten (same series and time).
  srv_->write("app", std::vector<std::string>{cpu(1, 100), cpu(1, 101), mem(1, 5, 999)});
  const fs::path b = backup();

  const auto r = diff(a, b);
  EXPECT_FALSE(r.same());
  EXPECT_EQ(ifx::diff::exit_code(r), ifx::diff::kExitDiffer);
  for (const auto& [id, s] : by_id(r)) {
    EXPECT_EQ(s.status, id == app_shards_[1] ? Status::changed : Status::unchanged) << id;
    EXPECT_EQ(s.how, Evidence::content) << id;
    EXPECT_TRUE(s.measurements.empty()) << "only --deep measures";
  }
  EXPECT_EQ(database_statuses(r),
            (std::map<std::string, Status>{{"app", Status::changed}, {"other", Status::unchanged}}));

  const auto deep = diff(a, b, [](auto& o) { o.deep = true; });
  const auto changed = by_id(deep).at(app_shards_[1]);
  ASSERT_EQ(changed.status, Status::changed);
  ASSERT_EQ(changed.measurements.size(), 2u);
  const auto& c = changed.measurements[0];
  EXPECT_EQ(c.name, "cpu");
  EXPECT_EQ(c.status, Status::changed);
  EXPECT_EQ(c.old_points, 40u);
  EXPECT_EQ(c.new_points, 42u);
  EXPECT_EQ(c.old_series, 1u);
  EXPECT_EQ(c.new_series, 1u);
  const auto& m = changed.measurements[1];
  EXPECT_EQ(m.name, "mem");
  EXPECT_EQ(m.status, Status::changed);
  EXPECT_EQ(m.old_points, m.new_points);
  EXPECT_TRUE(m.values_differ);
  for (const auto& s : deep.shards)
    EXPECT_TRUE(s.shard_id == app_shards_[1] || s.measurements.empty()) << "unchanged shards are not measured";

  const auto ran = run_diff({"--deep", a.string(), b.string()});
  EXPECT_EQ(ran.exit_code, 1) << ran.err << ran.out;
  EXPECT_NE(ran.out.find(fmt::format("shard {} changed", app_shards_[1])), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("measurement \"cpu\" changed: points 40 → 42 (+2)"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("measurement \"mem\" changed: points 40, series 1, values differ"), std::string::npos)
      << ran.out;
}

TEST_F(Diff, ACreatedDatabaseIsAddedADroppedOneRemoved) {
  const fs::path a = backup();
  srv_->create_database("fresh");
  srv_->write("fresh", std::vector<std::string>{"load v=1 " + std::to_string(kJan2022)});
  srv_->query("DROP DATABASE other");
  const fs::path b = backup();

  const auto r = diff(a, b, [](auto& o) { o.deep = true; });
  EXPECT_EQ(database_statuses(r),
            (std::map<std::string, Status>{
                {"app", Status::unchanged}, {"fresh", Status::added}, {"other", Status::removed}}));
  std::map<std::string, Status> shard_statuses;
  for (const auto& s : r.shards) shard_statuses[s.database] = s.status;  // one shard each but app
  EXPECT_EQ(shard_statuses["fresh"], Status::added);
  EXPECT_EQ(shard_statuses["other"], Status::removed);
  EXPECT_EQ(shard_statuses["app"], Status::unchanged);
  for (const auto& s : r.shards) {
    if (s.database == "app") continue;
    ASSERT_EQ(s.measurements.size(), 1u) << s.database;
    EXPECT_EQ(s.measurements[0].status, s.status) << s.database;
    EXPECT_EQ(s.database == "fresh" ? s.measurements[0].new_points : s.measurements[0].old_points, 1u);
  }
  const auto ran = run_diff({a.string(), b.string()});
  EXPECT_EQ(ran.exit_code, 1) << ran.err;
  EXPECT_NE(ran.out.find("database \"fresh\" added (1 retention policy, 1 shard)"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("database \"other\" removed (1 retention policy, 1 shard)"), std::string::npos) << ran.out;
}

TEST_F(Diff, LegacyAndPortableOfTheSameDataAreTheSameByContent) {
  const fs::path portable = backup(true, "app");
  const fs::path legacy = backup(false, "app");
  const auto r = diff(legacy, portable);
  EXPECT_EQ(r.old_side.set.format, ifx::BackupFormat::Legacy);
  ASSERT_EQ(r.shards.size(), static_cast<std::size_t>(kDays));
  expect_all_unchanged(r, Evidence::content);
  // And a legacy backup taken after new points differs in that shard.
  srv_->write("app", cpu(2, 100));
  const auto later = diff(portable, backup(false, "app"));
  for (const auto& [id, s] : by_id(later))
    EXPECT_EQ(s.status, id == app_shards_[2] ? Status::changed : Status::unchanged) << id;
}

TEST_F(Diff, HardLinkedSnapshotsAreTheSameFilesACopyTheSameRecordedSha256) {
  const fs::path first = snapshot();
  const fs::path second = snapshot();  // nothing changed: every archive shared by hard link
  expect_all_unchanged(diff(first, second), Evidence::inode);
  // The repository itself and REPO/latest stand for the newest snapshot.
  expect_all_unchanged(diff(first, repo_), Evidence::inode);
  const auto via_latest = diff(first, repo_ / "latest");
  expect_all_unchanged(via_latest, Evidence::inode);
  EXPECT_EQ(via_latest.new_side.dir, fs::canonical(second));

  const fs::path copy = scratch_ / "copy";
  fs::copy(first, copy, fs::copy_options::recursive);  // other inodes, the same manifest entries
  expect_all_unchanged(diff(copy, second), Evidence::manifest);

  srv_->write("app", cpu(0, 100));
  const fs::path third = snapshot();
  const auto r = diff(second, repo_ / "latest");
  ASSERT_EQ(fs::canonical(repo_ / "latest"), fs::canonical(third));
  for (const auto& [id, s] : by_id(r)) {
    EXPECT_EQ(s.status, id == app_shards_[0] ? Status::changed : Status::unchanged) << id;
    EXPECT_EQ(s.how, id == app_shards_[0] ? Evidence::content : Evidence::inode) << id;
  }
}

TEST_F(Diff, FiltersSelectDatabasesRetentionPoliciesAndShards) {
  const fs::path a = backup();
  srv_->write("app", std::vector<std::string>{cpu(1, 100)});
  srv_->write("other", std::vector<std::string>{"disk free=2i " + std::to_string(kJan2022 + kSecond)});
  const fs::path b = backup();

  const auto app = diff(a, b, [](auto& o) { o.database = "app"; });
  ASSERT_EQ(app.databases.size(), 1u);
  EXPECT_EQ(app.databases[0].name, "app");
  EXPECT_EQ(app.shards.size(), static_cast<std::size_t>(kDays));

  const auto unchanged_shard = diff(a, b, [&](auto& o) { o.shard = app_shards_[0]; });
  ASSERT_EQ(unchanged_shard.shards.size(), 1u);
  ASSERT_EQ(unchanged_shard.databases.size(), 1u) << "only the database holding the shard";
  ASSERT_EQ(unchanged_shard.databases[0].retention_policies.size(), 1u);
  EXPECT_TRUE(unchanged_shard.same()) << "the other shards' changes are outside the filter";

  const auto rp = diff(a, b, [](auto& o) {
    o.database = "other";
    o.retention_policy = "autogen";
  });
  ASSERT_EQ(rp.shards.size(), 1u);
  EXPECT_EQ(rp.shards[0].status, Status::changed);

  // InfluxDB's spellings on the command line.
  auto ran = run_diff({"-db", "app", "-shard", std::to_string(app_shards_[2]), a.string(), b.string()});
  EXPECT_EQ(ran.exit_code, 0) << ran.err << ran.out;
  ran = run_diff({"-database=app", "-retention", "autogen", a.string(), b.string()});
  EXPECT_EQ(ran.exit_code, 1) << ran.err << ran.out;
  // A filter neither backup holds is a mistake on the command line.
  ran = run_diff({"-db", "nope", a.string(), b.string()});
  EXPECT_EQ(ran.exit_code, 2) << ran.err;
  EXPECT_NE(ran.err.find("\"nope\" is in neither backup"), std::string::npos) << ran.err;
  ran = run_diff({"-shard", "999", a.string(), b.string()});
  EXPECT_EQ(ran.exit_code, 2) << ran.err;
}

TEST_F(Diff, JsonIsOneDocumentScriptsCanRead) {
  const fs::path a = backup();
  srv_->write("app", std::vector<std::string>{cpu(2, 100)});
  const fs::path b = backup();
  const auto ran = run_diff({"--json", "--deep", a.string(), b.string()});
  EXPECT_EQ(ran.exit_code, 1) << ran.err;
  const json j = json::parse(ran.out);  // throws, failing the test, unless it is one JSON document
  EXPECT_EQ(j["tool"], "ifx-diff");
  EXPECT_EQ(j["old"]["path"], a.string());
  EXPECT_EQ(j["new"]["format"], "portable");
  EXPECT_EQ(j["same"], false);
  EXPECT_EQ(j["complete"], true);
  EXPECT_EQ(j["summary"]["shards"]["changed"], 1);
  EXPECT_EQ(j["summary"]["shards"]["unchanged"], kDays);
  EXPECT_EQ(j["summary"]["shards"]["unchanged_by"]["content"], kDays);
  EXPECT_TRUE(j["elapsed_seconds"].is_number());
  ASSERT_EQ(j["shards"].size(), static_cast<std::size_t>(kDays + 1));
  for (const auto& s : j["shards"]) {
    const bool is_changed = s["shard"] == app_shards_[2];
    EXPECT_EQ(s["status"], is_changed ? "changed" : "unchanged") << s.dump();
    EXPECT_EQ(s["how"], "content") << s.dump();
    EXPECT_TRUE(s["error"].is_null());
    if (!is_changed) continue;
    ASSERT_EQ(s["measurements"].size(), 2u) << s.dump();
    EXPECT_EQ(s["measurements"][0]["name"], "cpu");
    EXPECT_EQ(s["measurements"][0]["points"]["new"], 41);
    EXPECT_EQ(s["measurements"][1]["status"], "unchanged");
  }
  for (const auto& d : j["databases"]) EXPECT_EQ(d["status"], d["name"] == "app" ? "changed" : "unchanged");
}

TEST_F(Diff, AnUnreadableShardIsExitCode3AndUsageErrorsExitCode2) {
  const fs::path a = backup(true, "app");
  const fs::path b = backup(true, "app");
  // Cut one archive of b short: its shard cannot be compared, the others still are.
  std::string name;
  for (const auto& e : fs::directory_iterator(b))
    if (e.path().filename().string().ends_with(fmt::format(".s{}.tar.gz", app_shards_[1])))
      name = e.path().filename().string();
  ASSERT_FALSE(name.empty());
  fs::resize_file(b / name, fs::file_size(b / name) / 2);
  const auto r = diff(a, b);
  EXPECT_FALSE(r.complete());
  EXPECT_FALSE(r.same());
  EXPECT_EQ(ifx::diff::exit_code(r), ifx::diff::kExitUnreadable);
  for (const auto& [id, s] : by_id(r)) {
    EXPECT_EQ(s.status, id == app_shards_[1] ? Status::unreadable : Status::unchanged) << id;
    if (id != app_shards_[1]) continue;
    ASSERT_TRUE(s.error);
    EXPECT_EQ(s.error->file, name);
    EXPECT_EQ(s.error_in, "new");
  }
  auto ran = run_diff({a.string(), b.string()});
  EXPECT_EQ(ran.exit_code, 3) << ran.err << ran.out;
  EXPECT_NE(ran.out.find("could not be read"), std::string::npos) << ran.out;
  ran = run_diff({a.string(), (scratch_ / "no-such-backup").string()});
  EXPECT_EQ(ran.exit_code, 3) << ran.err;

  EXPECT_EQ(run_diff({}).exit_code, 2);
  EXPECT_EQ(run_diff({a.string()}).exit_code, 2);
  EXPECT_EQ(run_diff({"--no-such-flag", a.string(), b.string()}).exit_code, 2);
  EXPECT_EQ(run_diff({"-shard", "x", a.string(), b.string()}).exit_code, 2);
  const auto help = run_diff({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos) << help.out;
}

// Real backups of influxd from fixtures/: a shard compacted after a DELETE and a DROP SERIES
// (other TSM files, no tombstones) against the same shard still holding its tombstones; and a
// legacy -since chain against a portable backup of the same database.
TEST(DiffFixtures, ACompactedShardHasOtherFilesButEveryPointTheSame) {
  auto r = ifx::diff::run({.old_backup = ifx::test::fixture("portable-tombstones"),
                           .new_backup = ifx::test::fixture("portable-all"),
                           .deep = true,
                           .database = "del"});
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(r->shards.size(), 2u);
  for (const auto& s : r->shards) {
    EXPECT_EQ(s.status, Status::changed) << s.shard_id;
    ASSERT_EQ(s.measurements.size(), 1u) << s.shard_id;
    EXPECT_EQ(s.measurements[0].status, Status::unchanged) << s.measurements[0].name;
    EXPECT_FALSE(s.measurements[0].values_differ) << s.measurements[0].name;
  }
  const auto ran = ifx::test::run_process({ifx::test::tool("ifx-diff"), "--deep", "-db", "del",
                                           ifx::test::fixture("portable-tombstones").string(),
                                           ifx::test::fixture("portable-all").string()});
  EXPECT_EQ(ran.exit_code, 1) << ran.err;
  EXPECT_NE(ran.out.find("changed (files differ, every point the same)"), std::string::npos) << ran.out;
}

TEST(DiffFixtures, ALegacyChainIsTheSameAsAPortableBackupOfTheSameData) {
  auto r = ifx::diff::run({.old_backup = ifx::test::fixture("legacy-since-chain"),
                           .new_backup = ifx::test::fixture("portable-all"),
                           .database = "inc"});
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(r->shards.size(), 2u);
  for (const auto& s : r->shards) {
    EXPECT_EQ(s.status, Status::unchanged) << s.shard_id;
    EXPECT_EQ(s.how, Evidence::content) << s.shard_id;
  }
  EXPECT_TRUE(r->same());
}

}  // namespace
