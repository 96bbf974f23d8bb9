// ifx-restore over backups our own tools wrote (on fixtures written by the real influxd backup and
// on backups written by ifx-backup and ifx-convert): each restored database equals the
// fixture's truth — counts per db/rp/measurement and the exact line protocol. The truth comes from
// the server that wrote the fixture, never from our own output.
//
// ifx-backup needs a live source: the fixture's database is first restored into the server under
// a source name (itself checked against the truth), then backed up from there with the binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "restore_truth.hpp"
#include "support/child_process.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/run.hpp"
#include "support/server_suite.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::test::InfluxdServer;
using ifx::test::ScratchDir;

using ifx::test::tool;

class RestoreOurs : public ifx::test::ServerSuite<RestoreOurs> {
 protected:
  static void SetUpTestSuite() {
    ServerSuite::SetUpTestSuite();
    // The live source for ifx-backup: fixture portable-db's database "plain" as "plain_src".
    const auto r = ifx::test::run_command({tool("ifx-restore"), "-portable", "-host", server_->rpc_address(), "--http",
                                           server_->http_url(), "-db", "plain", "-newdb", "plain_src",
                                           ifx::test::fixture("portable-db").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // Runs ifx-restore with `args` (after -host/--http) and expects exit 0.
  void restore(std::vector<std::string> args) {
    std::vector<std::string> argv{tool("ifx-restore"), "-host", server_->rpc_address(), "--http", server_->http_url(),
                                  "--progress",        "none"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = ifx::test::run_command(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out << "\n" << server_->log_tail();
  }
  void backup(std::vector<std::string> args) {
    std::vector<std::string> argv{tool("ifx-backup"), "-host", server_->rpc_address(), "--progress", "none"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = ifx::test::run_command(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  }
  void convert(std::vector<std::string> args) {
    std::vector<std::string> argv{tool("ifx-convert")};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = ifx::test::run_command(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  }

  ScratchDir scratch_{"ifx-restore-ours"};
};

TEST_F(RestoreOurs, TheLiveSourceMatchesTheTruth) {
  ifx::test::expect_matches_truth(*server_, ifx::test::load_truth("portable-db"), {"plain", "plain_src", {}, {}});
}

TEST_F(RestoreOurs, IfxBackupPortableGzipAndZstd) {
  for (const std::string compress : {"gzip", "zstd"}) {
    SCOPED_TRACE(compress);
    const fs::path dir = scratch_ / ("portable-" + compress);
    backup({"-portable", "-db", "plain_src", "--compress", compress, dir.string()});
    const std::string target = "plain_from_" + compress;
    restore({"-portable", "-db", "plain_src", "-newdb", target, dir.string()});
    ifx::test::expect_matches_truth(*server_, ifx::test::load_truth("portable-db"), {"plain", target, {}, {}});
  }
}

TEST_F(RestoreOurs, IfxBackupLegacyOnline) {
  const fs::path dir = scratch_ / "legacy";
  backup({"-db", "plain_src", dir.string()});
  restore({"-online", "-db", "plain_src", "-newdb", "plain_from_legacy", dir.string()});
  ifx::test::expect_matches_truth(*server_, ifx::test::load_truth("portable-db"),
                                  {"plain", "plain_from_legacy", {}, {}});
}

// Our legacy backups restore with influxd's own offline restore too. The source's shards
// were the suite's first (ids 1 and 2), ids influxd's zero-trimming keeps (docs/FORMATS.md §4.7).
TEST_F(RestoreOurs, IfxBackupLegacyRestoredByInfluxdOffline) {
  const fs::path dir = scratch_ / "legacy-offline";
  backup({"-db", "plain_src", dir.string()});
  auto fresh = InfluxdServer::start();
  fresh->stop();
  const auto r = ifx::test::run_command({"/usr/bin/influxd", "restore", "-metadir", fresh->meta_dir().string(),
                                         "-datadir", fresh->data_dir().string(), "-db", "plain_src", dir.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  fresh->restart();
  ifx::test::expect_matches_truth(*fresh, ifx::test::load_truth("portable-db"), {"plain", "plain_src", {}, {}});
}

TEST_F(RestoreOurs, IfxConvertLegacyChainToPortable) {
  const fs::path dir = scratch_ / "converted-portable";
  convert({ifx::test::fixture("legacy-since-chain").string(), dir.string()});
  restore({"-portable", "-db", "inc", "-newdb", "inc_converted", dir.string()});
  ifx::test::expect_matches_truth(*server_, ifx::test::load_truth("legacy-since-chain"),
                                  {"inc", "inc_converted", {}, {}});
}

TEST_F(RestoreOurs, IfxConvertPortableToLegacy) {
  const fs::path dir = scratch_ / "converted-legacy";
  convert({"--to", "legacy", "-db", "plain", ifx::test::fixture("portable-db").string(), dir.string()});
  restore({"-online", "-db", "plain", "-newdb", "plain_converted_legacy", dir.string()});
  ifx::test::expect_matches_truth(*server_, ifx::test::load_truth("portable-db"),
                                  {"plain", "plain_converted_legacy", {}, {}});
}

}  // namespace
