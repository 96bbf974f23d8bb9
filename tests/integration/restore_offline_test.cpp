// ifx-restore offline (-metadir/-datadir) against a real influxd 1.6.7's own directories: refused
// while the server runs, shard 10 lands in directory 10 (influxd's restore trims it to "1",
// docs/FORMATS.md §4.7), users and CQs come back with the meta, and a second restore moves what it
// replaces aside, out of the data directory that influxd loads.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ifx-restore/restore.hpp"
#include "restore_truth.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::test::InfluxdServer;

std::set<std::string> tree(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out.insert(fs::relative(e.path(), dir).string());
  return out;
}

ifx::restore::Options offline_options(InfluxdServer& srv) {
  ifx::restore::Options o;
  o.mode = ifx::restore::Mode::Offline;
  o.backup_dir = ifx::test::fixture("legacy-db");
  o.database = "plain";
  o.meta_dir = srv.meta_dir();
  o.data_dir = srv.data_dir();
  return o;
}

TEST(RestoreOffline, LegacyDatabaseShardTenUsersAndCqs) {
  auto srv = InfluxdServer::start();
  srv->create_database("other");
  srv->write("other", std::string_view("m v=1 1\n"));

  // While influxd runs on these directories: refused, nothing touched.
  const auto data_before = tree(srv->data_dir());
  const std::string meta_before = ifx::test::read_file(srv->meta_dir() / "meta.db");
  auto running = ifx::restore::run(offline_options(*srv));
  ASSERT_FALSE(running);
  EXPECT_EQ(running.error().code, ifx::ErrorCode::server_running);
  EXPECT_NE(running.error().message.find("stop influxd"), std::string::npos) << running.error().message;
  EXPECT_EQ(tree(srv->data_dir()), data_before);
  EXPECT_EQ(ifx::test::read_file(srv->meta_dir() / "meta.db"), meta_before);

  // Seed: "Restore a database" offline.
  srv->stop();
  auto r = ifx::restore::run(offline_options(*srv));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(fs::is_directory(srv->data_dir() / "plain/autogen/10"));
  EXPECT_TRUE(fs::is_directory(srv->data_dir() / "plain/autogen/9"));
  EXPECT_FALSE(fs::exists(srv->data_dir() / "plain/autogen/1"));
  ASSERT_EQ(r->moved_aside.size(), 1u);  // the old meta.db
  EXPECT_NE(r->moved_aside[0].find("meta.db.ifx-replaced-"), std::string::npos);
  // The server's database the restored meta store does not have is named, its directory kept;
  // no shard was replaced, so nothing is said about their WAL.
  const std::string notes = fmt::format("{}", fmt::join(r->notes, "\n"));
  EXPECT_NE(notes.find("database directories the restored meta store does not have: \"other\""), std::string::npos)
      << notes;
  EXPECT_TRUE(fs::is_directory(srv->data_dir() / "other"));
  EXPECT_EQ(notes.find("WAL"), std::string::npos) << notes;

  srv->restart();
  const auto truth = ifx::test::load_truth("legacy-db");
  ifx::test::expect_matches_truth(*srv, truth, {"plain", "plain", {}, {}});
  // The meta came back whole, as influxd's offline restore does (§4.7): users, grants, CQs.
  std::set<std::string> users, expected_users;
  for (const auto& s : srv->series("SHOW USERS"))
    for (const auto& row : s["values"]) users.insert(row[0].get<std::string>());
  for (const auto& u : truth["users"]) expected_users.insert(u["name"].get<std::string>());
  EXPECT_EQ(users, expected_users);
  std::size_t cqs = 0;
  for (const auto& s : srv->series("SHOW CONTINUOUS QUERIES")) cqs += s.value("values", nlohmann::json::array()).size();
  EXPECT_EQ(cqs, truth["continuous_queries"].size());

  // Seed: "Restore a specific shard" offline, over the restored one: the old directory is moved
  // out of the data directory (influxd loads everything in it) into a sibling of it, and the data
  // is still exactly the truth.
  srv->stop();
  auto o = offline_options(*srv);
  o.retention_policy = "autogen";
  o.shard = 10;
  o.meta_dir.clear();
  auto again = ifx::restore::run(o);
  ASSERT_TRUE(again) << again.error().describe();
  ASSERT_EQ(again->moved_aside.size(), 1u);
  EXPECT_EQ(tree(srv->data_dir() / "plain/autogen").count("10"), 1u);
  for (const auto& e : fs::directory_iterator(srv->data_dir() / "plain/autogen"))
    EXPECT_TRUE(e.path().filename() == "9" || e.path().filename() == "10") << e.path();
  fs::path aside;
  for (const auto& e : fs::directory_iterator(srv->work_dir()))
    if (e.path().filename().string().starts_with("data.ifx-replaced-")) aside = e.path();
  ASSERT_FALSE(aside.empty()) << again->moved_aside[0];
  EXPECT_TRUE(fs::is_directory(aside / "plain/autogen/10"));
  EXPECT_NE(again->moved_aside[0].find(" → " + (aside / "plain/autogen/10").string()), std::string::npos)
      << again->moved_aside[0];
  const std::string notes_again = fmt::format("{}", fmt::join(again->notes, "\n"));
  EXPECT_NE(notes_again.find("the shard directories into " + aside.string() + ", outside the data directory"),
            std::string::npos)
      << notes_again;
  EXPECT_NE(notes_again.find("WAL segments of the replaced shards"), std::string::npos) << notes_again;
  srv->restart();
  // influxd found nothing in the data directory that is not a shard.
  EXPECT_EQ(ifx::test::read_file(srv->log_path()).find("invalid shard ID"), std::string::npos);
  ifx::test::expect_matches_truth(*srv, truth, {"plain", "plain", {}, {}});
}

}  // namespace
