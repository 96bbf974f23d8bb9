// ifx-backup --repo against a real influxd: nightly snapshots of a server with many shards where
// only some change; a shard is shared with the earlier snapshot only when the server proves it
// unchanged, and every way of changing it (new points, DELETE, DROP SERIES, a compaction, writes
// during the backup) makes it fetched again. Each snapshot is an ordinary portable backup: the
// real `influxd restore -portable` brings back exactly the points the server held when it was
// made.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "ifx-backup/backup.hpp"
#include "ifx/format/backup/repository.hpp"
#include "support/child_process.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/repository_builder.hpp"
#include "support/run.hpp"
#include "support/server_data.hpp"
#include "tool_runs.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::backup::ShardStatus;
using ifx::test::InfluxdServer;
using ifx::test::kDay;
using ifx::test::kJan2022;
using ifx::test::ScratchDir;
using json = nlohmann::json;

constexpr int kDays = 6;  // one shard each (1-day shard groups)

// Every point of `db`, exactly as the server answers them (series, tags, columns, values).
json points_of(InfluxdServer& srv, const std::string& db) { return srv.series("SELECT * FROM /.*/ GROUP BY *", db); }

std::string point(int day, int i, const std::string& host = "a") {
  return fmt::format("cpu,host={} v={},n={}i {}", host, day * 1000 + i, i,
                     kJan2022 + day * kDay + i * ifx::test::kSecond);
}

class SnapshotRepository : public ::testing::Test {
 protected:
  void start(ifx::test::InfluxdOptions options = {}) {
    srv_ = InfluxdServer::start(std::move(options));
    srv_->query("CREATE DATABASE night WITH SHARD DURATION 1d");
    std::vector<std::string> lines;
    for (int d = 0; d < kDays; ++d)
      for (int i = 0; i < 50; ++i) lines.push_back(point(d, i));
    srv_->write("night", lines);
    ids_ = ifx::test::shard_ids(*srv_, "night");
    ASSERT_EQ(ids_.size(), static_cast<std::size_t>(kDays));
  }

  ifx::backup::Options options() const {
    ifx::backup::Options o;
    o.host = srv_->rpc_address();
    o.portable = true;
    o.database = "night";
    o.repo = repo_;
    o.http_url = srv_->http_url();
    return o;
  }

  ifx::backup::Summary snapshot() {
    auto s = ifx::backup::run(options());
    if (!s) {
      ADD_FAILURE() << s.error().describe();
      return {};
    }
    EXPECT_TRUE(ifx::test::verifies(s->snapshot)) << s->snapshot;
    return std::move(*s);
  }

  // The status of every shard, by shard ID.
  static std::map<std::uint64_t, ShardStatus> statuses(const ifx::backup::Summary& s) {
    std::map<std::uint64_t, ShardStatus> out;
    for (const auto& r : s.shards) out[r.shard_id] = r.status;
    return out;
  }
  // Only `changed` fetched, every other shard of the database shared.
  void expect_only_changed(const ifx::backup::Summary& s, const std::set<std::uint64_t>& changed) {
    for (const auto& [id, status] : statuses(s))
      EXPECT_EQ(status, changed.count(id) ? ShardStatus::written : ShardStatus::reused) << "shard " << id;
  }

  // The real `influxd restore -portable` of `dir` as database `target`, then polled until its
  // points equal `want` (influxd's restore returns before the shards are open).
  void expect_restores_to(const fs::path& dir, const std::string& target, const json& want) {
    const auto r = ifx::test::run_command({ifx::test::influxd_binary(), "restore", "-portable", "-host",
                                           srv_->rpc_address(), "-db", "night", "-newdb", target, dir.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    json got;
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(std::chrono::milliseconds(100))) {
      try {
        got = points_of(*srv_, target);
        if (got == want) return;
      } catch (const ifx::test::InfluxdError&) {  // a shard still opening
      }
    }
    EXPECT_EQ(got, want) << target;
  }

  std::unique_ptr<InfluxdServer> srv_;
  std::vector<std::uint64_t> ids_;
  ScratchDir scratch_{"ifx-repo-test"};
  fs::path repo_ = scratch_ / "repo";
};

// What `du -sb` says of `dir`: apparent sizes, each hard-linked file once.
std::uint64_t du_bytes(const fs::path& dir) {
  const auto r = ifx::test::run_command({"du", "-sb", dir.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return std::stoull(r.out);
}

// What a directory itself adds to `du -sb`.
std::uint64_t dir_entry_bytes(const fs::path& dir) {
  struct stat st {};
  EXPECT_EQ(::stat(dir.c_str(), &st), 0) << dir;
  return static_cast<std::uint64_t>(st.st_size);
}

ino_t inode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_ino;
}

TEST_F(SnapshotRepository, NightlySnapshotsShareUnchangedShardsAndRestoreAsTheyWere) {
  start();
  const auto first = snapshot();
  for (const auto& r : first.shards) EXPECT_EQ(r.status, ShardStatus::written) << r.shard_id;
  ASSERT_TRUE(first.server_time_ns);
  const json truth1 = points_of(*srv_, "night");

  // One shard gets new points: only that one is fetched again.
  srv_->write("night", std::vector<std::string>{point(3, 100), point(3, 101)});
  const auto second = snapshot();
  expect_only_changed(second, {ids_[3]});
  const json truth2 = points_of(*srv_, "night");
  ASSERT_NE(truth1, truth2);
  for (const auto& r : second.shards) {
    if (r.status != ShardStatus::reused) continue;
    EXPECT_EQ(r.received_bytes, 0u) << r.shard_id;
    EXPECT_EQ(r.reused_from, fs::path(first.snapshot).filename().string());
    // The same file on disk: the repository grows by the changed shard only.
    EXPECT_EQ(inode_of(fs::path(second.snapshot) / r.file),
              inode_of(fs::path(first.snapshot) / fmt::format("{}.s{}.tar.gz", first.base, r.shard_id)));
  }
  EXPECT_EQ(fs::read_symlink(repo_ / "latest"), fs::path(second.snapshot).filename());

  // Nothing changed: everything shared, from the newest snapshot holding it.
  const std::uint64_t du_before_third = du_bytes(repo_);
  const auto third = snapshot();
  expect_only_changed(third, {});
  for (const auto& r : third.shards) EXPECT_EQ(r.reused_from, second.base) << r.shard_id;

  // The repository grew by each snapshot's own files only (du counts hard links once): the third
  // added its meta and manifest and no archive. ifx-inspect's listing says the same.
  const std::uint64_t third_own = fs::file_size(fs::path(third.snapshot) / (third.base + ".meta")) +
                                  fs::file_size(fs::path(third.snapshot) / (third.base + ".manifest"));
  EXPECT_EQ(du_bytes(repo_) - du_before_third, third_own + dir_entry_bytes(third.snapshot));
  const auto listed = ifx::test::run_command({ifx::test::tool("ifx-inspect"), repo_.string(), "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const json l = json::parse(listed.out);
  ASSERT_EQ(l["snapshots"].size(), 3u);
  EXPECT_EQ(l["latest"], third.base);
  const std::vector<std::size_t> written{static_cast<std::size_t>(kDays), 1, 0};
  const ifx::backup::Summary* runs[] = {&first, &second, &third};
  std::uint64_t logical = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const json& s = l["snapshots"][i];
    EXPECT_EQ(s["snapshot"], runs[i]->base);
    EXPECT_EQ(s["host"], srv_->rpc_address());
    EXPECT_EQ(s["scope"]["database"], "night");
    EXPECT_EQ(s["shards"], kDays);
    EXPECT_EQ(s["shards_written"], written[i]);
    EXPECT_EQ(s["shards_reused"], kDays - written[i]);
    logical += s["logical_bytes"].get<std::uint64_t>();
  }
  EXPECT_EQ(l["snapshots"][2]["added_bytes"], third_own);
  EXPECT_EQ(l["totals"]["logical_bytes"], logical);
  EXPECT_EQ(l["totals"]["on_disk_bytes"], ifx::test::distinct_file_bytes(repo_) - fs::file_size(repo_ / "lock"));
  std::uint64_t added = 0;
  for (const auto& s : l["snapshots"]) added += s["added_bytes"].get<std::uint64_t>();
  EXPECT_EQ(l["totals"]["on_disk_bytes"], added);
  // What sharing saved: the archives of the 5 + 6 reused shards, counted in logical only.
  std::uint64_t shared = 0;
  for (const auto* run : {&second, &third})
    for (const auto& r : run->shards)
      if (r.status == ShardStatus::reused) shared += fs::file_size(fs::path(run->snapshot) / r.file);
  EXPECT_EQ(logical - added, shared);
  const auto table = ifx::test::run_command({ifx::test::tool("ifx-inspect"), repo_.string()});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  const auto row = table.out.find(third.base + " ");
  ASSERT_NE(row, std::string::npos) << table.out;
  const std::string line = table.out.substr(row, table.out.find('\n', row) - row);
  EXPECT_NE(line.find(srv_->rpc_address()), std::string::npos) << line;
  EXPECT_TRUE(line.ends_with("(latest)")) << line;
  EXPECT_NE(table.out.find("3 snapshots: "), std::string::npos) << table.out;

  expect_restores_to(first.snapshot, "night_first", truth1);
  expect_restores_to(second.snapshot, "night_second", truth2);
  expect_restores_to(third.snapshot, "night_third", truth2);
}

TEST_F(SnapshotRepository, DeleteAndDropSeriesMakeTheirShardsChanged) {
  start();
  srv_->write("night", std::vector<std::string>{point(5, 0, "b"), point(5, 1, "b")});  // host b: day 5 only
  snapshot();
  srv_->query(fmt::format("DELETE FROM cpu WHERE time >= {} AND time < {}", kJan2022 + 2 * kDay,
                          kJan2022 + 2 * kDay + 10 * ifx::test::kSecond),
              "night");
  expect_only_changed(snapshot(), {ids_[2]});
  srv_->query("DROP SERIES FROM cpu WHERE host = 'b'", "night");
  expect_only_changed(snapshot(), {ids_[5]});
}

TEST_F(SnapshotRepository, ACompactionMakesItsShardChanged) {
  ifx::test::InfluxdOptions o;
  o.data_settings["compact-full-write-cold-duration"] = "\"1s\"";
  start(o);
  snapshot();  // flushes every cache: one TSM file per shard
  srv_->write("night", std::vector<std::string>{point(1, 200), point(1, 201)});
  expect_only_changed(snapshot(), {ids_[1]});  // flushed again: two TSM files in shard 1
  // The cold shard is compacted into one file: nothing new in it, but its files changed.
  const auto counts_of_shard_1 = [&]() -> std::uint64_t {
    auto counts = srv_->http().tsm_file_counts();
    return counts && counts->count(ids_[1]) ? counts->at(ids_[1]) : 0;
  };
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
       counts_of_shard_1() != 1 && std::chrono::steady_clock::now() < deadline;)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(counts_of_shard_1(), 1u) << srv_->log_tail();
  expect_only_changed(snapshot(), {ids_[1]});
}

TEST_F(SnapshotRepository, AShardWrittenDuringTheBackupIsFetched) {
  start();
  snapshot();
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 300; !stop; ++i) {
      srv_->write("night", point(4, i));
      ++written;
    }
  });
  while (written == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto during = snapshot();
  stop = true;
  writer.join();
  EXPECT_EQ(statuses(during)[ids_[4]], ShardStatus::written);
}

TEST_F(SnapshotRepository, WithoutTheHttpApiEveryShardIsFetched) {
  start();
  snapshot();
  auto o = options();
  o.http_url = fmt::format("http://127.0.0.1:{}", ifx::test::free_port());
  auto s = ifx::backup::run(o);
  ASSERT_TRUE(s) << s.error().describe();
  for (const auto& r : s->shards) EXPECT_EQ(r.status, ShardStatus::written) << r.shard_id;
  EXPECT_TRUE(std::any_of(s->notes.begin(), s->notes.end(),
                          [](const std::string& n) { return n.find("HTTP API") != std::string::npos; }));
}

TEST_F(SnapshotRepository, ASecondRunWaitsForTheLockThenExitsWithCode4) {
  start();
  fs::create_directories(repo_);
  auto lock = ifx::RepositoryLock::acquire(repo_, "the test (holding it)", std::chrono::milliseconds(0));
  ASSERT_TRUE(lock);
  const auto r = ifx::test::run_command({ifx::test::tool("ifx-backup"), "-portable", "-host", srv_->rpc_address(),
                                         "-db", "night", "--repo", repo_.string(), "--lock-wait", "0.3"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("the test (holding it)"), std::string::npos) << r.err;
}

}  // namespace
