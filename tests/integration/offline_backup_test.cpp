// ifx-backup --offline over the directories of real influxd 1.6.7 servers: killed with points
// only in the WAL (deletes among them), stopped with either index type, and damaged. What the
// backup holds is proven by the real `influxd restore -portable` and by querying, by the same
// directories started again, and by ifx-diff against an online backup of the same server.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <filesystem>
#include <chrono>
#include <fstream>
#include <functional>
#include <thread>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx/format/tsm/tsm_file_names.hpp"
#include "ifx/format/tsm/tsm_reader.hpp"
#include "ifx/format/wal/wal_segment.hpp"
#include "ifx/net/snapshot/snapshot_client.hpp"
#include "support/child_process.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/run.hpp"
#include "support/server_data.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::test::InfluxdServer;
using ifx::test::kJan2022;
using ifx::test::kSecond;
using ifx::test::Ran;
using ifx::test::run_command;

constexpr std::int64_t kWeek = 7 * 24 * 3600 * kSecond;

using ifx::test::tool;

ifx::test::InfluxdOptions wal_keeping(const std::string& index = "inmem") {
  ifx::test::InfluxdOptions o;
  o.index_version = index;
  // No cache snapshot unless asked: what is written stays in the WAL until a backup flushes it.
  o.data_settings["cache-snapshot-write-cold-duration"] = "\"1h\"";
  o.data_settings["cache-snapshot-memory-size"] = "\"1g\"";
  return o;
}

using ifx::test::database_answer;
using ifx::test::database_answer_once;

// influxd writes a shard's cache to a TSM file before it sends the shard: this moves what was
// written so far from the WAL into TSM files.
void flush_shard(InfluxdServer& srv, std::uint64_t shard) {
  auto client = ifx::net::SnapshotClient::create(srv.rpc_address());
  ASSERT_TRUE(client.has_value()) << client.error().describe();
  auto n = client->backup_shard(shard, ifx::net::WireTime::zero(),
                                [](std::span<const std::uint8_t>) -> ifx::Result<void> { return {}; });
  ASSERT_TRUE(n.has_value()) << n.error().describe();
}

std::vector<std::string> offline_args(const InfluxdServer& srv, const fs::path& dir) {
  return {tool("ifx-backup"),
          "-portable",
          "--offline",
          "-metadir",
          srv.meta_dir().string(),
          "-datadir",
          srv.data_dir().string(),
          "-waldir",
          srv.wal_dir().string(),
          dir.string()};
}

Ran run_offline(const InfluxdServer& srv, const fs::path& dir, std::vector<std::string> extra = {}) {
  auto argv = offline_args(srv, dir);
  argv.insert(argv.end() - 1, extra.begin(), extra.end());
  return run_command(argv);
}

std::vector<fs::path> files_with_suffix(const fs::path& dir, const std::string& suffix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().string().ends_with(suffix)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

void expect_influxd_restores(const fs::path& backup, const std::string& db, const std::string& expected) {
  auto target = InfluxdServer::start();
  const Ran r = run_command(
      {ifx::test::influxd_binary(), "restore", "-portable", "-host", target->rpc_address(), backup.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string got = database_answer_once(*target, db, expected);
  EXPECT_EQ(got, expected);
}

TEST(OfflineBackup, KilledServersTsmAndWalComeBackExactlyThroughInfluxdRestore) {
  auto srv = InfluxdServer::start(wal_keeping());
  srv->create_database("o");
  const std::int64_t t0 = kJan2022;
  std::vector<std::string> lines;
  for (const char* host : {"a", "b", "c"})
    for (int k = 0; k < 40; ++k)
      lines.push_back(fmt::format("m,host={} f={},i={}i,s=\"v{} {}\",b={} {}", host, 0.25 * k - 3, 1000 - k, k, host,
                                  k % 2 ? "true" : "false", t0 + k * kSecond));
  srv->write("o", lines);
  const auto first = ifx::test::shard_ids(*srv, "o");
  ASSERT_EQ(first.size(), 1u);
  flush_shard(*srv, first.front());  // the first 120 lines now in a TSM file

  // Into the WAL only: overwrites of flushed points, new points, a second shard group that has
  // no TSM file at all, deletes over TSM and cache, and writes after the delete.
  srv->write(
      "o",
      {"m,host=a f=99.5 " + std::to_string(t0 + 3 * kSecond), "m,host=a f=7 " + std::to_string(t0 + 100 * kSecond),
       "m,host=b i=-5i " + std::to_string(t0 + 101 * kSecond), "n,host=z v=1 " + std::to_string(t0 + kWeek + kSecond),
       "n,host=z v=2 " + std::to_string(t0 + kWeek + 2 * kSecond)});
  srv->query(fmt::format("DELETE FROM \"m\" WHERE time >= {} AND time <= {}", t0 + 10 * kSecond, t0 + 20 * kSecond),
             "o");
  srv->query("DROP SERIES FROM \"m\" WHERE \"host\" = 'c'", "o");
  srv->write("o", "m,host=b f=-1.5 " + std::to_string(t0 + 15 * kSecond));
  ASSERT_EQ(ifx::test::shard_ids(*srv, "o").size(), 2u);
  const std::string expected = database_answer(*srv, "o");
  ASSERT_NE(expected.find("99.5"), std::string::npos);

  ifx::test::ScratchDir scratch("ifx-offline");
  {  // Refused while the server holds its directories, naming it; nothing written.
    const Ran r = run_offline(*srv, scratch / "refused");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("influxd"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(scratch / "refused"));
  }
  srv->kill();
  ASSERT_FALSE(files_with_suffix(srv->wal_dir(), ".wal").empty());

  const fs::path backup = scratch / "backup";
  const Ran r = run_offline(*srv, backup, {"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto summary = nlohmann::json::parse(r.out);
  std::uint64_t wal_points = 0, wal_only = 0;
  for (const auto& s : summary["shards"]) {
    wal_points += s["wal"]["points"].get<std::uint64_t>();
    if (s["wal"]["tsm_file"].is_string() && s["wal"]["tsm_file"] == "000000001-000000001.tsm") ++wal_only;
  }
  EXPECT_GE(wal_points, 5u) << r.out;
  EXPECT_EQ(wal_only, 1u) << "the second shard exists only as WAL: " << r.out;
  EXPECT_EQ(summary["offline"]["waldir"], srv->wal_dir().string());
  // The manifest says where it came from (listings and metrics name it so).
  const auto manifests = files_with_suffix(backup, ".manifest");
  ASSERT_EQ(manifests.size(), 1u);
  const auto manifest = nlohmann::json::parse(ifx::test::read_file(manifests[0]));
  EXPECT_EQ(manifest["host"], "offline:" + srv->data_dir().string());
  EXPECT_EQ(manifest["offline"]["datadir"], srv->data_dir().string());

  const Ran verified = run_command({tool("ifx-verify"), backup.string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  expect_influxd_restores(backup, "o", expected);

  // The same directories started again by influxd answer the same.
  srv->restart();
  EXPECT_EQ(database_answer(*srv, "o"), expected);
}

class OfflineEqualsOnline : public ::testing::TestWithParam<std::string> {};

TEST_P(OfflineEqualsOnline, StoppedServerDatabaseByDatabase) {
  auto srv = InfluxdServer::start(wal_keeping(GetParam()));
  for (const char* db : {"a", "b"}) {
    srv->create_database(db);
    std::vector<std::string> lines;
    for (int k = 0; k < 300; ++k)
      lines.push_back(fmt::format("cpu,host=h{} usage={},n={}i {}", k % 7, k * 0.5, k, kJan2022 + k * 3600 * kSecond));
    srv->write(db, lines);
  }
  // Part of it in TSM files, the rest in the WAL.
  for (auto id : ifx::test::shard_ids(*srv, "a")) flush_shard(*srv, id);
  srv->write("a", "cpu,host=late usage=1 " + std::to_string(kJan2022 + 5 * kSecond));
  srv->write("b", "cpu,host=h1 usage=-1 " + std::to_string(kJan2022));  // an overwrite
  srv->stop();

  ifx::test::ScratchDir scratch("ifx-offline");
  const Ran off = run_offline(*srv, scratch / "offline");
  ASSERT_EQ(off.exit_code, 0) << off.err << off.out;
  // The index files are left out, as influxd's own backup leaves them, and said.
  if (GetParam() == "tsi1") EXPECT_NE(off.out.find("left out of every shard"), std::string::npos) << off.out;
  for (const auto& archive : files_with_suffix(scratch / "offline", ".tar.gz")) {
    const Ran listing = run_command({"tar", "-tzf", archive.string()});
    EXPECT_EQ(listing.out.find("/index"), std::string::npos) << listing.out;
    EXPECT_EQ(listing.out.find("fields.idx"), std::string::npos) << listing.out;
  }
  srv->restart();
  const Ran on = run_command(
      {tool("ifx-backup"), "-portable", "-host", srv->rpc_address(), (scratch / "online").string()});
  ASSERT_EQ(on.exit_code, 0) << on.err << on.out;

  const Ran diff = run_command(
      {tool("ifx-diff"), "--deep", "--json", (scratch / "online").string(), (scratch / "offline").string()});
  ASSERT_NE(diff.exit_code, 3) << diff.out << diff.err;
  const auto report = nlohmann::json::parse(diff.out);
  std::size_t shards = 0;
  for (const auto& s : report["shards"]) {
    ++shards;
    EXPECT_TRUE(s["status"] == "unchanged" || s["status"] == "changed") << s.dump();
    for (const auto& m : s["measurements"]) EXPECT_EQ(m["status"], "unchanged") << s.dump();
  }
  EXPECT_GE(shards, 4u) << diff.out;
  // Databases and retention policies count as changed when a shard's files do; their settings
  // must not differ.
  for (const auto& d : report["databases"]) {
    EXPECT_NE(d["status"], "added") << d.dump();
    EXPECT_NE(d["status"], "removed") << d.dump();
    EXPECT_TRUE(d["differences"].empty()) << d.dump();
    for (const auto& rp : d["retention_policies"]) EXPECT_TRUE(rp["differences"].empty()) << d.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(IndexTypes, OfflineEqualsOnline, ::testing::Values("inmem", "tsi1"));

// A stopped server with one key of 500 float points in a TSM file (one block) and 30 more in
// its WAL, damaged in one way per test.
class OfflineDamage : public ::testing::Test {
 protected:
  void SetUp() override {
    srv_ = InfluxdServer::start(wal_keeping());
    srv_->create_database("d");
    std::vector<std::string> lines;
    for (int k = 0; k < 500; ++k) lines.push_back(fmt::format("m v={} {}", k * 1.25, kJan2022 + k * kSecond));
    srv_->write("d", lines);
    flush_shard(*srv_, ifx::test::shard_ids(*srv_, "d").front());
    for (int k = 0; k < 3; ++k) {  // three WAL entries of 10 points
      lines.clear();
      for (int j = 0; j < 10; ++j)
        lines.push_back(fmt::format("m v=-{} {}", j, kJan2022 + (600 + 10 * k + j) * kSecond));
      srv_->write("d", lines);
    }
    srv_->stop();
    tsm_ = files_with_suffix(srv_->data_dir() / "d", ".tsm");
    wal_ = files_with_suffix(srv_->wal_dir() / "d", ".wal");
    ASSERT_EQ(tsm_.size(), 1u);
    ASSERT_EQ(wal_.size(), 1u);
  }
  static void flip(const fs::path& p, std::uint64_t offset) {
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(c ^ 0x5a));
  }
  nlohmann::json shard_json(const Ran& r) {
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["shards"].size(), 1u);
    return j["shards"][0];
  }
  std::unique_ptr<InfluxdServer> srv_;
  std::vector<fs::path> tsm_, wal_;
  ifx::test::ScratchDir scratch_{"ifx-offline"};
};

TEST_F(OfflineDamage, FlippedByteInATsmBlockIsNamedAndSalvagedWithItsPointCount) {
  std::uint64_t index = 0;
  {  // closed again: an open file below the data directory is a server holding it
    auto reader = ifx::tsm::TsmReader::open(tsm_[0]);
    ASSERT_TRUE(reader.has_value());
    index = reader->index_offset();
  }
  flip(tsm_[0], index - 3);  // in the block's float values; its timestamps still read

  const Ran strict = run_offline(*srv_, scratch_ / "strict");
  EXPECT_EQ(strict.exit_code, 1) << strict.err;
  EXPECT_NE(strict.err.find(tsm_[0].string()), std::string::npos) << strict.err;
  EXPECT_NE(strict.err.find("offset 5"), std::string::npos) << strict.err;
  EXPECT_NE(strict.err.find("--skip-errors"), std::string::npos) << strict.err;

  const Ran salvaged = run_offline(*srv_, scratch_ / "salvaged", {"--skip-errors", "--json"});
  ASSERT_EQ(salvaged.exit_code, 3) << salvaged.err << salvaged.out;
  const auto shard = shard_json(salvaged);
  ASSERT_EQ(shard["losses"].size(), 1u) << shard.dump();
  EXPECT_EQ(shard["losses"][0]["code"], "tsm-block-crc");
  EXPECT_EQ(shard["losses"][0]["file"], tsm_[0].string());
  EXPECT_EQ(shard["losses"][0]["offset"], 5);
  EXPECT_EQ(shard["points_lost"], 500);
  EXPECT_EQ(shard["wal"]["points"], 30);
  // What is left restores: the WAL's 30 points, none of the damaged block's.
  auto target = InfluxdServer::start();
  const Ran r = run_command({ifx::test::influxd_binary(), "restore", "-portable", "-host", target->rpc_address(),
                             (scratch_ / "salvaged").string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string expected = R"([{"columns":["time","v"],"name":"m","values":[)";
  for (int k = 0; k < 3; ++k)
    for (int j = 0; j < 10; ++j)
      expected += fmt::format("{}[{},{}]", k + j ? "," : "", kJan2022 + (600 + 10 * k + j) * kSecond,
                              j ? "-" + std::to_string(j) : "0");
  expected += "]}]";
  EXPECT_EQ(database_answer_once(*target, "d", expected), expected);
}

TEST_F(OfflineDamage, WalSegmentCutShortKeepsItsCompleteEntriesWithoutError) {
  const auto size = fs::file_size(wal_[0]);
  fs::resize_file(wal_[0], size - 7);
  const Ran r = run_offline(*srv_, scratch_ / "cut", {"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto shard = shard_json(r);
  EXPECT_EQ(shard["wal"]["points"], 20);  // the last entry's 10 points were never whole
  EXPECT_GT(shard["wal"]["tail_bytes_dropped"].get<std::uint64_t>(), 0u);
  EXPECT_TRUE(shard["losses"].empty());
  EXPECT_NE(r.out.find("held no complete entry"), std::string::npos) << r.out;
}

TEST_F(OfflineDamage, GarbageWalEntryIsNamedAndTheRestKeptWithSkipErrors) {
  // The second entry's payload: its type byte and length stay whole, its Snappy data is garbage.
  std::uint64_t second = 0;
  {
    auto reader = ifx::wal::WalSegmentReader::open(wal_[0]);
    ASSERT_TRUE(reader.has_value());
    ifx::wal::WalEntry entry;
    ASSERT_TRUE(reader->next(entry).value());
    second = reader->position();
  }
  for (std::uint64_t i = 5; i < 15; ++i) flip(wal_[0], second + i);

  const Ran strict = run_offline(*srv_, scratch_ / "strict");
  EXPECT_EQ(strict.exit_code, 1) << strict.err;
  EXPECT_NE(strict.err.find(wal_[0].string()), std::string::npos) << strict.err;
  EXPECT_NE(strict.err.find(fmt::format("offset {}", second)), std::string::npos) << strict.err;

  const Ran salvaged = run_offline(*srv_, scratch_ / "salvaged", {"--skip-errors", "--json"});
  ASSERT_EQ(salvaged.exit_code, 3) << salvaged.err << salvaged.out;
  const auto shard = shard_json(salvaged);
  ASSERT_EQ(shard["losses"].size(), 1u) << shard.dump();
  EXPECT_EQ(shard["losses"][0]["code"], "wal-invalid");
  EXPECT_EQ(shard["losses"][0]["offset"], second);
  EXPECT_EQ(shard["wal"]["points"], 20);  // the first and third entries
  EXPECT_TRUE(shard["points_lost"].is_null()) << "a garbage entry's point count cannot be known";
}

}  // namespace

namespace {

TEST_F(OfflineDamage, UndamagedStartEndKeepExactlyThePointsInRangeWalIncluded) {
  const std::string start = "2022-01-01T00:01:40Z";  // second 100: 400 of the TSM file's 500 points
  const std::string end = "2022-01-01T00:10:15Z";    // second 615: 16 of the WAL's 30 (600..615)
  const Ran r = run_offline(*srv_, scratch_ / "cut", {"-start", start, "-end", end, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(shard_json(r)["points"], 400 + 16);
  auto target = InfluxdServer::start();
  const Ran restored = run_command({ifx::test::influxd_binary(), "restore", "-portable", "-host", target->rpc_address(),
                                    (scratch_ / "cut").string()});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  // "[", "columns":[ and "values":[, then one "[" per point
  auto points_of = [](const std::string& dumped) { return std::count(dumped.begin(), dumped.end(), '[') - 3; };
  const std::string got = database_answer_once(*target, "d", [&](const std::string& d) { return points_of(d) == 416; });
  EXPECT_EQ(points_of(got), 416) << got;
  EXPECT_NE(got.find(fmt::format("[{},", kJan2022 + 100 * kSecond)), std::string::npos);
  EXPECT_EQ(got.find(fmt::format("[{},", kJan2022 + 99 * kSecond)), std::string::npos);
  EXPECT_NE(got.find(fmt::format("[{},", kJan2022 + 615 * kSecond)), std::string::npos);
  EXPECT_EQ(got.find(fmt::format("[{},", kJan2022 + 616 * kSecond)), std::string::npos);
}

}  // namespace
