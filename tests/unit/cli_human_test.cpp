#include "common/human.hpp"

#include <gtest/gtest.h>

#include <limits>

using namespace ifx::cli;

TEST(Rfc3339, EpochAndFractions) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(1600000000000000000), "2020-09-13T12:26:40Z");
  EXPECT_EQ(format_rfc3339(1500000000500000000), "2017-07-14T02:40:00.5Z");
  EXPECT_EQ(format_rfc3339(1), "1970-01-01T00:00:00.000000001Z");
}

TEST(Rfc3339, BeforeTheEpochAndAtTheInt64Limits) {
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(format_rfc3339(-86400000000000), "1969-12-31T00:00:00Z");
  EXPECT_EQ(format_rfc3339(std::numeric_limits<std::int64_t>::min()), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(format_rfc3339(std::numeric_limits<std::int64_t>::max()), "2262-04-11T23:47:16.854775807Z");
}

TEST(GoDuration, AsInfluxShowsRetentionPolicies) {
  EXPECT_EQ(format_go_duration(0), "0s");
  EXPECT_EQ(format_go_duration(604800000000000), "168h0m0s");
  EXPECT_EQ(format_go_duration(5400000000000), "1h30m0s");
  EXPECT_EQ(format_go_duration(90000000000), "1m30s");
  EXPECT_EQ(format_go_duration(1500000000), "1.5s");
}

TEST(Bytes, Units) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(format_bytes(23u << 20), "23.0 MiB");
}

TEST(Table, AlignsColumnsByCodePoints) {
  Table t({"name", "bytes"}, {false, true});
  t.add_row({"é", "1"});
  t.add_row({"abc", "100"});
  EXPECT_EQ(t.render(), "name  bytes\né         1\nabc     100\n");
}
