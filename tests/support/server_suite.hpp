// One real influxd (support/influxd.hpp) shared by every test of a suite: started before the
// suite's first test, stopped after its last. `Suite` is the deriving fixture, so each suite has a
// server of its own. A suite that needs data in it starts the server first:
//
//   class BackupFaults : public ifx::test::ServerSuite<BackupFaults> {
//    protected:
//     static void SetUpTestSuite() {
//       ServerSuite::SetUpTestSuite();
//       server_->create_database("faults");
//       server_->write("faults", weekly_points(4, 2000, [](int i) { return fmt::format("cpu v={}", i); }));
//     }
//   };
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "support/influxd.hpp"

namespace ifx::test {

template <class Suite>
class ServerSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = InfluxdServer::start(); }
  static void TearDownTestSuite() { server_.reset(); }
  static inline std::unique_ptr<InfluxdServer> server_;
};

}  // namespace ifx::test
