// Network faults between our tools and a real influxd, through the shared loopback
// proxy (support/fault_proxy.hpp): a reset in the middle of a stream, a stall longer than the
// read timeout, a slow drip, and the server killed with SIGKILL in the middle of a restore. The
// tools run as processes with small --timeout values. Each fault must end in bounded time
// (timeouts × attempts + backoff, + 10 s of slack) with a message that names the host, says
// what happened and what to do; leave no complete-looking partial output (ifx-backup: no
// manifest, no .pending, every file complete) and nothing half-restored on the server (the
// database the failed restore created is gone again); and the same command without the fault
// then succeeds. A drip that keeps bytes flowing is not a failure: it must complete.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "safety_checks.hpp"
#include "support/expect_has.hpp"
#include "support/child_process.hpp"
#include "support/fault_proxy.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/server_data.hpp"
#include "support/server_suite.hpp"
#include "tool_runs.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace ifx::test;

constexpr int kShardBackup = 0;  // request types, docs/FORMATS.md §1.2
constexpr int kShardUpload = 7;

// The fault for every request of `type`, none for the others.
ifx::test::FaultPolicy on_type(int type, Fault fault) {
  return
      [type, fault](const std::string& request) { return ifx::test::request_type(request) == type ? fault : Fault{}; };
}

class NetFaults : public ifx::test::ServerSuite<NetFaults> {
 protected:
  static void SetUpTestSuite() {
    ServerSuite::SetUpTestSuite();
    server_->create_database("net");
    server_->write("net", ifx::test::weekly_points(3, 3000, [](int i) {  // three weekly shard groups
                     return fmt::format("cpu,host=h{} value={},n={}i", i % 7, (i * 7919) % 1000 / 7.0, i * 31);
                   }));
    source_ = std::make_unique<ifx::test::ScratchDir>("ifx-net-source");
    ifx::test::backup_portable(server_->rpc_address(), "net", source_backup());
  }
  static void TearDownTestSuite() {
    source_.reset();
    ServerSuite::TearDownTestSuite();
  }
  static fs::path source_backup() { return source_->path() / "backup"; }

  std::vector<std::string> backup_args(const std::string& host, const fs::path& dir, double timeout_s,
                                       bool resume = false) const {
    std::vector<std::string> a{tool("ifx-backup"),
                               "-portable",
                               "-db",
                               "net",
                               "-host",
                               host,
                               "-j",
                               "1",
                               "--retries",
                               "2",
                               "--timeout",
                               fmt::format("{}", timeout_s),
                               "--progress",
                               "none"};
    if (resume) a.push_back("--resume");
    a.push_back(dir.string());
    return a;
  }
  std::vector<std::string> restore_args(InfluxdServer& srv, const std::string& host, const std::string& newdb,
                                        double timeout_s) const {
    // -j 1: one upload at a time, so each fault is met by exactly one shard's retries (with two,
    // both shards in flight meet it and the counts below depend on timing).
    return {tool("ifx-restore"),
            "-portable",
            "-j",
            "1",
            "-host",
            host,
            "--http",
            srv.http_url(),
            "-db",
            "net",
            "-newdb",
            newdb,
            "--timeout",
            fmt::format("{}", timeout_s),
            "--wait",
            "60",
            "--progress",
            "plain",
            source_backup().string()};
  }
  static std::uint64_t count_values(InfluxdServer& srv, const std::string& db) {
    auto s = srv.series("SELECT count(value) FROM cpu", db);
    return s.empty() ? 0 : s[0]["values"][0][1].get<std::uint64_t>();
  }
  // The backup failed after both attempts (--retries 2) met the fault, saying where, what
  // happened and that --resume continues it.
  static void expect_backup_failed_twice(const ProcessExit& r, const FaultProxy& proxy, const std::string& what) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_HAS(r.err, proxy.address());
    EXPECT_HAS(r.err, what);
    EXPECT_HAS(r.err, "--resume");
    EXPECT_EQ(proxy.faults(), 2) << "--retries 2: two attempts, each met the fault";
  }
  // The failed backup left nothing that looks complete, then --resume straight to the server
  // completes it.
  void expect_backup_unfinished_then_resumed(const fs::path& dir) {
    const auto names = names_in(dir);
    EXPECT_FALSE(any_ends_with(names, ".manifest")) << ::testing::PrintToString(names);
    EXPECT_FALSE(any_ends_with(names, ".pending")) << ::testing::PrintToString(names);
    EXPECT_EQ(ifx::test::incomplete_files(dir), std::vector<std::string>{});
    const auto resumed = ifx::test::run_process(backup_args(server_->rpc_address(), dir, 30, true));
    EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_TRUE(ifx::test::verifies(dir, 1));
  }
  void expect_restore_rolled_back_then_rerun(InfluxdServer& srv, const std::string& newdb, const ProcessExit& r) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_HAS(r.err, fmt::format("dropped database(s) {}", newdb));
    EXPECT_HAS(r.err, "Running the same command again starts over");
    EXPECT_FALSE(ifx::test::database_names(srv).count(newdb)) << "the failed restore left its database behind";
    const auto again = ifx::test::run_process(restore_args(srv, srv.rpc_address(), newdb, 30));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(count_values(srv, newdb), count_values(srv, "net"));
  }

  static inline std::unique_ptr<ifx::test::ScratchDir> source_;
  ifx::test::ScratchDir scratch_{"ifx-net-faults"};
};

TEST_F(NetFaults, BackupResetMidStream) {
  FaultProxy proxy(server_->rpc_port(), on_type(kShardBackup, {FaultKind::reset, Direction::to_client, 3000}));
  const fs::path dir = scratch_ / "reset";
  const auto r = ifx::test::run_process(backup_args(proxy.address(), dir, 2));
  expect_backup_failed_twice(r, proxy, "reset the connection");
  EXPECT_LT(r.elapsed, 2 * 2s + 10s);
  expect_backup_unfinished_then_resumed(dir);
}

TEST_F(NetFaults, BackupStallLongerThanTheReadTimeout) {
  FaultProxy proxy(server_->rpc_port(), on_type(kShardBackup, {FaultKind::stall, Direction::to_client, 3000}));
  const fs::path dir = scratch_ / "stall";
  const auto r = ifx::test::run_process(backup_args(proxy.address(), dir, 1.5));
  expect_backup_failed_twice(r, proxy, "sent no byte for 1.5 s");
  EXPECT_GE(r.elapsed, 2 * 1500ms) << "each attempt waits out the read timeout";
  EXPECT_LT(r.elapsed, 2 * 1500ms + 10s);
  expect_backup_unfinished_then_resumed(dir);
}

TEST_F(NetFaults, BackupOverASlowDripCompletes) {
  // 512 bytes every 20 ms (25 KiB/s): each shard's tar takes longer than the 1 s timeout, but
  // no gap between bytes does, so nothing may time out.
  Fault drip{FaultKind::drip, Direction::to_client, 0, 512, 20ms};
  FaultProxy proxy(server_->rpc_port(), on_type(kShardBackup, drip));
  const fs::path dir = scratch_ / "drip";
  const auto r = ifx::test::run_process(backup_args(proxy.address(), dir, 1));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(proxy.faults(), 3) << "every shard dripped";
  EXPECT_GT(r.elapsed, 1s) << "the drip should outlast one timeout in total";
  EXPECT_LT(r.elapsed, 60s);
  EXPECT_TRUE(ifx::test::verifies(dir, 1));
}

TEST_F(NetFaults, RestoreUploadResetIsRolledBack) {
  FaultProxy proxy(server_->rpc_port(), on_type(kShardUpload, {FaultKind::reset, Direction::to_server, 4096}));
  const auto r = ifx::test::run_process(restore_args(*server_, proxy.address(), "net_reset", 2));
  EXPECT_HAS(r.err, proxy.address());
  EXPECT_HAS(r.err, "reset the connection");
  EXPECT_EQ(proxy.faults(), 5) << "the upload is tried 5 times";
  EXPECT_LT(r.elapsed, 7500ms + 10s);  // 0.5+1+2+4 s of backoff
  expect_restore_rolled_back_then_rerun(*server_, "net_reset", r);
}

TEST_F(NetFaults, RestoreUploadStallIsRolledBack) {
  // The upload stops after 4 KiB for 3 s (three read timeouts), then the connection dies. While
  // it hangs, influxd's upload handler holds the shard and DROP DATABASE waits for it: the
  // rollback must outlast that.
  Fault stall{FaultKind::stall, Direction::to_server, 4096};
  stall.stall_for = 3s;
  FaultProxy proxy(server_->rpc_port(), on_type(kShardUpload, stall));
  const auto r = ifx::test::run_process(restore_args(*server_, proxy.address(), "net_stall", 1));
  EXPECT_HAS(r.err, proxy.address());
  EXPECT_HAS(r.err, "sent no byte for 1 s");
  EXPECT_EQ(proxy.faults(), 5);
  EXPECT_LT(r.elapsed, 5 * 1s + 7500ms + 7500ms + 10s);  // attempts, upload backoff, rollback retries
  expect_restore_rolled_back_then_rerun(*server_, "net_stall", r);
}

TEST_F(NetFaults, RestoreOverASlowDripCompletes) {
  // 512 bytes every 25 ms: each shard's upload (26 KiB) outlasts the 1 s timeout, no gap does.
  Fault drip{FaultKind::drip, Direction::to_server, 0, 512, 25ms};
  FaultProxy proxy(server_->rpc_port(), on_type(kShardUpload, drip));
  const auto r = ifx::test::run_process(restore_args(*server_, proxy.address(), "net_drip", 1));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(proxy.faults(), 3);
  EXPECT_GT(r.elapsed, 1s);
  EXPECT_LT(r.elapsed, 60s);
  EXPECT_EQ(count_values(*server_, "net_drip"), count_values(*server_, "net"));
}

TEST_F(NetFaults, ServerKilledMidRestore) {
  auto srv = InfluxdServer::start();
  // SIGKILL the server as soon as the restore announces its first shard upload: the meta import
  // has created the database, the shard data is being sent.
  ifx::test::ChildProcess p(restore_args(*srv, srv->rpc_address(), "net_killed", 2));
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (p.err_so_far().find("uploading shard") == std::string::npos && !p.finished() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(2ms);
  ASSERT_FALSE(p.finished()) << p.err_so_far();
  ::kill(srv->pid(), SIGKILL);
  const auto r = p.wait(2min);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_LT(r.elapsed, 7500ms + 5 * 2s + 7500ms + 10s);  // upload attempts and backoff, rollback retries
  EXPECT_HAS(r.err, srv->rpc_address());
  // The rollback cannot reach a dead server: the message must say what to drop by hand.
  EXPECT_HAS(r.err, "drop these databases if they exist: \"net_killed\"");
  srv->restart();
  if (ifx::test::database_names(*srv).count("net_killed"))  // half-restored, as the message warned: do what it says
    srv->query("DROP DATABASE net_killed");
  const auto again = ifx::test::run_process(restore_args(*srv, srv->rpc_address(), "net_killed", 30));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(count_values(*srv, "net_killed"), count_values(*server_, "net"));
}

}  // namespace
