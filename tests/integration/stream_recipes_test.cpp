// The recipes of docs/streams.md, run as written against a real influxd 1.6.7 and the real
// restic, rclone (its local back end) and age: the backup stream goes in through the pipe, comes
// back out through the pipe into `ifx-verify -` (VALID) and into `tar -x` + `influxd restore
// -portable` on a fresh server, which then answers every point the source answers. Then the
// nightly case: two `--compress none` streams into restic with only one shard changed between
// them, where restic must add about that shard's archive and no more.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/child_process.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/pipeline.hpp"
#include "support/run.hpp"
#include "support/server_data.hpp"

#include "stock_restore.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::test::InfluxdServer;
using ifx::test::Ran;
using ifx::test::run_command;
using ifx::test::shell_quote;
using ifx::test::tool;
constexpr auto shell = ifx::test::run_pipeline;

bool installed(const std::string& program) { return shell("command -v " + shell_quote(program)).exit_code == 0; }

std::string q(const fs::path& p) { return shell_quote(p.string()); }

// Where a recipe keeps the stream: `put` reads it on stdin, `get` writes it back on stdout.
struct Store {
  std::string put, get;
};

class StreamRecipes : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(scratch_ / "tmp");
    srv_ = InfluxdServer::start();
    for (const char* db : {"a", "b"}) {
      srv_->create_database(db);
      std::vector<std::string> lines;
      for (int k = 0; k < 300; ++k)
        lines.push_back(fmt::format("cpu,host=h{} v={},n={}i,s=\"t{}\" {}", k % 3, k * 0.25, k, k % 7,
                                    ifx::test::kJan2022 + k * 6 * ifx::test::kHour));
      srv_->write(db, lines);
    }
  }

  // To stdout unless `target` names a directory.
  std::string backup_command(const std::string& extra = "", const std::string& target = "-") const {
    return fmt::format("{} -portable -host {} --scratch-dir {} --progress none {} {}", shell_quote(tool("ifx-backup")),
                       shell_quote(srv_->rpc_address()), q(scratch_ / "tmp"), extra, target);
  }

  // The whole recipe: back up through `store`, check what comes back, restore it with the stock
  // influxd into a fresh server and compare every point of every database.
  void round_trip(const Store& store) {
    const Ran put = shell(backup_command() + " | " + store.put);
    ASSERT_EQ(put.exit_code, 0) << put.out << put.err;

    const Ran verified = shell(store.get + " | " + shell_quote(tool("ifx-verify")) + " -");
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    EXPECT_NE(verified.out.find("VALID"), std::string::npos) << verified.out;

    const fs::path dir = scratch_ / "unpacked";
    fs::create_directories(dir);
    const Ran unpacked = shell(store.get + " | tar -x -C " + q(dir));
    ASSERT_EQ(unpacked.exit_code, 0) << unpacked.err;
    ifx::test::expect_stock_restore_matches(*srv_, dir, {"a", "b"});
  }

  std::unique_ptr<InfluxdServer> srv_;
  ifx::test::ScratchDir scratch_{"ifx-recipes"};
};

// restic's own flags for a repository under the scratch directory: the password from the
// environment (as a cron job sets it), no cache in the user's home.
std::string restic(const fs::path& repo) { return "RESTIC_PASSWORD=recipe-test restic --no-cache -r " + q(repo); }

TEST_F(StreamRecipes, Restic) {
  if (!installed("restic")) GTEST_SKIP() << "restic is not installed (scripts/deps installs it)";
  const fs::path repo = scratch_ / "restic-repo";
  const Ran init = shell(restic(repo) + " init");
  ASSERT_EQ(init.exit_code, 0) << init.err;
  round_trip({restic(repo) + " backup --stdin --stdin-filename influx.tar", restic(repo) + " dump latest influx.tar"});
}

TEST_F(StreamRecipes, Rclone) {
  if (!installed("rclone")) GTEST_SKIP() << "rclone is not installed (scripts/deps installs it)";
  // A remote of the local back end in a config file of its own: the recipe's S3 remote differs
  // only in its [section].
  const fs::path config = scratch_ / "rclone.conf";
  ifx::test::write_file(config, "[store]\ntype = local\n");
  const fs::path remote_dir = scratch_ / "bucket" / "influx";
  fs::create_directories(remote_dir);
  const std::string rclone = "rclone --config " + q(config) + " ";
  const std::string object = shell_quote("store:" + (remote_dir / "influx.tar").string());
  round_trip({rclone + "rcat " + object, rclone + "cat " + object});
}

TEST_F(StreamRecipes, Age) {
  if (!installed("age") || !installed("age-keygen")) GTEST_SKIP() << "age is not installed (scripts/deps installs it)";
  const fs::path key = scratch_ / "key.txt";
  ASSERT_EQ(shell("age-keygen -o " + q(key) + " 2>/dev/null").exit_code, 0);
  const Ran recipient = shell("age-keygen -y " + q(key));
  ASSERT_EQ(recipient.exit_code, 0) << recipient.err;
  const std::string r = recipient.out.substr(0, recipient.out.find('\n'));
  ASSERT_TRUE(r.starts_with("age1")) << recipient.out;
  const fs::path sealed = scratch_ / "influx.tar.age";
  round_trip({"age -e -r " + shell_quote(r) + " > " + q(sealed), "age -d -i " + q(key) + " " + q(sealed)});
  // Sealed: nothing of the backup readable without the key.
  EXPECT_EQ(ifx::test::read_file(sealed).find("manifest"), std::string::npos);
}

// ---- night to night -------------------------------------------------------------------------

// `--compress none`: plain `<base>.sN.tar` archives, which every ifxkit reader takes and the stock
// influxd restore refuses (it opens each archive as gzip); ifx-convert makes them gzip again.
TEST_F(StreamRecipes, UncompressedArchivesAreReadByIfxkitAndConvertedForInfluxd) {
  const fs::path dir = scratch_ / "plain";
  const Ran backed_up = shell(backup_command("--compress none", q(dir)));
  ASSERT_EQ(backed_up.exit_code, 0) << backed_up.err;
  const auto names = ifx::test::names_in(dir);
  ASSERT_TRUE(ifx::test::any_ends_with(names, ".tar")) << ::testing::PrintToString(names);
  EXPECT_FALSE(ifx::test::any_ends_with(names, ".tar.gz")) << ::testing::PrintToString(names);
  const Ran verified = run_command({tool("ifx-verify"), dir.string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  const Ran streamed = shell(backup_command("--compress none") + " | " + shell_quote(tool("ifx-verify")) + " -");
  EXPECT_EQ(streamed.exit_code, 0) << streamed.out << streamed.err;

  auto stock = InfluxdServer::start();
  const Ran refused = run_command(
      {ifx::test::influxd_binary(), "restore", "-portable", "-host", stock->rpc_address(), dir.string()});
  EXPECT_NE(refused.exit_code, 0) << "influxd restored a plain-tar archive: " << refused.out << refused.err;
  std::cout << "influxd restore -portable over .tar archives: exit " << refused.exit_code << ": " << refused.err
            << refused.out << "\n";

  auto ours = InfluxdServer::start();
  const Ran restored = run_command({tool("ifx-restore"), "-portable", "-host", ours->rpc_address(), dir.string()});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  for (const char* db : {"a", "b"}) {
    const std::string expected = ifx::test::database_answer(*srv_, db);
    EXPECT_EQ(ifx::test::database_answer_once(*ours, db, expected), expected) << "ifx-restore, " << db;
  }
  const fs::path gzip = scratch_ / "gzip";
  const Ran converted = run_command({tool("ifx-convert"), dir.string(), gzip.string()});
  ASSERT_EQ(converted.exit_code, 0) << converted.out << converted.err;
  ifx::test::expect_stock_restore_matches(*srv_, gzip, {"a", "b"});
}

// `n` points of one random 1000-character string each, one second apart from `start`: TSM keeps
// them at about their size (snappy finds nothing to shorten), so a shard's archive is about
// n KB, and restic's chunks (about 1 MiB) are small beside it.
std::vector<std::string> bulky_points(int n, std::int64_t start, std::mt19937& rng) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<int> pick(0, sizeof(kAlphabet) - 2);
  std::vector<std::string> lines;
  for (int i = 0; i < n; ++i) {
    std::string value(1000, ' ');
    for (char& c : value) c = kAlphabet[pick(rng)];
    lines.push_back(fmt::format("blob,n=x payload=\"{}\" {}", value, start + i * ifx::test::kSecond));
  }
  return lines;
}

void write_bulky(InfluxdServer& srv, int n, std::int64_t start, std::mt19937& rng) {
  for (int done = 0; done < n; done += 1000)
    srv.write("big", bulky_points(std::min(1000, n - done), start + done * ifx::test::kSecond, rng));
}

// Shard ID → bytes of its archive, in a backup directory.
std::map<std::uint64_t, std::string> archives_in(const fs::path& dir) {
  std::map<std::uint64_t, std::string> out;
  for (const auto& name : ifx::test::names_in(dir)) {
    const auto s = name.find(".s");
    if (s == std::string::npos || !name.ends_with(".tar")) continue;
    out[std::stoull(name.substr(s + 2, name.size() - 4 - s - 2))] = ifx::test::read_file(dir / name);
  }
  return out;
}

std::uint64_t data_added(const std::string& restic_json) {
  std::istringstream in(restic_json);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("message_type", "") == "summary") return j.at("data_added").get<std::uint64_t>();
  }
  ADD_FAILURE() << "no summary in restic's output: " << restic_json;
  return 0;
}

TEST_F(StreamRecipes, ResticStoresAnUnchangedShardOnce) {
  if (!installed("restic")) GTEST_SKIP() << "restic is not installed (scripts/deps installs it)";
  const fs::path repo = scratch_ / "restic-repo";
  ASSERT_EQ(shell(restic(repo) + " init").exit_code, 0);

  // Two shard groups a week apart: a cold one of ~16 MB that no night touches, and the current
  // one, a few points on the first night and ~32 MB more by the second. Every file of a stream
  // costs restic about one chunk a night (~1 MiB, see below): beside 32 MB that is well inside
  // the 20%.
  std::mt19937 rng(7);
  srv_->create_database("big");
  constexpr std::int64_t kCold = ifx::test::kJan2022;
  constexpr std::int64_t kCurrent = ifx::test::kJan2022 + 14 * ifx::test::kDay;
  write_bulky(*srv_, 16'000, kCold, rng);
  write_bulky(*srv_, 10, kCurrent, rng);

  auto night = [&](const std::string& name) {
    const fs::path copy = scratch_ / name;
    fs::create_directories(copy);
    const fs::path saved = scratch_ / (name + ".tar");
    // -j 1: the archives come in shard order every night. In completion order (-j 2) a night
    // with nothing changed costs restic 3.6-7.1 MB here instead of 2.3-3.1 MB: the chunks
    // around the junctions between archives are new whenever the order differs.
    const Ran r = shell(backup_command("-db big --compress none -j 1") + " | tee " + q(saved) + " | " + restic(repo) +
                        " backup --json --stdin --stdin-filename influx.tar");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(run_command({"tar", "-xf", saved.string(), "-C", copy.string()}).exit_code, 0);
    return std::pair{data_added(r.out), archives_in(copy)};
  };
  const auto [first_added, first] = night("night1");
  write_bulky(*srv_, 32'000, kCurrent + 100 * ifx::test::kSecond, rng);
  const auto [second_added, second] = night("night2");

  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 2u);
  std::uint64_t changed_shard = 0, changed_size = 0, stream_shards = 0;
  for (const auto& [id, bytes] : second) {
    stream_shards += bytes.size();
    if (first.at(id) == bytes) continue;
    EXPECT_EQ(changed_shard, 0u) << "shards " << changed_shard << " and " << id << " both changed";
    changed_shard = id;
    changed_size = bytes.size();
  }
  ASSERT_NE(changed_shard, 0u) << "the current shard's archive did not change";
  const double ratio = static_cast<double>(second_added) / static_cast<double>(changed_size);
  std::cout << fmt::format(
      "restic: night 1 added {} bytes; night 2 added {} bytes for shard {} whose archive is {} bytes "
      "(ratio {:.3f}; the shard archives of night 2 hold {} bytes)\n",
      first_added, second_added, changed_shard, changed_size, ratio, stream_shards);
  EXPECT_LE(ratio, 1.2) << "restic stored more than the changed shard";
  std::uint64_t first_shards = 0;
  for (const auto& [id, bytes] : first) first_shards += bytes.size();
  EXPECT_GE(first_added, first_shards) << "night 1 stores everything once";

  // A night with nothing changed: what every night costs whatever the data. Each entry's name
  // carries the backup's base (the UTC second it started) and the manifest is new, so restic
  // stores again the chunk around each entry's header and the last one: about a chunk per file
  // of the stream, a small part of it.
  const auto [third_added, third] = night("night3");
  EXPECT_EQ(third, second) << "the server's tars of unchanged shards are the same bytes";
  std::cout << fmt::format("restic: a night with nothing changed added {} bytes\n", third_added);
  EXPECT_LE(third_added, stream_shards / 5);
}

}  // namespace
