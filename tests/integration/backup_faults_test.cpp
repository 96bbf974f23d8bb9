// ifx-backup when things go wrong, over a real influxd: a connection cut after N bytes (a
// loopback proxy in the test), the server stopped mid-backup, a wrong port, the HTTP port, an
// unknown database / retention policy / shard. Each gives a clear message, a non-zero exit and no
// complete-looking partial file; then --resume completes and ifx-verify passes. Also -skip-errors
// (exit 3, the gap recorded and caught by ifx-verify), ifx-verify's SHA-256 check, and -start/-end
// over a shard with a tombstone (influxd's export truncates that tar, §4.4.1; ours is exact).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <optional>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ifx-backup/backup.hpp"
#include "ifx-inspect/inspect.hpp"
#include "ifx-verify/verify.hpp"
#include "ifx/format/backup/manifest.hpp"
#include "support/fault_proxy.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/run.hpp"
#include "support/server_data.hpp"
#include "support/server_suite.hpp"
#include "tool_runs.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace ifx::test;

std::string ours() { return (ifx::test::build_dir() / "tools" / "ifx-backup").string(); }

// The shared loopback proxy (support/fault_proxy.hpp) ending the answer of the connections the
// policy picks after N bytes: closed cleanly, so the client sees a short but orderly stream (as
// when influxd fails in the middle of a tar, §1.7).
class CuttingProxy {
 public:
  using Policy = std::function<std::optional<std::size_t>(const std::string& request)>;
  CuttingProxy(std::uint16_t upstream, Policy cut_after)
      : proxy_(upstream, [cut_after = std::move(cut_after)](const std::string& request) {
          const auto n = cut_after(request);
          return n ? ifx::test::Fault{ifx::test::FaultKind::close, ifx::test::Direction::to_client, *n}
                   : ifx::test::Fault{};
        }) {}
  std::string address() const { return proxy_.address(); }
  int cuts() const { return proxy_.faults(); }

 private:
  ifx::test::FaultProxy proxy_;
};

// The request of a shard backup (§1.2: type byte 0 after the mux byte) for `shard`.
bool asks_for_shard(const std::string& request, std::uint64_t shard) {
  return request.size() > 2 && request[1] == 0 &&
         request.find(fmt::format("\"ShardID\":{},", shard)) != std::string::npos;
}

// Every answer to a backup of `shard` cut after `bytes`.
CuttingProxy::Policy every_answer_for(std::uint64_t shard, std::size_t bytes) {
  return [shard, bytes](const std::string& request) -> std::optional<std::size_t> {
    if (asks_for_shard(request, shard)) return bytes;
    return std::nullopt;
  };
}

class BackupFaults : public ifx::test::ServerSuite<BackupFaults> {
 protected:
  static void SetUpTestSuite() {
    ServerSuite::SetUpTestSuite();
    server_->create_database("faults");
    server_->write("faults", weekly_points(4, 2000, [](int i) {  // four weekly shard groups
                     return fmt::format("cpu,host=h{} value={},n={}i", i % 5, i * 1.5, i);
                   }));
  }

  ifx::backup::Options options(const fs::path& dir, const std::string& host) const {
    ifx::backup::Options o;
    o.host = host;
    o.dir = dir;
    o.portable = true;
    o.database = "faults";
    o.jobs = 2;
    o.retry.attempts = 3;
    o.retry.first_wait = std::chrono::milliseconds(10);
    o.retry.max_wait = std::chrono::milliseconds(20);
    return o;
  }

  ifx::test::ScratchDir scratch_{"ifx-backup-faults"};
};

TEST_F(BackupFaults, ACutConnectionIsRetriedFromScratch) {
  const auto ids = shard_ids(*server_, "faults");
  ASSERT_EQ(ids.size(), 4u);
  std::atomic<int> cut_once{0};
  CuttingProxy proxy(server_->rpc_port(), [&](const std::string& req) -> std::optional<std::size_t> {
    if (asks_for_shard(req, ids[1]) && cut_once++ == 0) return 3000;  // inside the first TSM entry
    return std::nullopt;
  });
  const fs::path dir = scratch_ / "retried";
  auto s = ifx::backup::run(options(dir, proxy.address()));
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(proxy.cuts(), 1);
  EXPECT_TRUE(s->complete());
  for (const auto& r : s->shards)
    if (r.shard_id == ids[1]) {
      EXPECT_EQ(r.received_bytes, 3000 + r.tar_bytes) << "the cut attempt then a whole one";
    }
  EXPECT_FALSE(any_ends_with(names_in(dir), ".pending"));
  EXPECT_TRUE(verifies(dir));
}

// A byte of the server's answer changed on the way (the transport cannot see it): the received
// tar is checked as it arrives, the block's CRC-32 fails, the archive is not kept, the shard is
// fetched again.
TEST_F(BackupFaults, ADamagedAnswerIsCaughtByTheStreamCheckAndFetchedAgain) {
  const auto ids = shard_ids(*server_, "faults");
  ASSERT_EQ(ids.size(), 4u);
  std::atomic<int> once{0};
  ifx::test::FaultProxy proxy(server_->rpc_port(), [&](const std::string& req) {
    if (asks_for_shard(req, ids[2]) && once++ == 0)
      return ifx::test::Fault{ifx::test::FaultKind::flip, ifx::test::Direction::to_client, 1200};  // TSM block data
    return ifx::test::Fault{};
  });
  const fs::path dir = scratch_ / "flipped";
  auto o = options(dir, proxy.address());
  std::mutex mu;  // on_retry runs on the job threads
  std::vector<std::string> retried;
  o.retry.on_retry = [&](int, const ifx::Error& e, std::chrono::milliseconds) {
    std::lock_guard lock(mu);
    retried.push_back(e.describe());
  };
  auto s = ifx::backup::run(o);
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(proxy.faults(), 1);
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_NE(retried[0].find(fmt::format("shard {} as received from", ids[2])), std::string::npos) << retried[0];
  EXPECT_NE(retried[0].find("fails its CRC32"), std::string::npos) << retried[0];
  EXPECT_TRUE(s->complete());
  EXPECT_FALSE(any_ends_with(names_in(dir), ".pending"));
  EXPECT_TRUE(verifies(dir));
}

TEST_F(BackupFaults, AShardThatKeepsFailingLeavesNoManifestThenResumeCompletes) {
  const auto ids = shard_ids(*server_, "faults");
  CuttingProxy proxy(server_->rpc_port(), every_answer_for(ids[2], 1500));
  const fs::path dir = scratch_ / "resume";
  auto o = options(dir, proxy.address());
  o.jobs = 1;  // shards in order: 0 and 1 done, 2 fails, 3 never started
  auto s = ifx::backup::run(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ifx::ErrorCode::net_protocol);
  EXPECT_NE(s.error().message.find(fmt::format("shard {}", ids[2])), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find(proxy.address()), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("--resume"), std::string::npos) << s.error().message;
  EXPECT_EQ(proxy.cuts(), 3);
  auto names = names_in(dir);
  EXPECT_FALSE(any_ends_with(names, ".manifest")) << ::testing::PrintToString(names);
  EXPECT_FALSE(any_ends_with(names, ".pending")) << ::testing::PrintToString(names);
  EXPECT_FALSE(any_ends_with(names, fmt::format(".s{}.tar.gz", ids[2])));
  EXPECT_TRUE(any_ends_with(names, fmt::format(".s{}.tar.gz", ids[0])));
  EXPECT_FALSE(verify_report(dir).valid()) << "an interrupted backup must not pass as complete";
  // A stale .pending as a crash leaves it is cleaned up by the resumed run.
  const std::string base = names.front().substr(0, 16);
  ifx::test::write_file(dir / (base + fmt::format(".s{}.tar.gz.pending", ids[3])), "half");

  auto resumed_options = options(dir, server_->rpc_address());
  resumed_options.resume = true;
  auto r = ifx::backup::run(resumed_options);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->base, base);
  EXPECT_TRUE(r->complete());
  int adopted = 0;
  for (const auto& sh : r->shards) adopted += sh.status == ifx::backup::ShardStatus::adopted;
  EXPECT_EQ(adopted, 2);
  EXPECT_NE(std::find(r->removed.begin(), r->removed.end(), base + fmt::format(".s{}.tar.gz.pending", ids[3])),
            r->removed.end());
  EXPECT_TRUE(verifies(dir));
  auto m = ifx::read_manifest_file(dir / (base + ".manifest"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->files.size(), 4u);
}

TEST_F(BackupFaults, TheServerStoppedMidBackupThenResumeCompletes) {
  auto srv = InfluxdServer::start();
  srv->create_database("stopped");
  srv->write("stopped", weekly_points(3, 300, [](int i) { return fmt::format("m v={}", i); }));
  const auto ids = shard_ids(*srv, "stopped");
  ASSERT_EQ(ids.size(), 3u);
  // The server is stopped the moment it starts answering for the second shard (the proxy only
  // decides when it sees the answer, so the stop is exactly mid-backup, not racing the client).
  std::atomic<bool> stopped{false};
  CuttingProxy proxy(srv->rpc_port(), [&](const std::string& req) -> std::optional<std::size_t> {
    if (asks_for_shard(req, ids[1]) && !stopped.exchange(true)) {
      srv->stop();
      return 0;
    }
    return std::nullopt;
  });
  const fs::path dir = scratch_ / "stopped";
  auto o = options(dir, proxy.address());
  o.database = "stopped";
  o.jobs = 1;
  auto s = ifx::backup::run(o);
  ASSERT_TRUE(stopped);
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.error().code == ifx::ErrorCode::net_no_data || s.error().code == ifx::ErrorCode::net_refused ||
              s.error().code == ifx::ErrorCode::net_reset)
      << s.error().describe();
  EXPECT_NE(s.error().message.find(fmt::format("shard {}", ids[1])), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("--resume"), std::string::npos);
  auto names = names_in(dir);
  EXPECT_FALSE(any_ends_with(names, ".manifest"));
  EXPECT_FALSE(any_ends_with(names, ".pending"));
  EXPECT_TRUE(any_ends_with(names, fmt::format(".s{}.tar.gz", ids[0])));
  srv->restart();
  o.host = srv->rpc_address();
  o.resume = true;
  auto r = ifx::backup::run(o);
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(r->shards.size(), 3u);
  EXPECT_EQ(r->shards[0].status, ifx::backup::ShardStatus::adopted);
  EXPECT_EQ(r->shards[1].status, ifx::backup::ShardStatus::written);
  EXPECT_TRUE(verifies(dir));
}

TEST_F(BackupFaults, SkipErrorsRecordsTheGapExitsThreeAndVerifyCatchesIt) {
  const auto ids = shard_ids(*server_, "faults");
  CuttingProxy proxy(server_->rpc_port(), every_answer_for(ids[3], 700));
  const fs::path dir = scratch_ / "skip";
  const Ran r = run_command({ours(), "-portable", "-db", "faults", "-skip-errors", "--retries", "1", "-host",
                             proxy.address(), "--json", dir.string()});
  EXPECT_EQ(r.exit_code, 3) << r.err << r.out;
  const json summary = json::parse(r.out);
  EXPECT_FALSE(summary["complete"].get<bool>());
  int skipped = 0;
  for (const auto& sh : summary["shards"])
    if (sh["status"] == "skipped") {
      ++skipped;
      EXPECT_EQ(sh["shard"], ids[3]);
      EXPECT_EQ(sh["error"]["code"], "net-protocol");
    }
  EXPECT_EQ(skipped, 1);
  auto m = ifx::read_manifest_file(dir / summary["manifest"].get<std::string>());
  ASSERT_TRUE(m) << m.error().describe();
  EXPECT_EQ(m->files.size(), 3u);
  ASSERT_TRUE(m->extra.contains("skipped"));
  EXPECT_EQ(m->extra["skipped"][0]["shardID"], ids[3]);
  auto report = verify_report(dir);
  ASSERT_EQ(report.defects.size(), 1u) << ifx::verify::to_text(report);
  EXPECT_EQ(report.defects[0].code, ifx::ErrorCode::shard_missing);
  EXPECT_NE(report.defects[0].message.find(std::to_string(ids[3])), std::string::npos);
}

TEST_F(BackupFaults, WrongPortHttpPortAndUnknownNamesFailClearlyLeavingNothing) {
  const std::uint16_t closed = ifx::test::free_port();
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::string host = server_->rpc_address();
  const std::vector<Case> cases = {
      {{"-portable", "-host", fmt::format("127.0.0.1:{}", closed)}, fmt::format("refused at 127.0.0.1:{}", closed)},
      {{"-portable", "-host", fmt::format("127.0.0.1:{}", server_->http_port())}, "HTTP"},
      {{"-portable", "-db", "nosuch", "-host", host}, "database nosuch does not exist"},
      {{"-db", "faults", "-rp", "nosuch", "-host", host}, "retention policy nosuch does not exist"},
      {{"-portable", "-rp", "autogen", "-shard", "987654", "-host", host}, "shard 987654 does not exist"},
  };
  int n = 0;
  for (const auto& c : cases) {
    const fs::path dir = scratch_ / fmt::format("bad-{}", n++);
    auto argv = c.args;
    argv.insert(argv.begin(), ours());
    argv.push_back(dir.string());
    const Ran r = run_command(argv);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_TRUE(names_in(dir).empty()) << ::testing::PrintToString(names_in(dir));
  }
  const Ran usage = run_command({ours(), "-since", "2022-01-01T00:00:00Z", "-start", "2022-01-01T00:00:00Z", "-db",
                                 "faults", (scratch_ / "usage").string()});
  EXPECT_EQ(usage.exit_code, 2) << usage.err;
  // Compression levels each compressor takes: gzip 1-12, zstd -7..22 without 0.
  for (const auto& [compressor, level, ok] :
       std::vector<std::tuple<std::string, std::string, bool>>{{"gzip", "0", false},
                                                               {"gzip", "13", false},
                                                               {"gzip", "-1", false},
                                                               {"zstd", "0", false},
                                                               {"zstd", "23", false},
                                                               {"zstd", "-8", false},
                                                               {"gzip", "12", true},
                                                               {"zstd", "-7", true}}) {
    const fs::path dir = scratch_ / fmt::format("level-{}{}", compressor, level);
    const Ran r = run_command({ours(), "-portable", "-db", "faults", "--compress", compressor,
                               "--compress-level=" + level, "-host", host, "--progress", "none", dir.string()});
    EXPECT_EQ(r.exit_code, ok ? 0 : 2) << compressor << " " << level << ": " << r.err;
    if (!ok) {
      EXPECT_NE(r.err.find("--compress-level " + level + " is out of range for " + compressor), std::string::npos)
          << r.err;
      EXPECT_TRUE(names_in(dir).empty());
    }
  }
}

TEST_F(BackupFaults, VerifyComparesTheRecordedSha256) {
  const fs::path dir = scratch_ / "sha";
  auto o = options(dir, server_->rpc_address());
  auto s = ifx::backup::run(o);
  ASSERT_TRUE(s) << s.error().describe();
  const fs::path manifest = dir / s->manifest_file;
  std::string text = ifx::test::read_file(manifest);
  auto m = ifx::read_manifest_file(manifest);
  ASSERT_TRUE(m);
  const std::string good = m->files[0].extra["sha256"].get<std::string>();
  ASSERT_EQ(good.size(), 64u);
  std::string bad = good;
  bad[10] = bad[10] == '0' ? '1' : '0';
  const std::string meta_sha = m->meta.extra["sha256"].get<std::string>();
  std::string bad_meta = meta_sha;
  bad_meta[0] = bad_meta[0] == 'a' ? 'b' : 'a';
  text.replace(text.find(good), good.size(), bad);
  text.replace(text.find(meta_sha), meta_sha.size(), bad_meta);
  ifx::test::write_file(manifest, text);
  auto report = verify_report(dir);
  ASSERT_EQ(report.defects.size(), 2u) << ifx::verify::to_text(report);
  std::set<std::string> files;
  for (const auto& d : report.defects) {
    EXPECT_EQ(d.code, ifx::ErrorCode::sha256_mismatch);
    files.insert(d.file);
  }
  EXPECT_EQ(files, (std::set<std::string>{m->files[0].file_name, m->meta.file_name}));
}

TEST_F(BackupFaults, StartEndOverATombstoneIsExactWhereInfluxdTruncates) {
  auto srv = InfluxdServer::start();
  srv->create_database("tomb");
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) lines.push_back(fmt::format("m,k=a v={} {}", i, kJan2022 + i * kSecond));
  srv->write("tomb", lines);
  {  // a snapshot writes the cache to a TSM file; the DELETE then needs a tombstone for it
    const fs::path flush = scratch_ / "flush";
    const Ran r = run_command({ours(), "-db", "tomb", "-host", srv->rpc_address(), flush.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  srv->query(
      fmt::format("DELETE FROM m WHERE time >= {} AND time <= {}", kJan2022 + 100 * kSecond, kJan2022 + 199 * kSecond),
      "tomb");
  const std::vector<std::string> range{"-start", "2022-01-01T00:00:50Z", "-end", "2022-01-01T00:05:00Z"};
  const fs::path mine = scratch_ / "tomb-ours", theirs = scratch_ / "tomb-influxd";
  auto a = std::vector<std::string>{ours(), "-portable", "-db", "tomb", "-host", srv->rpc_address()};
  a.insert(a.end(), range.begin(), range.end());
  a.push_back(mine.string());
  const Ran r1 = run_command(a);
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  ifx::inspect::Options io;
  io.backup_dir = mine;
  io.deep = true;
  auto ins = ifx::inspect::run(io);
  ASSERT_TRUE(ins) << ins.error().describe();
  const json j = json::parse(ifx::inspect::to_json(*ins).dump());
  // 50 s .. 300 s inclusive is 251 points, minus the 100 deleted ones.
  EXPECT_EQ(j["totals"]["points"], 151);
  EXPECT_EQ(j["totals"]["tombstones"], 0);
  EXPECT_TRUE(verify_report(mine).valid());
  auto b = std::vector<std::string>{"/usr/bin/influxd", "backup", "-portable", "-db", "tomb", "-host",
                                    srv->rpc_address()};
  b.insert(b.end(), range.begin(), range.end());
  b.push_back(theirs.string());
  const Ran r2 = run_command(b);
  EXPECT_EQ(r2.exit_code, 0) << "influxd reports success: " << r2.err;
  auto stock = verify_report(theirs);
  EXPECT_FALSE(stock.valid()) << "influxd's export of a tombstoned TSM file is a truncated tar (§4.4.1)";
}

}  // namespace
