// ifx-convert against a real influxd 1.6.7: every legacy fixture converted to portable and
// restored with the stock `influxd restore -portable` into a fresh server must give back, per
// database / RP / measurement, the series, points, values and time range the live server had
// (fixtures/<name>.truth.json, recorded from InfluxQL, never from our own output). Portable
// fixtures go the other way through `influxd restore -online` and the offline restore; zstd
// archives (ours) come back to gzip. Then damage: a flipped byte is refused with the ifx-verify
// defect (file, entry, offset), --skip-errors leaves that shard out (exit 3), a non-empty
// destination is refused, and the binary's Go-style flags and exit codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <chrono>
#include <tuple>

#include <nlohmann/json.hpp>

#include "ifx-convert/convert.hpp"
#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/backup/manifest.hpp"
#include "ifx/format/archive/shard_archive.hpp"
#include "support/archive_builder.hpp"
#include "support/backup_builder.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/run.hpp"
#include "tool_runs.hpp"

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
namespace cv = ifx::convert;
using namespace ifx::test;

// What a command printed, stdout then stderr.
std::string output(const Ran& r) { return r.out + r.err; }

using ifx::test::influxd_binary;

std::string tool_binary() { return (ifx::test::build_dir() / "tools" / "ifx-convert").string(); }

cv::Report convert(const fs::path& src, const fs::path& dest, cv::TargetFormat to = cv::TargetFormat::portable,
                   ifx::ArchiveCompression compression = ifx::ArchiveCompression::gzip) {
  auto r = cv::run({.source_dir = src, .dest_dir = dest, .to = to, .compression = compression});
  EXPECT_TRUE(r) << (r ? "" : r.error().describe());
  if (!r) throw std::runtime_error("conversion failed");
  EXPECT_EQ(r->exit_code(), 0) << cv::to_text(*r);
  return *r;
}

// Our own verifier over what we wrote: every file, size, CRC and block must be right.
void expect_verifies(const fs::path& dir) { EXPECT_TRUE(ifx::test::verifies(dir, 1)); }

// ---- what the server holds, against the truth ----------------------------------------------

struct Counts {
  std::uint64_t series = 0, points = 0, values = 0;
  std::int64_t min_time = INT64_MAX, max_time = INT64_MIN;
  bool operator==(const Counts&) const = default;
};
using Scope = std::tuple<std::string, std::string, std::string>;  // db, rp, measurement

std::string describe(const Counts& c) {
  return "series=" + std::to_string(c.series) + " points=" + std::to_string(c.points) +
         " values=" + std::to_string(c.values) + " time=[" + std::to_string(c.min_time) + ", " +
         std::to_string(c.max_time) + "]";
}

// Every point of one measurement, one row per series and timestamp (GROUP BY * puts each series
// in its own result; the columns are then time and the fields).
Counts counts_on_server(InfluxdServer& srv, const std::string& db, const std::string& rp, const std::string& m) {
  using ifx::test::quote_ident;
  Counts c;
  json series = srv.series(
      "SELECT * FROM " + quote_ident(db) + "." + quote_ident(rp) + "." + quote_ident(m) + " GROUP BY *", db);
  for (const auto& s : series) {
    if (s["values"].empty()) continue;
    ++c.series;
    for (const auto& row : s["values"]) {
      ++c.points;
      std::int64_t t = row[0].get<std::int64_t>();
      c.min_time = std::min(c.min_time, t);
      c.max_time = std::max(c.max_time, t);
      for (std::size_t i = 1; i < row.size(); ++i) c.values += !row[i].is_null();
    }
  }
  return c;
}

// The server's data for every database and RP of the truth's meta store (the whole server), so
// points that should not be there are found as well as points that are missing.
std::map<Scope, Counts> data_on_server(InfluxdServer& srv, const json& truth) {
  std::map<Scope, Counts> out;
  for (const auto& db : truth["databases"]) {
    const std::string name = db["name"];
    json ms = srv.series("SHOW MEASUREMENTS ON " + ifx::test::quote_ident(name), name);
    for (const auto& s : ms)
      for (const auto& row : s["values"])
        for (const auto& rp : db["retention_policies"]) {
          Counts c = counts_on_server(srv, name, rp["name"], row[0]);
          if (c.points) out[{name, rp["name"], row[0]}] = c;
        }
  }
  return out;
}

// influxd closes and reopens a restored shard after the upload has ended (docs/FORMATS.md §4.5 step 5):
// queries meanwhile fail with "shard is disabled". Polled, bounded.
// What the server answers once the restored data is there: influxd's restore returns before the
// server has opened the shards it wrote, so the counts are polled until they hold `want` (or 20 s
// passed; then the last answer is returned and the comparison names what differs).
std::map<Scope, Counts> data_after_restore(InfluxdServer& srv, const json& truth, const std::map<Scope, Counts>& want) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (true) {
    try {
      auto data = data_on_server(srv, truth);
      const bool complete = std::all_of(want.begin(), want.end(), [&](const auto& w) {
        auto it = data.find(w.first);
        return it != data.end() && it->second == w.second;
      });
      if (complete || std::chrono::steady_clock::now() > deadline) return data;
    } catch (const ifx::test::InfluxdError& e) {
      if (std::string(e.what()).find("shard is disabled") == std::string::npos ||
          std::chrono::steady_clock::now() > deadline)
        throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::map<Scope, Counts> data_of_truth(const json& truth, const std::string& only_db = "") {
  std::map<Scope, Counts> out;
  for (const auto& d : truth["data"]) {
    if (!only_db.empty() && d["database"] != only_db) continue;
    out[{d["database"], d["retention_policy"], d["measurement"]}] = Counts{
        d["series"].get<std::uint64_t>(), d["points"].get<std::uint64_t>(), d["values"].get<std::uint64_t>(),
        d["min_time"].get<std::int64_t>(), d["max_time"].get<std::int64_t>()};
  }
  return out;
}

void expect_data_equal(const std::map<Scope, Counts>& server, const std::map<Scope, Counts>& truth) {
  for (const auto& [scope, want] : truth) {
    const auto& [db, rp, m] = scope;
    auto it = server.find(scope);
    if (it == server.end()) {
      ADD_FAILURE() << db << "/" << rp << "/" << m << ": missing after the restore (want " << describe(want) << ")";
      continue;
    }
    EXPECT_EQ(it->second, want) << db << "/" << rp << "/" << m << ": restored " << describe(it->second)
                                << ", the live server had " << describe(want);
  }
  for (const auto& [scope, got] : server)
    if (!truth.count(scope))
      ADD_FAILURE() << std::get<0>(scope) << "/" << std::get<1>(scope) << "/" << std::get<2>(scope) << ": restored "
                    << describe(got) << " but the truth has no such data";
}

void expect_restore_ok(const Ran& r, const std::string& what) {
  ASSERT_EQ(r.exit_code, 0) << what << " failed:\n" << output(r);
}

// ---- legacy -> portable, restored by the real influxd ---------------------------------------

std::vector<std::string> legacy_fixtures() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(ifx::test::fixtures_dir())) {
    std::string n = e.path().filename().string();
    if (n.starts_with("legacy-") && e.is_directory()) names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  return names;
}

class LegacyToPortable : public ::testing::TestWithParam<std::string> {};

TEST_P(LegacyToPortable, StockPortableRestoreBringsBackEveryPoint) {
  const std::string fixture = GetParam();
  const json truth = ifx::test::fixture_truth(fixture);
  ScratchDir tmp("ifx-convert");
  const fs::path out = tmp / "portable";
  cv::Report report = convert(ifx::test::fixture(fixture), out);

  auto source = ifx::open_backup_set(ifx::test::fixture(fixture));
  ASSERT_TRUE(source);
  EXPECT_EQ(report.source_format, ifx::BackupFormat::Legacy);
  EXPECT_EQ(report.shards.size(), source->shards.size());
  for (const auto& s : report.shards) {
    const auto* src = source->find_shard(s.shard_id);
    ASSERT_NE(src, nullptr);
    EXPECT_EQ(s.source_archives, src->archives.size()) << "shard " << s.shard_id << ": every increment merged";
  }
  expect_verifies(out);

  // The layout influxd writes (§3.1, §3.4): one manifest, one archive per shard, meta.size the blob.
  auto converted = ifx::open_backup_set(out);
  ASSERT_TRUE(converted);
  EXPECT_EQ(converted->format, ifx::BackupFormat::Portable);
  ASSERT_EQ(converted->manifests.size(), 1u);
  EXPECT_EQ(converted->meta_blob, source->meta_blob);
  const auto& m = converted->manifests[0];
  EXPECT_FALSE(m.limited);
  EXPECT_EQ(m.meta.size, static_cast<std::int64_t>(source->meta_blob.size()));
  for (const auto& f : m.files) {
    EXPECT_EQ(f.last_modified, 0);
    EXPECT_EQ(f.file_name, report.manifest_file.substr(0, 16) + ".s" + std::to_string(f.shard_id) + ".tar.gz");
  }
  for (const auto& s : converted->shards) EXPECT_EQ(s.archives.size(), 1u) << "shard " << s.shard_id;

  auto srv = InfluxdServer::start();
  expect_restore_ok(run_command({influxd_binary(), "restore", "-portable", "-host", srv->rpc_address(), out.string()}),
                    "influxd restore -portable");
  {
    const auto want = data_of_truth(truth);
    expect_data_equal(data_after_restore(*srv, truth, want), want);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LegacyToPortable, ::testing::ValuesIn(legacy_fixtures()),
                         [](const auto& info) { return ifx::test::test_name_of(info.param); });

// ---- portable -> legacy (online and offline) and zstd -> gzip ------------------------------

TEST(PortableToLegacy, StockOnlineRestoreBringsBackEveryPoint) {
  const json truth = ifx::test::fixture_truth("portable-db");
  ScratchDir tmp("ifx-convert");
  const fs::path out = tmp / "legacy";
  cv::Report report = convert(ifx::test::fixture("portable-db"), out, cv::TargetFormat::legacy);
  EXPECT_EQ(report.meta_file, "meta.00");
  EXPECT_TRUE(report.manifest_file.empty());
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(out)) files.insert(e.path().filename().string());
  EXPECT_EQ(files, (std::set<std::string>{"meta.00", "plain.autogen.00009.00", "plain.autogen.00010.00"}));
  // Shard 10's directory would be "1" in influxd's offline restore (§4.7): said, not hidden.
  EXPECT_TRUE(std::any_of(report.warnings.begin(), report.warnings.end(), [](const std::string& w) {
    return w.find("shard 10 into the directory plain/autogen/1") != std::string::npos;
  })) << cv::to_text(report);
  expect_verifies(out);

  auto srv = InfluxdServer::start();
  expect_restore_ok(
      run_command({influxd_binary(), "restore", "-online", "-host", srv->rpc_address(), "-db", "plain", out.string()}),
      "influxd restore -online");
  {
    const auto want = data_of_truth(truth, "plain");
    expect_data_equal(data_after_restore(*srv, truth, want), want);
  }
}

TEST(PortableToLegacy, StockOfflineRestoreBringsBackEveryPoint) {
  // portable-db-rp-shard holds shard 9 only: an ID the offline restore's '0'-trimming keeps (§4.7).
  const json truth = ifx::test::fixture_truth("portable-db-rp-shard");
  ScratchDir tmp("ifx-convert");
  const fs::path out = tmp / "legacy";
  cv::Report report = convert(ifx::test::fixture("portable-db-rp-shard"), out, cv::TargetFormat::legacy);
  ASSERT_EQ(report.shards.size(), 1u);
  EXPECT_EQ(report.shards[0].file, "plain.autogen.00009.00");
  EXPECT_TRUE(report.warnings.empty()) << cv::to_text(report);

  auto srv = InfluxdServer::start();
  srv->stop();
  expect_restore_ok(run_command({influxd_binary(), "restore", "-metadir", srv->meta_dir().string(), "-datadir",
                                 srv->data_dir().string(), "-db", "plain", out.string()}),
                    "influxd restore (offline)");
  srv->restart();
  {
    const auto want = data_of_truth(truth);
    expect_data_equal(data_after_restore(*srv, truth, want), want);
  }
}

TEST(PortableToPortable, ZstdArchivesComeBackAsGzipThatInfluxdRestores) {
  const json truth = ifx::test::fixture_truth("portable-db");
  ScratchDir tmp("ifx-convert");
  const fs::path zstd = tmp / "zstd", gzip = tmp / "gzip";
  cv::Report first = convert(ifx::test::fixture("portable-db"), zstd, cv::TargetFormat::portable,
                             ifx::ArchiveCompression::zstd);
  ASSERT_EQ(first.shards.size(), 2u);
  EXPECT_TRUE(first.shards[0].file.ends_with(".tar.zst"));
  expect_verifies(zstd);
  cv::Report second = convert(zstd, gzip);
  ASSERT_EQ(second.shards.size(), 2u);
  for (const auto& s : second.shards) EXPECT_TRUE(s.file.ends_with(".tar.gz")) << s.file;
  // Same tar bytes both ways: entries, headers and order survive the round trip.
  for (std::size_t i = 0; i < 2; ++i) EXPECT_EQ(first.shards[i].tar_bytes, second.shards[i].tar_bytes);

  auto srv = InfluxdServer::start();
  expect_restore_ok(run_command({influxd_binary(), "restore", "-portable", "-host", srv->rpc_address(), "-db", "plain",
                                 gzip.string()}),
                    "influxd restore -portable");
  {
    const auto want = data_of_truth(truth, "plain");
    expect_data_equal(data_after_restore(*srv, truth, want), want);
  }
}

TEST(PortableToPortable, AManifestChainIsMergedSoNoIncrementIsLost) {
  // A chain as OSS `-since` runs (or ifx-backup increments) leave it (docs/FORMATS.md §3.6): a second,
  // newer manifest in the same directory lists shard 9 again with only one of its TSM files.
  // influxd's LoadIncremental would restore only that newest file; the conversion merges both.
  const json truth = ifx::test::fixture_truth("portable-db-rp-shard");
  ScratchDir tmp("ifx-convert");
  const fs::path src = tmp / "chain", out = tmp / "out";
  ifx::test::copy_fixture("portable-db-rp-shard", src);
  auto first = ifx::open_backup_set(src);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->shards.size(), 1u);
  ifx::test::ArchiveFile last_tsm;
  for (const auto& e : ifx::test::read_shard_archive(src / first->shards[0].archives[0].file_name))
    if (e.name.ends_with(".tsm")) last_tsm = e;
  last_tsm.name = last_tsm.name.substr(last_tsm.name.rfind('/') + 1);
  ifx::test::write_portable_backup(src, {.base = "20300101T000000Z",
                                         .meta_blob = first->meta_blob,
                                         .shards = {{.db = "plain", .rp = "autogen", .id = 9, .files = {last_tsm}}},
                                         .scope = {.database = "plain", .retention_policy = "autogen", .shard = 9}});

  cv::Report report = convert(src, out);
  ASSERT_EQ(report.shards.size(), 1u);
  EXPECT_EQ(report.shards[0].source_archives, 2u);
  EXPECT_EQ(report.shards[0].tsm_files, 3u);
  expect_verifies(out);
  auto converted = ifx::open_backup_set(out);
  ASSERT_TRUE(converted);
  ASSERT_EQ(converted->manifests.size(), 1u);
  EXPECT_EQ(converted->manifests[0].extra["scope"]["shard"], 9);  // the recorded scope carries over

  auto srv = InfluxdServer::start();
  expect_restore_ok(run_command({influxd_binary(), "restore", "-portable", "-host", srv->rpc_address(), out.string()}),
                    "influxd restore -portable");
  {
    const auto want = data_of_truth(truth);
    expect_data_equal(data_after_restore(*srv, truth, want), want);
  }
}

// ---- names that legacy restores cannot take -------------------------------------------------

TEST(PortableToLegacy, DottedNamesAreWrittenWithAWarning) {
  ScratchDir tmp("ifx-convert");
  const fs::path out = tmp / "legacy";
  cv::Report report = convert(ifx::test::fixture("portable-db-rp"), out, cv::TargetFormat::legacy);
  ASSERT_EQ(report.shards.size(), 4u);
  for (const auto& s : report.shards) {
    EXPECT_TRUE(fs::exists(out / s.file)) << s.file;
    EXPECT_TRUE(s.file.starts_with("wéird db,\"q\"=x.1.fïnite rp.ü \"1\".0000")) << s.file;
  }
  EXPECT_TRUE(std::any_of(report.warnings.begin(), report.warnings.end(), [](const std::string& w) {
    return w.find("holds a '.'") != std::string::npos;
  })) << cv::to_text(report);
  // Our own reader resolves the dots through the meta store: the result is a good legacy backup.
  expect_verifies(out);
  auto back = ifx::open_backup_set(out);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->shards.size(), 4u);
  for (const auto& s : back->shards) EXPECT_EQ(s.database, "wéird db,\"q\"=x.1");
}

// ---- damage ---------------------------------------------------------------------------------

struct DamagedCopy {
  std::string archive;  // file name in the backup directory
  std::string entry;    // tar entry whose block was hit
  std::uint64_t shard_id = 0;
};

// Copies legacy-db and flips one byte inside the first TSM block's data of the first entry of
// its first shard archive (a raw tar: the entry's data starts one 512-byte header after it).
DamagedCopy damage_legacy_db(const fs::path& dir) {
  ifx::test::copy_fixture("legacy-db", dir);
  auto set = ifx::open_backup_set(dir);
  EXPECT_TRUE(set);
  const auto& shard = set->shards.front();
  DamagedCopy d{shard.archives.front().file_name, "", shard.shard_id};
  auto reader = ifx::ShardArchiveReader::open(dir / d.archive);
  EXPECT_TRUE(reader);
  ifx::ArchiveEntry entry;
  auto more = reader->next(entry);
  EXPECT_TRUE(more && *more);
  EXPECT_TRUE(entry.name.ends_with(".tsm")) << entry.name;
  d.entry = entry.name;
  // TSM: 5-byte header, then the first block: CRC32 (4 bytes) and its data (docs/FORMATS.md §6.1).
  const std::uint64_t at = entry.header_offset + 512 + 5 + 4 + 3;
  std::string bytes = ifx::test::read_file(dir / d.archive);
  bytes[at] = static_cast<char>(bytes[at] ^ 0x40);
  ifx::test::write_file(dir / d.archive, bytes);
  return d;
}

// A conversion of a damaged copy at `src` into `out`.
class Damage : public ::testing::Test {
 protected:
  cv::Options options() const { return {.source_dir = src, .dest_dir = out}; }
  ScratchDir tmp{"ifx-convert"};
  const fs::path src = tmp / "src", out = tmp / "out";
};

TEST_F(Damage, AFlippedByteIsRefusedWithFileEntryAndOffset) {
  DamagedCopy d = damage_legacy_db(src);
  auto r = cv::run(options());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::tsm_block_crc) << r.error().describe();
  EXPECT_EQ(r.error().file, d.archive);
  EXPECT_EQ(r.error().entry, d.entry);
  EXPECT_EQ(r.error().offset, std::optional<std::uint64_t>(5)) << r.error().describe();  // the block's offset
  EXPECT_NE(r.error().message.find("--skip-errors"), std::string::npos) << r.error().message;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(tmp / "out.pending"));
}

TEST_F(Damage, SkipErrorsLeavesTheDamagedShardOutAndSaysSo) {
  DamagedCopy d = damage_legacy_db(src);
  cv::Options o = options();
  o.skip_errors = true;
  auto r = cv::run(o);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->exit_code(), 3);
  ASSERT_EQ(r->skipped.size(), 1u);
  EXPECT_EQ(r->skipped[0].shard_id, d.shard_id);
  ASSERT_FALSE(r->skipped[0].defects.empty());
  EXPECT_EQ(r->skipped[0].defects[0].code, ifx::ErrorCode::tsm_block_crc);
  EXPECT_EQ(r->skipped[0].defects[0].entry, d.entry);
  ASSERT_EQ(r->shards.size(), 1u);
  EXPECT_NE(r->shards[0].shard_id, d.shard_id);
  EXPECT_NE(cv::to_text(*r).find("SKIPPED shard " + std::to_string(d.shard_id)), std::string::npos);
  auto converted = ifx::open_backup_set(out);
  ASSERT_TRUE(converted);
  ASSERT_EQ(converted->shards.size(), 1u);
  EXPECT_EQ(converted->find_shard(d.shard_id), nullptr);
  expect_verifies(out);
}

TEST_F(Damage, ATruncatedArchiveIsRefused) {
  ifx::test::copy_fixture("portable-db-rp-shard", src);
  const std::string archive = ifx::test::file_ending(src, ".tar.gz");
  std::string bytes = ifx::test::read_file(src / archive);
  ifx::test::write_file(src / archive, bytes.substr(0, bytes.size() - 100));
  auto r = cv::run(options());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::gzip_truncated) << r.error().describe();
  EXPECT_EQ(r.error().file, archive);
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Damage, AnUnreadableMetaStoreIsRefused) {
  ifx::test::copy_fixture("legacy-db", src);
  const std::string meta = ifx::test::read_file(src / "meta.00");
  ifx::test::write_file(src / "meta.00", meta.substr(0, meta.size() - 3));  // §2.3: 16 + M + 8 + N != size
  cv::Options o = options();
  o.skip_errors = true;  // nothing to skip to: without a meta store there is no backup
  auto r = cv::run(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::meta_invalid) << r.error().describe();
  EXPECT_EQ(r.error().file, "meta.00");
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(tmp / "out.pending"));
}

TEST_F(Damage, AMissingIncrementBelongsToItsShard) {
  // legacy-since-chain without inc.autogen.00013.00: the .01 increment alone would restore on top
  // of nothing (ifx-verify's "chain-gap"), so shard 13 is damaged and shard 14 is not.
  ifx::test::copy_fixture("legacy-since-chain", src);
  fs::remove(src / "inc.autogen.00013.00");
  cv::Options o = options();
  auto r = cv::run(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::chain_gap) << r.error().describe();
  EXPECT_EQ(r.error().file, "inc.autogen.00013.00");
  o.skip_errors = true;
  auto partial = cv::run(o);
  ASSERT_TRUE(partial) << partial.error().describe();
  EXPECT_EQ(partial->exit_code(), 3);
  ASSERT_EQ(partial->skipped.size(), 1u);
  EXPECT_EQ(partial->skipped[0].shard_id, 13u);
  EXPECT_TRUE(partial->tolerated_defects.empty()) << cv::to_text(*partial);
  ASSERT_EQ(partial->shards.size(), 1u);
  EXPECT_EQ(partial->shards[0].shard_id, 14u);
  EXPECT_EQ(partial->shards[0].source_archives, 2u);
}

// ---- destination ----------------------------------------------------------------------------

TEST(Destination, ANonEmptyDestinationIsRefusedWithoutForce) {
  ScratchDir tmp("ifx-convert");
  const fs::path out = tmp / "out";
  fs::create_directory(out);
  ifx::test::write_file(out / "keep.txt", "mine");
  cv::Options o;
  o.source_dir = ifx::test::fixture("legacy-db");
  o.dest_dir = out;
  auto r = cv::run(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::usage);
  EXPECT_NE(r.error().message.find("--force"), std::string::npos) << r.error().message;
  EXPECT_EQ(ifx::test::read_file(out / "keep.txt"), "mine");
  EXPECT_FALSE(fs::exists(tmp / "out.pending"));

  o.force = true;
  auto forced = cv::run(o);
  ASSERT_TRUE(forced) << forced.error().describe();
  EXPECT_FALSE(fs::exists(out / "keep.txt"));
  EXPECT_TRUE(fs::exists(out / forced->manifest_file));
  EXPECT_FALSE(fs::exists(tmp / "out.pending"));
}

TEST(Destination, AnEmptyDestinationIsUsedAndTheSourceCannotBeInsideIt) {
  ScratchDir tmp("ifx-convert");
  fs::create_directory(tmp / "empty");
  cv::Options o;
  o.source_dir = ifx::test::fixture("legacy-db-rp-shard");
  o.dest_dir = tmp / "empty";
  auto r = cv::run(o);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(fs::exists(tmp / "empty" / r->meta_file));

  fs::create_directory(tmp / "outer");
  fs::copy(ifx::test::fixture("legacy-db-rp-shard"), tmp / "outer" / "src");
  o.source_dir = tmp / "outer" / "src";
  o.dest_dir = tmp / "outer";
  o.force = true;
  auto inside = cv::run(o);
  ASSERT_FALSE(inside);
  EXPECT_EQ(inside.error().code, ifx::ErrorCode::usage);
  EXPECT_TRUE(fs::exists(tmp / "outer" / "src" / "meta.00"));
  o.dest_dir = tmp / "outer" / "src" / "converted";
  auto below = cv::run(o);
  ASSERT_FALSE(below);
  EXPECT_EQ(below.error().code, ifx::ErrorCode::usage);
}

// ---- the binary -----------------------------------------------------------------------------

// Both ways, every file written is its owner's alone (0600): the meta files hold the users'
// password hashes, which influxd's own backups leave readable by all (0644).
TEST(Destination, EveryFileWrittenIsReadableByItsOwnerOnly) {
  ScratchDir tmp("ifx-convert");
  const std::vector<std::tuple<std::string, cv::TargetFormat, std::string>> cases{
      {"legacy-db", cv::TargetFormat::portable, "portable"}, {"portable-db", cv::TargetFormat::legacy, "legacy"}};
  for (const auto& [fixture, to, name] : cases) {
    const fs::path dest = tmp / name;
    convert(ifx::test::fixture(fixture), dest, to);
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(dest)) {
      ++files;
      EXPECT_EQ(e.status().permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write) << e.path();
    }
    EXPECT_GE(files, 3u) << dest;
  }
}

TEST(Binary, GoStyleFlagsExitCodesAndJson) {
  ScratchDir tmp("ifx-convert");
  const fs::path src = tmp / "src";
  DamagedCopy d = damage_legacy_db(src);

  auto refused = run_command({tool_binary(), src.string(), (tmp / "a").string()});
  EXPECT_EQ(refused.exit_code, 1) << output(refused);
  EXPECT_NE(output(refused).find(d.archive + ": " + d.entry + ": offset 5:"), std::string::npos) << output(refused);

  auto partial = run_command(
      {tool_binary(), "-skip-errors", "-db", "plain", "--json", src.string(), (tmp / "b").string()});
  EXPECT_EQ(partial.exit_code, 3) << output(partial);
  EXPECT_NE(output(partial).find("skipped damaged shard " + std::to_string(d.shard_id)), std::string::npos)
      << output(partial);
  const auto brace = partial.out.find('{');
  ASSERT_NE(brace, std::string::npos) << output(partial);
  const auto end = partial.out.rfind('}');
  json j = json::parse(partial.out.substr(brace, end - brace + 1));
  EXPECT_EQ(j["exit_code"], 3);
  EXPECT_EQ(j["format"], "portable");
  EXPECT_EQ(j["source_format"], "legacy");
  ASSERT_EQ(j["skipped"].size(), 1u);
  EXPECT_EQ(j["skipped"][0]["defects"][0]["code"], "tsm-block-crc");
  EXPECT_EQ(j["skipped"][0]["defects"][0]["offset"], 5);
  EXPECT_EQ(j["shards"].size(), 1u);

  auto nonempty = run_command({tool_binary(), "--to", "legacy", src.string(), (tmp / "b").string()});
  EXPECT_EQ(nonempty.exit_code, 2) << output(nonempty);
  EXPECT_NE(output(nonempty).find("not empty"), std::string::npos) << output(nonempty);

  auto bad = run_command({tool_binary(), "--to", "zip", src.string(), (tmp / "c").string()});
  EXPECT_EQ(bad.exit_code, 2) << output(bad);
}

}  // namespace
