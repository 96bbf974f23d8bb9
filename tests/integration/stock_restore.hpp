// The stock `influxd restore -portable DIR` into a fresh server, held against the server the
// backup came from: every point of each database, as database_answer gives it. Header-only, for
// the integration tests of backups that influxd must restore as they are.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/influxd.hpp"
#include "support/run.hpp"
#include "support/server_data.hpp"

namespace ifx::test {

// Restores `dir` with influxd into a server started for it; the test fails unless the restore
// exits 0 and the server then answers for each of `databases` what `source` answers.
inline void expect_stock_restore_matches(InfluxdServer& source, const std::filesystem::path& dir,
                                         const std::vector<std::string>& databases) {
  auto target = InfluxdServer::start();
  const Ran restored = run_command(
      {influxd_binary(), "restore", "-portable", "-host", target->rpc_address(), dir.string()});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  for (const auto& db : databases) {
    const std::string expected = database_answer(source, db);
    EXPECT_EQ(database_answer_once(*target, db, expected), expected) << db;
  }
}

}  // namespace ifx::test
