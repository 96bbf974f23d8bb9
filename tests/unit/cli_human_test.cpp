#include "common/human.hpp"

#include <gtest/gtest.h>

using namespace ifx::cli;

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
