// ifx-restore -portable / -online into one real influxd 1.6.7 per suite (distinct target
// databases per test): every seed restore example on real fixtures, counts per db/rp/measurement
// and the exact line protocol equal to the truth; each defect of influxd's restore shown fixed.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ifx-restore/restore.hpp"
#include "ifx-restore/stage.hpp"
#include "ifx-restore/steps.hpp"
#include "ifx/net/http/influx_http.hpp"
#include "restore_truth.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/run.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::test::InfluxdServer;
using ifx::test::ScratchDir;
using ifx::test::TruthScope;

const std::string kWeird = "wéird db,\"q\"=x.1";
const std::string kWeirdRp = "fïnite rp.ü \"1\"";

fs::path copy_fixture(const ScratchDir& scratch, const std::string& name) {
  fs::path dest = scratch / name;
  fs::copy(ifx::test::fixture(name), dest, fs::copy_options::recursive);
  for (const auto& e : fs::directory_iterator(dest))
    fs::permissions(e.path(), fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add);
  return dest;
}

std::string file_ending(const fs::path& dir, const std::string& suffix) {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().ends_with(suffix)) return e.path().filename().string();
  ADD_FAILURE() << "no file ending in " << suffix << " in " << dir;
  return {};
}

std::set<std::string> databases(InfluxdServer& srv) {
  std::set<std::string> out;
  for (const auto& s : srv.series("SHOW DATABASES"))
    for (const auto& row : s.value("values", nlohmann::json::array())) out.insert(row[0].get<std::string>());
  return out;
}

std::size_t shard_count(InfluxdServer& srv) {
  std::size_t n = 0;
  for (const auto& s : srv.series("SHOW SHARDS")) n += s.value("values", nlohmann::json::array()).size();
  return n;
}

// The numbers of a count query's "series" (every column after time, every row).
std::int64_t sum_of_counts(const nlohmann::json& series) {
  std::int64_t n = 0;
  for (const auto& s : series)
    for (const auto& row : s.value("values", nlohmann::json::array()))
      for (std::size_t i = 1; i < row.size(); ++i)
        if (row[i].is_number()) n += row[i].get<std::int64_t>();
  return n;
}

std::int64_t count_values(InfluxdServer& srv, const std::string& db, const std::string& q) {
  return sum_of_counts(srv.series(q, db));
}

// For data nothing waited for (influxd's restore, ours over the RPC alone, a server's own
// writes): `count()` every 50 ms until `reached` holds, for at most 10 s; a query that fails
// meanwhile ("shard is disabled" while it opens) counts as not yet. Returns the last count.
std::int64_t poll_count(const std::function<std::int64_t()>& count, const std::function<bool(std::int64_t)>& reached) {
  std::int64_t n = -1;
  for (int i = 0; i < 200; ++i) {
    try {
      n = count();
    } catch (const ifx::test::InfluxdError&) {
    }
    if (reached(n)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return n;
}

class RestoreOnline : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = InfluxdServer::start().release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  ifx::restore::Options options(const fs::path& dir) const {
    ifx::restore::Options o;
    o.mode = ifx::restore::Mode::Portable;
    o.backup_dir = dir;
    o.host = server_->rpc_address();
    o.http_url = server_->http_url();
    o.wait_timeout = std::chrono::seconds(30);
    return o;
  }
  ifx::restore::Report restore_ok(const ifx::restore::Options& o) {
    auto r = ifx::restore::run(o);
    EXPECT_TRUE(r) << r.error().code << ": " << r.error().describe() << "\n" << server_->log_tail();
    return r ? std::move(*r) : ifx::restore::Report{};
  }

  static InfluxdServer* server_;
};
InfluxdServer* RestoreOnline::server_ = nullptr;

// Seed: "Restore a specific database" / "Restore data to a database that already exists".
TEST_F(RestoreOnline, PortableDatabaseUnderNewNameMatchesTruth) {
  auto o = options(ifx::test::fixture("portable-db"));
  o.database = "plain";
  o.new_database = "plain_new";
  o.count_values = true;
  auto report = restore_ok(o);
  ASSERT_EQ(report.databases.size(), 1u);
  EXPECT_EQ(report.databases[0].target, "plain_new");
  EXPECT_TRUE(report.databases[0].created);
  EXPECT_EQ(report.verified, "full");
  ASSERT_EQ(report.shards.size(), 2u);
  for (const auto& s : report.shards) EXPECT_EQ(s.status, "restored");
  // The summary's counts come from the server: cpu 1191 values + dense 3600 (truth "values").
  ASSERT_EQ(report.databases[0].retention_policies.size(), 1u);
  EXPECT_EQ(report.databases[0].retention_policies[0].values, 1191u + 3600u);
  ifx::test::expect_matches_truth(*server_, ifx::test::load_truth("portable-db"), {"plain", "plain_new", {}, {}});
}

// An existing target is refused before anything changes (influxd: "database may already exist"
// after nothing, the InfluxDB documentation's three-step workaround otherwise).
TEST_F(RestoreOnline, ExistingDatabaseRefusedNothingChanged) {
  server_->create_database("taken");
  server_->write("taken", std::string_view("keep v=1 1\n"));
  const auto dbs_before = databases(*server_);
  const auto shards_before = shard_count(*server_);
  auto o = options(ifx::test::fixture("portable-db"));
  o.database = "plain";
  o.new_database = "taken";
  auto r = ifx::restore::run(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::target_exists);
  EXPECT_NE(r.error().message.find("\"taken\" already exists"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("-newdb"), std::string::npos);
  EXPECT_NE(r.error().message.find("--merge"), std::string::npos);
  EXPECT_EQ(databases(*server_), dbs_before);
  EXPECT_EQ(shard_count(*server_), shards_before);
  EXPECT_EQ(count_values(*server_, "taken", "SELECT count(*) FROM keep"), 1);
}

// Whether something accepts TCP connections at 127.0.0.1:`port`.
bool listening_on_localhost(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

// A listener at 127.0.0.1:`port` answering every connection as Go's TLS server answers plain
// HTTP, i.e. influxd with [http] https-enabled.
class HttpsLookalike {
 public:
  explicit HttpsLookalike(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port));
    thread_ = std::thread([this] {
      for (int c; (c = ::accept(fd_, nullptr, nullptr)) >= 0; ::close(c)) {
        char buf[1024];
        if (::read(c, buf, sizeof buf) <= 0) continue;
        const std::string_view answer =
            "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
        if (::write(c, answer.data(), answer.size()) > 0) ++answered_;
      }
    });
  }
  ~HttpsLookalike() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(fd_);
  }
  int answered() const { return answered_; }

 private:
  int fd_ = -1;
  std::atomic<int> answered_{0};
  std::thread thread_;
};

// A restore of portable-db's "plain" that must go over the RPC alone: it succeeds with both shards
// and one note, which is returned ("" after a failure, which is recorded).
std::string restore_over_rpc_alone(const ifx::restore::Options& o) {
  auto r = ifx::restore::run(o);
  if (!r) {
    ADD_FAILURE() << r.error().code << ": " << r.error().describe();
    return {};
  }
  EXPECT_EQ(r->shards.size(), 2u);
  EXPECT_EQ(r->notes.size(), 1u);
  return r->notes.empty() ? std::string() : r->notes[0];
}

// `influxd restore -portable -host H:P DIR` as scripts write it, against servers whose HTTP API
// cannot be used: the restore runs over the RPC alone, as influxd restore does, and says that it
// neither waited nor could roll back. One test, so the cases never overlap on port 8086.
//   1. Nothing at H:8086 (the server's HTTP port is elsewhere): the target is checked in the
//      served meta store; asking for what needs HTTP (--count) is refused before any change.
//   2. Something at H:8086 that is not a usable InfluxDB HTTP API (HTTPS answering plain HTTP).
//   3. [http] auth-enabled at the default port and no credentials: the query that checks the API
//      is refused (401); influxd restore takes no credentials, so neither must we.
TEST(RestoreWithoutTheHttpApi, RunsOverTheRpcAloneWhenNoneAnswersOrItNeedsCredentials) {
  if (listening_on_localhost(ifx::restore::kDefaultHttpPort))
    GTEST_SKIP() << "something listens on 127.0.0.1:8086, the default HTTP address";
  ASSERT_EQ(::unsetenv("INFLUX_USERNAME"), 0);
  ASSERT_EQ(::unsetenv("INFLUX_PASSWORD"), 0);
  {
    auto srv = InfluxdServer::start();
    ifx::restore::Options o;
    o.backup_dir = ifx::test::fixture("portable-db");
    o.host = srv->rpc_address();
    o.database = "plain";
    o.new_database = "plain_rpc_only";
    const std::string note = restore_over_rpc_alone(o);
    EXPECT_NE(note.find("RPC alone"), std::string::npos) << note;
    EXPECT_NE(note.find("no HTTP API answered at http://127.0.0.1:8086"), std::string::npos) << note;
    // Nothing waited for the data: poll until it answers, then compare every point.
    poll_count([&] { return count_values(*srv, "plain_rpc_only", "SELECT count(*) FROM /.*/"); },
               [](std::int64_t n) { return n == 1191 + 3600; });
    ifx::test::expect_matches_truth(*srv, ifx::test::load_truth("portable-db"), {"plain", "plain_rpc_only", {}, {}});
    // Again: the database now exists, which the served meta store shows.
    const auto shards_before = shard_count(*srv);
    auto again = ifx::restore::run(o);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ifx::ErrorCode::target_exists);
    EXPECT_NE(again.error().message.find("\"plain_rpc_only\" already exists"), std::string::npos)
        << again.error().message;
    o.new_database = "plain_rpc_count";
    o.count_values = true;
    auto counted = ifx::restore::run(o);
    ASSERT_FALSE(counted);
    EXPECT_EQ(counted.error().code, ifx::ErrorCode::http_unreachable);
    EXPECT_EQ(databases(*srv).count("plain_rpc_count"), 0u);
    EXPECT_EQ(shard_count(*srv), shards_before);
    // A failure after the import cannot be rolled back without HTTP: the message names what to drop.
    o.count_values = false;
    o.new_database = "plain_rpc_failed";
    o.after_shard_upload = [](std::size_t) -> ifx::Result<void> {
      return ifx::fail(ifx::ErrorCode::io, "injected failure");
    };
    auto failed = ifx::restore::run(o);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, ifx::ErrorCode::restore_failed);
    EXPECT_NE(failed.error().message.find("nothing could be rolled back: drop \"plain_rpc_failed\""), std::string::npos)
        << failed.error().message;
    EXPECT_EQ(databases(*srv).count("plain_rpc_failed"), 1u);
    o.after_shard_upload = nullptr;

    // 2. Port 8086 answers as Go's HTTPS server answers plain HTTP (400): not usable either.
    HttpsLookalike https(ifx::restore::kDefaultHttpPort);
    o.new_database = "plain_https";
    o.count_values = false;
    const std::string tls_note = restore_over_rpc_alone(o);
    EXPECT_NE(tls_note.find("cannot be used (GET http://127.0.0.1:8086/ping answered HTTP 400"), std::string::npos)
        << tls_note;
    EXPECT_GT(https.answered(), 0);
    EXPECT_EQ(databases(*srv).count("plain_https"), 1u);
  }
  // 3.
  ifx::test::InfluxdOptions so;
  so.http_auth = true;
  so.http_port = ifx::restore::kDefaultHttpPort;
  auto srv = InfluxdServer::start(so);
  ASSERT_EQ(srv->http_port(), ifx::restore::kDefaultHttpPort);
  ifx::restore::Options o;
  o.backup_dir = ifx::test::fixture("portable-db");
  o.host = srv->rpc_address();
  o.database = "plain";
  const std::string note = restore_over_rpc_alone(o);
  EXPECT_NE(note.find("needs credentials"), std::string::npos) << note;
  // The first user of an auth-enabled server may be created without credentials; with it, the
  // restored values are counted (polled: nothing waited for the data).
  auto q = [&](const std::string& query) {
    return ifx::test::http_request(srv->http_port(), "POST", "/query?u=admin&p=pw&db=plain",
                                   "q=" + ifx::test::url_encode(query), "application/x-www-form-urlencoded");
  };
  ASSERT_EQ(q("CREATE USER admin WITH PASSWORD 'pw' WITH ALL PRIVILEGES").status, 200);
  const auto counted = [&]() -> std::int64_t {
    auto doc = nlohmann::json::parse(q("SELECT count(*) FROM /.*/").body, nullptr, false);
    if (doc.is_discarded() || !doc.contains("results") || doc["results"].empty()) return -1;
    return sum_of_counts(doc["results"][0].value("series", nlohmann::json::array()));
  };
  EXPECT_EQ(poll_count(counted, [](std::int64_t n) { return n == 1191 + 3600; }), 1191 + 3600);
}

// Seed: "Restore data to a retention policy that already exists" (-rp -newrp), on the
// non-ASCII names with dots and quotes (PAX headers in the archives).
TEST_F(RestoreOnline, RetentionPolicyRenamedMatchesTruth) {
  auto o = options(ifx::test::fixture("portable-db-rp"));
  o.database = kWeird;
  o.new_database = "weird_copy";
  o.retention_policy = kWeirdRp;
  o.new_retention_policy = "rp new";
  auto report = restore_ok(o);
  EXPECT_EQ(report.shards.size(), 4u);
  auto rps = server_->series("SHOW RETENTION POLICIES ON weird_copy");
  ASSERT_EQ(rps.size(), 1u);
  ASSERT_EQ(rps[0]["values"].size(), 1u);  // the only RP, and the default (§5.3)
  EXPECT_EQ(rps[0]["values"][0][0], "rp new");
  EXPECT_EQ(rps[0]["values"][0][4], true);
  ifx::test::expect_matches_truth(*server_, ifx::test::load_truth("portable-db-rp"),
                                  {kWeird, "weird_copy", {{kWeirdRp, "rp new"}}, {}});
}

// Seed: "Restore a specific shard".
TEST_F(RestoreOnline, OneShardOfADatabase) {
  auto o = options(ifx::test::fixture("portable-db"));
  o.database = "plain";
  o.new_database = "plain_s9";
  o.retention_policy = "autogen";
  o.shard = 9;
  auto report = restore_ok(o);
  ASSERT_EQ(report.shards.size(), 1u);
  EXPECT_EQ(report.shards[0].source_id, 9u);
  ifx::test::expect_matches_truth(*server_, ifx::test::load_truth("portable-db-rp-shard"),
                                  {"plain", "plain_s9", {}, 9});
}

// A damaged archive is refused with verify's words before the server changes (influxd uploads
// what it can and leaves the database half restored).
TEST_F(RestoreOnline, DamagedArchiveRefusedBeforeAnyChange) {
  ScratchDir s("restore");
  fs::path dir = copy_fixture(s, "portable-db");
  const std::string archive = file_ending(dir, ".s9.tar.gz");
  {
    std::fstream f(dir / archive, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(dir / archive) - 8));  // gzip CRC-32 (§3.3)
    char c;
    f.read(&c, 1);
    f.seekp(-1, std::ios::cur);
    c ^= 0x01;
    f.write(&c, 1);
  }
  const auto before = databases(*server_);
  auto o = options(dir);
  o.database = "plain";
  o.new_database = "plain_damaged";
  auto r = ifx::restore::run(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::backup_damaged);
  EXPECT_EQ(r.error().file, archive);
  EXPECT_EQ(r.error().offset, fs::file_size(dir / archive) - 8);
  EXPECT_NE(r.error().message.find("gzip-crc"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("nothing on the server changed"), std::string::npos);
  EXPECT_EQ(databases(*server_), before);
}

// A shard file the manifest lists but the directory lacks: influxd skips it silently.
TEST_F(RestoreOnline, MissingManifestFileRefused) {
  ScratchDir s("restore");
  fs::path dir = copy_fixture(s, "portable-db");
  const std::string archive = file_ending(dir, ".s10.tar.gz");
  fs::remove(dir / archive);
  const auto before = databases(*server_);
  auto o = options(dir);
  o.database = "plain";
  o.new_database = "plain_missing";
  auto r = ifx::restore::run(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::backup_damaged);
  EXPECT_EQ(r.error().file, archive);
  EXPECT_NE(r.error().message.find("file-missing"), std::string::npos) << r.error().message;
  EXPECT_EQ(databases(*server_), before);
}

// A failure after the meta import (here: after the first upload) drops the database this run
// created and says so; the same command then simply works (influxd: "database may already
// exist", issue #15901).
TEST_F(RestoreOnline, FailureMidwayRollsBackAndRerunWorks) {
  auto o = options(ifx::test::fixture("portable-db"));
  o.database = "plain";
  o.new_database = "plain_rollback";
  o.after_shard_upload = [](std::size_t done) -> ifx::Result<void> {
    if (done == 1) return ifx::fail(ifx::ErrorCode::net_reset, "simulated: the connection was cut");
    return {};
  };
  auto r = ifx::restore::run(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::restore_failed);
  EXPECT_NE(r.error().message.find("simulated"), std::string::npos);
  EXPECT_NE(r.error().message.find("dropped database(s) plain_rollback"), std::string::npos) << r.error().message;
  EXPECT_FALSE(databases(*server_).count("plain_rollback"));

  o.after_shard_upload = {};
  restore_ok(o);
  ifx::test::expect_matches_truth(*server_, ifx::test::load_truth("portable-db"), {"plain", "plain_rollback", {}, {}});
}

// Seed legacy "Restore a database" (-online) and the since-chain (.00/.01 increments applied in
// order).
TEST_F(RestoreOnline, LegacyOnlineDatabaseAndIncrements) {
  auto o = options(ifx::test::fixture("legacy-db"));
  o.mode = ifx::restore::Mode::Online;
  o.database = "plain";
  o.new_database = "plain_legacy";
  restore_ok(o);
  ifx::test::expect_matches_truth(*server_, ifx::test::load_truth("legacy-db"), {"plain", "plain_legacy", {}, {}});

  auto c = options(ifx::test::fixture("legacy-since-chain"));
  c.mode = ifx::restore::Mode::Online;
  c.database = "inc";
  c.new_database = "inc_chain";
  auto report = restore_ok(c);
  std::size_t archives = 0;
  for (const auto& s : report.shards) archives += s.archives;
  EXPECT_EQ(archives, 4u);
  ifx::test::expect_matches_truth(*server_, ifx::test::load_truth("legacy-since-chain"), {"inc", "inc_chain", {}, {}});
}

// The documentation's legacy temp-database step, `influxd restore -db X -newdb Y DIR`, names no
// mode and assumes a running server: a legacy backup without -metadir/-datadir goes into the
// running server as -online does, and a note says so. A portable backup still needs -portable.
TEST_F(RestoreOnline, LegacyBackupWithoutAModeIsRestoredOnlineWithANote) {
  const auto ran = ifx::test::run_command({(ifx::test::build_dir() / "tools/ifx-restore").string(), "-db", "plain",
                                           "-newdb", "plain_no_mode", "-host", server_->rpc_address(), "--http",
                                           server_->http_url(), ifx::test::fixture("legacy-db").string()});
  EXPECT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  EXPECT_NE(ran.out.find("Finished online restore"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("note: neither -portable/-online nor -metadir/-datadir was given: this legacy backup is "
                         "restored into the running influxd at " +
                         server_->rpc_address()),
            std::string::npos)
      << ran.out;
  ifx::test::expect_matches_truth(*server_, ifx::test::load_truth("legacy-db"), {"plain", "plain_no_mode", {}, {}});

  auto p = options(ifx::test::fixture("portable-db"));
  p.mode = ifx::restore::Mode::Offline;  // what the command line gives without -portable/-online
  p.database = "plain";
  p.new_database = "plain_no_mode_portable";
  auto refused = ifx::restore::run(p);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ifx::ErrorCode::usage) << refused.error().describe();
}

// influxd 1.6.7 fails online on a database whose name holds a dot, after it changed the meta.
TEST_F(RestoreOnline, LegacyOnlineDottedDatabaseName) {
  auto o = options(ifx::test::fixture("legacy-db-rp"));
  o.mode = ifx::restore::Mode::Online;
  o.database = kWeird;
  restore_ok(o);
  ifx::test::expect_matches_truth(*server_, ifx::test::load_truth("legacy-db-rp"),
                                  {kWeird, kWeird, {{kWeirdRp, kWeirdRp}}, {}});
}

// Deleted points stay deleted (influxd's upload drops .tombstone files and they come back).
TEST_F(RestoreOnline, TombstonedPointsStayDeleted) {
  auto o = options(ifx::test::fixture("portable-tombstones"));
  o.database = "del";
  o.new_database = "del_copy";
  auto report = restore_ok(o);
  for (const auto& s : report.shards) EXPECT_TRUE(!s.tombstones || s.tombstones_applied) << s.source_id;
  ifx::test::expect_matches_truth(*server_, ifx::test::load_truth("portable-tombstones"), {"del", "del_copy", {}, {}});
}

// --cqs: the CQ comes back with the -newdb rename inside its text; -newduration sets the RP's.
TEST_F(RestoreOnline, ContinuousQueriesRenamedAndNewDuration) {
  auto o = options(ifx::test::fixture("portable-db"));
  o.database = "plain";
  o.new_database = "plain_cq";
  o.cqs = true;
  o.new_duration_ns = 90LL * 24 * 3600 * 1'000'000'000;
  auto report = restore_ok(o);
  ASSERT_EQ(report.continuous_queries.size(), 1u);
  std::string found;
  for (const auto& s : server_->series("SHOW CONTINUOUS QUERIES"))
    if (s["name"] == "plain_cq")
      for (const auto& row : s["values"]) found = row[1].get<std::string>();
  EXPECT_EQ(found,
            "CREATE CONTINUOUS QUERY \"cq ü\" ON plain_cq BEGIN SELECT mean(usage) INTO "
            "plain_cq.autogen.cpu_1h FROM plain_cq.autogen.cpu GROUP BY time(1h), * END");
  auto rps = server_->series("SHOW RETENTION POLICIES ON plain_cq");
  ASSERT_EQ(rps.size(), 1u);
  EXPECT_EQ(rps[0]["values"][0][1], "2160h0m0s");
}

// --dry-run verifies and plans; the server stays as it was.
TEST_F(RestoreOnline, DryRunChangesNothing) {
  const auto before = databases(*server_);
  auto o = options(ifx::test::fixture("portable-db"));
  o.database = "plain";
  o.new_database = "plain_dry";
  o.dry_run = true;
  auto report = restore_ok(o);
  EXPECT_TRUE(report.dry_run);
  ASSERT_EQ(report.shards.size(), 2u);
  EXPECT_EQ(report.shards[0].status, "planned");
  EXPECT_EQ(databases(*server_), before);
  // The shards planned per retention policy, and no made-up server shard ID.
  ASSERT_EQ(report.databases.size(), 1u);
  std::size_t planned = 0;
  for (const auto& rp : report.databases[0].retention_policies) planned += rp.shards;
  EXPECT_EQ(planned, 2u);
  const std::string text = ifx::restore::to_text(report);
  EXPECT_NE(text.find("   9  -  plain_dry/autogen"), std::string::npos) << text;

  o.merge = true;
  o.new_database = "plain_dry_merge";
  auto merge = restore_ok(o);
  planned = 0;
  for (const auto& rp : merge.databases.at(0).retention_policies) planned += rp.shards;
  EXPECT_EQ(planned, 2u);
  EXPECT_EQ(databases(*server_), before);
}

// --merge into a database holding overlapping data gives the union, the backup's values winning
// for the same series, field and time (as the documentation's SELECT … INTO workaround would).
TEST_F(RestoreOnline, MergeIntoExistingDatabaseGivesTheUnion) {
  const auto truth = ifx::test::load_truth("portable-db");
  std::string first_cpu_line;
  for (const auto& d : truth["data"])
    if (d["measurement"] == "cpu")
      for (const auto& l : d["line_protocol"])
        if (first_cpu_line.empty() && l.get<std::string>().find('\\') == std::string::npos) first_cpu_line = l;
  ASSERT_FALSE(first_cpu_line.empty());
  server_->create_database("merged");
  // A point the backup also has (different value) and one it does not.
  const std::string series = first_cpu_line.substr(0, first_cpu_line.find(' '));
  const std::string t = first_cpu_line.substr(first_cpu_line.rfind(' ') + 1);
  server_->write("merged", std::vector<std::string>{"only_here v=42 1000", series + " extra_field=7i " + t});
  auto o = options(ifx::test::fixture("portable-db"));
  o.database = "plain";
  o.new_database = "merged";
  o.merge = true;
  auto report = restore_ok(o);
  EXPECT_EQ(report.values_written, 1191u + 3600u);  // one line per value
  const std::string text = ifx::restore::to_text(report);
  EXPECT_NE(text.find("Values written over HTTP: 4791 (one line per field value)"), std::string::npos) << text;
  EXPECT_EQ(text.find("Points written"), std::string::npos) << text;
  const auto j = ifx::restore::to_json(report);
  EXPECT_EQ(j["points_written"], 4791);  // the key scripts read, kept
  EXPECT_EQ(j["values_written"], 4791);
  // Each merged shard names the server's shards its values went into.
  std::set<std::uint64_t> server_ids;
  for (const auto& sh : server_->series("SHOW SHARDS"))
    if (sh["name"] == "merged")
      for (const auto& row : sh["values"]) server_ids.insert(row[0].get<std::uint64_t>());
  ASSERT_EQ(report.shards.size(), 2u);
  for (const auto& sh : report.shards) {
    ASSERT_FALSE(sh.merged_into.empty()) << sh.source_id;
    EXPECT_EQ(sh.id, sh.merged_into.front());
    for (auto id : sh.merged_into) EXPECT_TRUE(server_ids.count(id)) << id;
    EXPECT_NE(text.find(fmt::format("{}  {}", sh.source_id, fmt::join(sh.merged_into, ","))), std::string::npos)
        << text;
  }
  EXPECT_EQ(count_values(*server_, "merged", "SELECT count(*) FROM only_here"), 1);
  // cpu: the truth's values plus the one extra field on an existing point.
  EXPECT_EQ(count_values(*server_, "merged", "SELECT count(*) FROM cpu"), 1191 + 1);
  EXPECT_EQ(count_values(*server_, "merged", "SELECT count(*) FROM dense"), 3600);
}

int run_command(const std::string& cmd) {
  const int status = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Two portable backups into one directory, the second with -since: influxd's restore keeps only
// the newest file per shard (docs/FORMATS.md §3.6) and loses the first backup's points; the chain is
// applied oldest → newest here.
TEST_F(RestoreOnline, PortableIncrementalChainMerged) {
  ScratchDir s("restore-chain");
  const fs::path dir = s / "chain";
  server_->create_database("inc_src");
  std::vector<std::string> first, second;
  for (int i = 0; i < 50; ++i) first.push_back("m,host=a v=" + std::to_string(i) + " " + std::to_string(1000 + i));
  for (int i = 0; i < 30; ++i) second.push_back("m,host=a v=" + std::to_string(i) + " " + std::to_string(5000 + i));
  server_->write("inc_src", first);
  const std::string backup = "/usr/bin/influxd backup -portable -db inc_src -host " + server_->rpc_address() + " '" +
                             dir.string() + "'";
  ASSERT_EQ(run_command(backup), 0);
  // The portable base name is the wall-clock second (§3.1): the second run needs a new one.
  const auto t0 = std::chrono::system_clock::now();
  const auto sec = std::chrono::floor<std::chrono::seconds>(t0);
  std::this_thread::sleep_until(sec + std::chrono::milliseconds(1100));
  const std::string since = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", sec + std::chrono::seconds(1));
  server_->write("inc_src", second);
  ASSERT_EQ(run_command(backup.substr(0, backup.rfind(" '")) + " -since " + since + " '" + dir.string() + "'"), 0);
  std::size_t manifests = 0;
  for (const auto& e : fs::directory_iterator(dir)) manifests += e.path().extension() == ".manifest";
  ASSERT_EQ(manifests, 2u);

  auto o = options(dir);
  o.database = "inc_src";
  o.new_database = "inc_ours";
  auto report = restore_ok(o);
  ASSERT_EQ(report.shards.size(), 1u);
  EXPECT_EQ(report.shards[0].archives, 2u);
  EXPECT_EQ(count_values(*server_, "inc_ours", "SELECT count(*) FROM m"), 80);

  // influxd's own restore of the same directory, for contrast: only the newest file survives.
  ASSERT_EQ(run_command("/usr/bin/influxd restore -portable -db inc_src -newdb inc_stock -host " +
                        server_->rpc_address() + " '" + dir.string() + "'"),
            0);
  // influxd returns before its data can be queried: "shard is disabled", or no rows yet while the
  // uploaded shard opens. Poll until it holds the 30 points (or 10 s: then the last answer).
  EXPECT_EQ(poll_count([&] { return count_values(*server_, "inc_stock", "SELECT count(*) FROM m"); },
                       [](std::int64_t n) { return n == 30; }),
            30);
}

// The binary, with a seed command line as written (plus where the test server listens).
TEST_F(RestoreOnline, SeedCommandLineThroughTheBinary) {
  const std::string cmd = (ifx::test::build_dir() / "tools/ifx-restore").string() +
                          " -portable -db plain -newdb plain_cli -host " + server_->rpc_address() + " --http " +
                          server_->http_url() + " --count --json '" + ifx::test::fixture("portable-db").string() +
                          "' 2>/dev/null";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = ::pclose(p);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["mode"], "portable");
  EXPECT_EQ(j["databases"][0]["target"], "plain_cli");
  EXPECT_EQ(j["databases"][0]["retention_policies"][0]["values"], 1191 + 3600);  // --count
  ifx::test::expect_matches_truth(*server_, ifx::test::load_truth("portable-db"), {"plain", "plain_cli", {}, {}});
}

// Query-text renames for --cqs, on their own.
TEST(RestoreRenameInQuery, DatabaseAndRetentionPolicyParts) {
  using ifx::restore::rename_in_query;
  EXPECT_EQ(rename_in_query("CREATE CONTINUOUS QUERY cq ON db BEGIN SELECT mean(v) INTO db.rp.m2 FROM db.rp.m "
                            "GROUP BY time(1h) END",
                            "db", "new db", {{"rp", "rp2"}}),
            "CREATE CONTINUOUS QUERY cq ON \"new db\" BEGIN SELECT mean(v) INTO \"new db\".rp2.m2 FROM "
            "\"new db\".rp2.m GROUP BY time(1h) END");
  // A measurement or field named like the database is left alone; so are strings and regexes.
  EXPECT_EQ(rename_in_query("CREATE CONTINUOUS QUERY db ON \"db\" BEGIN SELECT db INTO rp.db FROM /db/ WHERE "
                            "t = 'db' GROUP BY time(1h) END",
                            "db", "x", {{"rp", "r"}}),
            "CREATE CONTINUOUS QUERY db ON x BEGIN SELECT db INTO r.db FROM /db/ WHERE t = 'db' GROUP BY "
            "time(1h) END");
}

// Portable "Restore all databases": every database of portable-all, on a server of its own.
TEST(RestoreAllDatabases, PortableAllMatchesTruth) {
  auto srv = InfluxdServer::start();
  ifx::restore::Options o;
  o.mode = ifx::restore::Mode::Portable;
  o.backup_dir = ifx::test::fixture("portable-all");
  o.host = srv->rpc_address();
  o.http_url = srv->http_url();
  o.users = true;
  auto r = ifx::restore::run(o);
  ASSERT_TRUE(r) << r.error().describe() << "\n" << srv->log_tail();
  const auto truth = ifx::test::load_truth("portable-all");
  std::set<std::string> with_data;
  for (const auto& d : truth["data"]) with_data.insert(d["database"].get<std::string>());
  for (const auto& db : with_data) {
    SCOPED_TRACE(db);
    bool tombstoned = false;
    for (const auto& s : r->shards) tombstoned |= s.database == db && s.tombstones && !s.tombstones_applied;
    if (tombstoned) continue;
    ifx::test::expect_matches_truth(*srv, truth, {db, db, {}, {}});
  }
  std::set<std::string> expected;
  for (const auto& d : truth["databases"]) expected.insert(d["name"].get<std::string>());
  EXPECT_EQ(databases(*srv), expected);
}

// A server with the default [monitor] config writes `_internal`, and a backup of every database
// holds it. Restoring everything leaves it out, as influxd's meta import does (the target has its
// own), and says so; -db _internal -newdb NAME restores it under another name.
TEST(RestoreAllDatabases, InternalDatabaseLeftOutWithANoteAndRestorableUnderANewName) {
  ifx::test::InfluxdOptions with_monitor;
  with_monitor.monitor_store = true;
  auto source = InfluxdServer::start(with_monitor);
  source->create_database("app");
  source->write("app", std::string_view("m v=1 1000000000\nm v=2 2000000000\n"));
  ASSERT_GT(poll_count([&] { return count_values(*source, "_internal", "SELECT count(*) FROM runtime"); },
                       [](std::int64_t n) { return n > 0; }),
            0)
      << "the source never wrote _internal";
  ScratchDir scratch;
  const auto backup = scratch / "all";
  const auto ran = ifx::test::run_command({(ifx::test::build_dir() / "tools/ifx-backup").string(), "-portable", "-host",
                                           source->rpc_address(), backup.string()});
  ASSERT_EQ(ran.exit_code, 0) << ran.err << ran.out;

  auto target = InfluxdServer::start();
  ifx::restore::Options o;
  o.backup_dir = backup;
  o.host = target->rpc_address();
  o.http_url = target->http_url();
  auto r = ifx::restore::run(o);
  ASSERT_TRUE(r) << r.error().describe() << "\n" << target->log_tail();
  EXPECT_EQ(databases(*target), std::set<std::string>{"app"});
  EXPECT_EQ(count_values(*target, "app", "SELECT count(*) FROM m"), 2);
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_NE(r->notes[0].find("\"_internal\" (the server's own monitoring) is left out"), std::string::npos)
      << r->notes[0];

  o.database = "_internal";
  o.new_database = "monitoring_of_source";
  auto mon = ifx::restore::run(o);
  ASSERT_TRUE(mon) << mon.error().describe();
  EXPECT_GT(count_values(*target, "monitoring_of_source", "SELECT count(*) FROM runtime"), 0);
}

}  // namespace
