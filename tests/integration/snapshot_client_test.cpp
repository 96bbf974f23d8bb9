// SnapshotClient against a real influxd (docs/FORMATS.md §1): every request type, the data written
// over HTTP coming back through backup → import → upload, and the errors users meet (wrong
// port, HTTP port, unknown shard, a silent server).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "ifx/format/meta/meta_store.hpp"
#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/net/snapshot/snapshot_client.hpp"
#include "support/influxd.hpp"
#include "support/archive_builder.hpp"
#include "support/fault_proxy.hpp"
#include "support/paths.hpp"
#include "support/server_suite.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ifx::net;
using ifx::test::InfluxdServer;

constexpr std::int64_t kT0 = 1577836800LL * 1'000'000'000;  // 2020-01-01T00:00:00Z
constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kTenDays = 10LL * 86400 * kSecond;
constexpr int kPointsPerShard = 100;

// A sink spooling to a file, as a backup tool does (streamed, never whole in memory).
struct FileSink {
  explicit FileSink(const fs::path& p) : path(p), out(p, std::ios::binary | std::ios::trunc) {}
  ChunkSink sink() {
    return [this](std::span<const std::uint8_t> b) -> ifx::Result<void> {
      ++chunks;
      largest = std::max(largest, b.size());
      out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
      if (!out) return ifx::fail(ifx::ErrorCode::io, "cannot write " + path.string());
      return {};
    };
  }
  void close() { out.close(); }
  fs::path path;
  std::ofstream out;
  std::size_t chunks = 0;
  std::size_t largest = 0;
};

using ifx::test::read_shard_archive;

std::size_t count_tsm(const std::vector<ifx::test::ArchiveFile>& entries) {
  return std::count_if(entries.begin(), entries.end(),
                       [](const ifx::test::ArchiveFile& e) { return e.name.ends_with(".tsm"); });
}

// §4.5: the client renames every entry to <db>/<rp>/<new id>/<file> before the upload.
void rename_tar(const fs::path& from, const fs::path& to, const std::string& db, const std::string& rp,
                std::uint64_t new_id) {
  auto entries = read_shard_archive(from);
  for (auto& e : entries) e.name = fmt::format("{}/{}/{}/{}", db, rp, new_id, e.name.substr(e.name.rfind('/') + 1));
  ifx::test::write_shard_archive(to, entries, {.compression = ifx::ArchiveCompression::none});
}

ChunkSource file_source(std::ifstream& in) {
  return [&in](std::span<std::uint8_t> out) -> ifx::Result<std::size_t> {
    in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
    if (in.bad()) return ifx::fail(ifx::ErrorCode::io, "cannot read the tar");
    return static_cast<std::size_t>(in.gcount());
  };
}

std::int64_t count_points(InfluxdServer& srv, const std::string& db) {
  auto s = srv.series("SELECT count(\"value\") FROM \"cpu\"", db);
  if (s.empty()) return 0;
  return s[0]["values"][0][1].get<std::int64_t>();
}

// A TCP listener that completes handshakes and reads whatever the client sends, but never
// answers: a hung server.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ifx::test::listen_on_loopback(4, port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~SilentListener() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  // Everything the client sent; waits until the client has closed its connection.
  std::string received() {
    if (thread_.joinable()) thread_.join();
    return got_;
  }

 private:
  void serve() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10'000) != 1) return;  // bounded: a test that never connects still ends
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    for (;;) {
      pollfd q{c, POLLIN, 0};
      if (::poll(&q, 1, 10'000) != 1) break;
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;  // the client gave up and closed
      got_.append(buf, static_cast<std::size_t>(n));
    }
    ::close(c);
  }
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::string got_;
};

class SnapshotClientTest : public ifx::test::ServerSuite<SnapshotClientTest> {
 protected:
  static void SetUpTestSuite() {
    ServerSuite::SetUpTestSuite();
    server_->create_database("src");
    // Two shard groups of the 7-day autogen policy, 100 points each.
    for (std::int64_t base : {kT0, kT0 + kTenDays}) {
      std::vector<std::string> lines;
      for (int i = 0; i < kPointsPerShard; ++i)
        lines.push_back(fmt::format("cpu,host={} value={} {}", i % 2 ? "a" : "b", i * 0.5, base + i * kSecond));
      server_->write("src", lines);
    }
    server_->create_database("empty");
  }

  SnapshotClient client(ClientOptions o = {}) const {
    return SnapshotClient(HostPort{"127.0.0.1", server_->rpc_port()}, o);
  }
  std::vector<std::uint64_t> src_shards() const {
    auto paths = client().database_info("src");
    EXPECT_TRUE(paths) << paths.error().message;
    std::vector<std::uint64_t> ids;
    if (paths)
      for (const auto& p : *paths) ids.push_back(p.shard_id);
    return ids;
  }

  // Shard `id` as the server's backup answer (a plain tar), spooled to scratch_/<name>.
  fs::path backup_to_file(std::uint64_t id, const std::string& name) const {
    FileSink tar(scratch_ / name);
    auto n = client().backup_shard(id, WireTime::zero(), tar.sink());
    EXPECT_TRUE(n) << n.error().message;
    tar.close();
    return tar.path;
  }

  ifx::test::ScratchDir scratch_{"ifx-net-test"};
};

TEST_F(SnapshotClientTest, BackupMetaDecodesAndNamesTheDatabase) {
  std::string verbatim;
  auto meta = client().backup_meta([&](std::span<const std::uint8_t> b) -> ifx::Result<void> {
    verbatim.append(reinterpret_cast<const char*>(b.data()), b.size());
    return {};
  });
  ASSERT_TRUE(meta) << meta.error().message;
  EXPECT_EQ(meta->node_json, "null\n");                                            // §1.6.1: OSS never sets the node
  EXPECT_EQ(verbatim, ifx::meta::write_legacy_meta(meta->blob, meta->node_json));  // a meta.NN file
  auto data = ifx::meta::decode_meta_data(meta->blob);
  ASSERT_TRUE(data) << data.error().describe();
  const auto* db = ifx::meta::find_database(*data, "src");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->default_retention_policy, "autogen");
  EXPECT_EQ(ifx::meta::find_database(*data, "_internal"), nullptr);  // monitor store disabled
}

TEST_F(SnapshotClientTest, InfoListsTheShardPaths) {
  auto paths = client().database_info("src");
  ASSERT_TRUE(paths) << paths.error().message;
  ASSERT_EQ(paths->size(), 2u);
  std::set<std::uint64_t> ids;
  for (const auto& p : *paths) {
    EXPECT_EQ(p.database, "src");
    EXPECT_EQ(p.retention_policy, "autogen");
    ids.insert(p.shard_id);
  }
  // The same shards as SHOW SHARDS says.
  std::set<std::uint64_t> shown;
  const auto shards = server_->series("SHOW SHARDS");
  for (const auto& s : shards)
    if (s["name"] == "src")
      for (const auto& row : s["values"]) shown.insert(row[0].get<std::uint64_t>());
  EXPECT_EQ(ids, shown);

  auto rp = client().retention_policy_info("src", "autogen");
  ASSERT_TRUE(rp) << rp.error().message;
  EXPECT_EQ(*rp, *paths);

  auto all = client().database_info("");
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(all->size(), 2u);

  auto empty = client().database_info("empty");  // {"Paths":null}
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_TRUE(empty->empty());

  auto unknown = client().database_info("nope");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ifx::ErrorCode::net_no_data);
  EXPECT_NE(unknown.error().message.find("database \"nope\""), std::string::npos) << unknown.error().message;

  auto unknown_rp = client().retention_policy_info("src", "nope");
  ASSERT_FALSE(unknown_rp);
  EXPECT_EQ(unknown_rp.error().code, ifx::ErrorCode::net_no_data);
}

TEST_F(SnapshotClientTest, BackupShardStreamsACompleteTar) {
  const auto ids = src_shards();
  ASSERT_FALSE(ids.empty());
  ClientOptions o;
  o.chunk_bytes = 1024;  // many small chunks: the stream is handed on as it arrives
  FileSink out(scratch_ / "shard.tar");
  auto n = client(o).backup_shard(ids[0], WireTime::zero(), out.sink());
  out.close();
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, fs::file_size(out.path));
  EXPECT_GT(out.chunks, 1u);
  EXPECT_LE(out.largest, 1024u);
  auto entries = read_shard_archive(out.path);
  EXPECT_GE(count_tsm(entries), 1u);
  for (const auto& e : entries) EXPECT_TRUE(e.name.starts_with(fmt::format("src/autogen/{}/", ids[0]))) << e.name;

  // `since` in the future: nothing modified after it, a valid empty tar (§1.6.3).
  FileSink later(scratch_ / "since.tar");
  auto none = client().backup_shard(ids[0], WireTime::from_unix_ns(kT0 + 100LL * 365 * 86400 * kSecond), later.sink());
  later.close();
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(*none, 1024u);
  EXPECT_TRUE(read_shard_archive(later.path).empty());
}

TEST_F(SnapshotClientTest, ExportShardWithAndWithoutBounds) {
  const auto ids = src_shards();
  ASSERT_FALSE(ids.empty());
  const fs::path full = backup_to_file(ids[0], "backup.tar");

  // No bounds given: the client sends 1677…2262, so the export is the whole shard.
  FileSink all(scratch_ / "export-all.tar");
  auto n = client().export_shard(ids[0], std::nullopt, std::nullopt, all.sink());
  all.close();
  ASSERT_TRUE(n) << n.error().message;
  auto backup_entries = read_shard_archive(full);
  auto export_entries = read_shard_archive(all.path);
  ASSERT_EQ(export_entries.size(), backup_entries.size());
  for (std::size_t i = 0; i < export_entries.size(); ++i) {
    EXPECT_EQ(export_entries[i].name, backup_entries[i].name);
    EXPECT_EQ(export_entries[i].data.size(), backup_entries[i].data.size());
  }

  // A range inside the shard's data: a readable tar with the (block-granular) TSM data.
  FileSink part(scratch_ / "export-part.tar");
  auto p = client().export_shard(ids[0], WireTime::from_unix_ns(kT0 + 10 * kSecond),
                                 WireTime::from_unix_ns(kT0 + 20 * kSecond), part.sink());
  part.close();
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_GE(count_tsm(read_shard_archive(part.path)), 1u);

  // A range with no data: no TSM file selected, an empty tar.
  FileSink nothing(scratch_ / "export-none.tar");
  auto z = client().export_shard(ids[0], WireTime::from_unix_ns(kT0 - 100 * kTenDays),
                                 WireTime::from_unix_ns(kT0 - 99 * kTenDays), nothing.sink());
  nothing.close();
  ASSERT_TRUE(z) << z.error().message;
  EXPECT_EQ(count_tsm(read_shard_archive(nothing.path)), 0u);
}

TEST_F(SnapshotClientTest, ImportMetaThenUploadShardsRestoresEveryPoint) {
  auto meta = client().backup_meta();
  ASSERT_TRUE(meta) << meta.error().message;
  const auto ids = src_shards();
  ASSERT_EQ(ids.size(), 2u);

  auto map = client().import_meta(meta->blob, "src", "copy", "", "");
  ASSERT_TRUE(map) << map.error().message;
  ASSERT_EQ(map->size(), 2u);
  for (auto id : ids) EXPECT_TRUE(map->contains(id)) << id;
  bool listed = false;
  const auto databases = server_->series("SHOW DATABASES");
  ASSERT_EQ(databases.size(), 1u);
  for (const auto& row : databases[0]["values"]) listed |= row[0] == "copy";
  EXPECT_TRUE(listed);

  // A second import under the same name: influxd refuses (0 pairs, §1.6.4).
  auto again = client().import_meta(meta->blob, "src", "copy", "", "");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ifx::ErrorCode::meta_not_changed);
  EXPECT_NE(again.error().message.find("DB metadata not changed. database may already exist"), std::string::npos);

  EXPECT_EQ(count_points(*server_, "copy"), 0);
  for (auto [old_id, new_id] : *map) {
    FileSink tar(scratch_ / fmt::format("s{}.tar", old_id));
    ASSERT_TRUE(client().backup_shard(old_id, WireTime::zero(), tar.sink()));
    tar.close();
    const fs::path renamed = scratch_ / fmt::format("s{}-as-{}.tar", old_id, new_id);
    rename_tar(tar.path, renamed, "copy", "autogen", new_id);
    std::ifstream in(renamed, std::ios::binary);
    auto sent = client().upload_shard(new_id, file_source(in));
    ASSERT_TRUE(sent) << sent.error().message;
    EXPECT_EQ(*sent, fs::file_size(renamed));
  }
  // upload_shard returns once the server closed, i.e. the files are in place.
  EXPECT_EQ(count_points(*server_, "copy"), 2 * kPointsPerShard);
  EXPECT_EQ(count_points(*server_, "src"), 2 * kPointsPerShard);
}

TEST_F(SnapshotClientTest, UnknownShardIsNoData) {
  auto sink = [](std::span<const std::uint8_t>) -> ifx::Result<void> { return {}; };
  auto r = client().backup_shard(999999, WireTime::zero(), sink);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::net_no_data);
  EXPECT_EQ(r.error().message, fmt::format("no data returned for shard 999999: the shard may not exist on {} (check "
                                           "SHOW SHARDS), or the server failed to snapshot it — see its log",
                                           server_->rpc_address()));

  // Retried with the output reset in between, then reported with the attempt count.
  RetryPolicy policy;
  policy.attempts = 2;
  policy.first_wait = std::chrono::milliseconds(10);
  int resets = 0;
  auto retried = with_retries<std::uint64_t>(
      policy, [&] { return client().export_shard(999999, std::nullopt, std::nullopt, sink); },
      [&]() -> ifx::Result<void> {
        ++resets;
        return {};
      });
  ASSERT_FALSE(retried);
  EXPECT_EQ(retried.error().code, ifx::ErrorCode::net_no_data);
  EXPECT_NE(retried.error().message.find("(gave up after 2 attempts)"), std::string::npos);
  EXPECT_EQ(resets, 1);
}

TEST_F(SnapshotClientTest, ClosedPortIsRefusedWithAHint) {
  const std::uint16_t port = ifx::test::free_port();
  SnapshotClient c(HostPort{"127.0.0.1", port}, {});
  auto r = c.backup_meta();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::net_refused);
  EXPECT_EQ(r.error().message, fmt::format("connection refused at 127.0.0.1:{}: is influxd running, and does its "
                                           "config set `bind-address` to this address?",
                                           port));
}

TEST_F(SnapshotClientTest, HttpPortIsRecognised) {
  SnapshotClient c(HostPort{"127.0.0.1", server_->http_port()}, {});
  const std::string expected_start = fmt::format("127.0.0.1:{} is InfluxDB's HTTP port", server_->http_port());
  auto m = c.backup_meta();
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ifx::ErrorCode::net_http_port);
  EXPECT_TRUE(m.error().message.starts_with(expected_start)) << m.error().message;
  EXPECT_NE(m.error().message.find("bind-address (default 127.0.0.1:8088)"), std::string::npos);

  auto s = c.backup_shard(1, WireTime::zero(), [](std::span<const std::uint8_t>) -> ifx::Result<void> {
    ADD_FAILURE() << "an HTTP answer must not reach the sink";
    return {};
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ifx::ErrorCode::net_http_port);

  auto i = c.database_info("src");
  ASSERT_FALSE(i);
  EXPECT_EQ(i.error().code, ifx::ErrorCode::net_http_port);
}

TEST_F(SnapshotClientTest, SilentServerTimesOutWithinTheBound) {
  SilentListener silent;
  ClientOptions o;
  o.read_timeout = std::chrono::milliseconds(1000);
  SnapshotClient c(HostPort{"127.0.0.1", silent.port()}, o);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.export_shard(5, std::nullopt, std::nullopt,
                          [](std::span<const std::uint8_t>) -> ifx::Result<void> { return {}; });
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::net_timeout);
  EXPECT_NE(r.error().message.find("sent no byte for 1 s"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("shard 5"), std::string::npos) << r.error().message;
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::milliseconds(3000));

  // What went on the wire: mux byte, type 5, both bounds explicit (§10.4), one newline.
  const std::string got = silent.received();
  ASSERT_GE(got.size(), 3u);
  EXPECT_EQ(got.substr(0, 2), std::string("\x03\x05", 2));
  EXPECT_NE(got.find("\"ExportStart\":\"1677-09-21T00:12:44Z\",\"ExportEnd\":\"2262-04-11T23:47:16Z\""),
            std::string::npos)
      << got;
  EXPECT_EQ(got.back(), '\n');
}

}  // namespace

namespace {

TEST_F(SnapshotClientTest, UploadToAMissingShardIsReported) {
  // influxd closes at once for an unknown shard (§1.6.5). When our tar is still unread there,
  // its kernel resets the connection; when the close wins the race, the upload looks like a
  // success (there is no error channel). Whichever happens, a failure must be a reset with the
  // hint, never an obscure socket error.
  const auto ids = src_shards();
  ASSERT_FALSE(ids.empty());
  const fs::path renamed = scratch_ / "u-renamed.tar";
  rename_tar(backup_to_file(ids[0], "u.tar"), renamed, "src", "autogen", 999999);
  for (int i = 0; i < 5; ++i) {
    std::ifstream in(renamed, std::ios::binary);
    auto r = client().upload_shard(999999, file_source(in));
    if (r) continue;
    EXPECT_EQ(r.error().code, ifx::ErrorCode::net_reset) << r.error().message;
    EXPECT_NE(r.error().message.find("or the shard does not exist there"), std::string::npos) << r.error().message;
  }
}

// Last: the harness restarts the server over the same directories; the data is still there.
TEST_F(SnapshotClientTest, HarnessRestartKeepsTheData) {
  const auto before = count_points(*server_, "src");
  const pid_t old_pid = server_->pid();
  server_->restart();
  EXPECT_NE(server_->pid(), old_pid);
  EXPECT_EQ(count_points(*server_, "src"), before);
  auto paths = client().database_info("src");
  ASSERT_TRUE(paths) << paths.error().message;
  EXPECT_EQ(paths->size(), 2u);
}

}  // namespace

namespace {

// The harness's tsi1 option: a shard of a tsi1 server has its index directory, and the client
// backs it up like any other.
TEST(SnapshotClientTsi1, BackupOfATsi1Shard) {
  ifx::test::InfluxdOptions o;
  o.index_version = "tsi1";
  auto srv = InfluxdServer::start(o);
  srv->create_database("t");
  srv->write("t", std::vector<std::string>{"cpu,host=a value=1 1577836800000000000",
                                           "cpu,host=b value=2 1577836801000000000"});
  SnapshotClient c(HostPort{"127.0.0.1", srv->rpc_port()}, {});
  auto paths = c.database_info("t");
  ASSERT_TRUE(paths) << paths.error().message;
  ASSERT_EQ(paths->size(), 1u);
  EXPECT_TRUE(fs::is_directory(srv->data_dir() / "t" / "autogen" / std::to_string((*paths)[0].shard_id) / "index"));
  ifx::test::ScratchDir scratch("ifx-net-tsi1");
  FileSink out(scratch / "s.tar");
  auto n = c.backup_shard((*paths)[0].shard_id, WireTime::zero(), out.sink());
  out.close();
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_GE(count_tsm(read_shard_archive(out.path)), 1u);
  const fs::path dir = srv->work_dir();
  srv.reset();  // stops the server and removes its directory
  EXPECT_FALSE(fs::exists(dir));
}

}  // namespace
