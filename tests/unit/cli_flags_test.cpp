// The Go-style flag shim: every spelling an influxd command line uses must parse the same.
#include "common/cli.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

struct Parsed {
  std::string db, rp, start, dir;
  bool portable = false;
  int jobs = 0;
  int exit_code = -1;
  bool ok = false;
};

Parsed parse(std::vector<const char*> args) {
  Parsed p;
  CLI::App app{"test", "ifx-test"};
  app.add_option("--db,--database", p.db);
  app.add_option("--rp,--retention", p.rp);
  app.add_option("--start", p.start);
  app.add_flag("--portable", p.portable);
  app.add_option("-j,--jobs", p.jobs);
  app.add_option("dir", p.dir)->required();
  args.insert(args.begin(), "ifx-test");
  p.ok = ifx::cli::parse(app, static_cast<int>(args.size()), args.data(), p.exit_code);
  return p;
}

TEST(GoFlags, SingleDashWithSpaceSeparatedValue) {
  auto p = parse({"-portable", "-db", "example-db", "-rp", "autogen", "/backup"});
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.portable);
  EXPECT_EQ(p.db, "example-db");
  EXPECT_EQ(p.rp, "autogen");
  EXPECT_EQ(p.dir, "/backup");
}

TEST(GoFlags, EqualsAndDoubleDashForms) {
  auto p = parse({"-db=a", "--rp", "r", "--start=2022-01-01T00:00:00Z", "-portable=true", "d"});
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.db, "a");
  EXPECT_EQ(p.rp, "r");
  EXPECT_EQ(p.start, "2022-01-01T00:00:00Z");
  EXPECT_TRUE(p.portable);
}

TEST(GoFlags, InfluxdAliasesMapToTheSameOption) {
  auto p = parse({"-database", "x", "-retention", "y", "d"});
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.db, "x");
  EXPECT_EQ(p.rp, "y");
}

TEST(GoFlags, AValueThatStartsWithADashStaysAValue) {
  // Go gives "-weird" to -db because -db takes a value; so must we.
  auto p = parse({"-db", "-weird", "d"});
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.db, "-weird");
}

TEST(GoFlags, ShortFlagsAreLeftToCli11) {
  auto p = parse({"-j", "4", "d"});
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.jobs, 4);
}

TEST(GoFlags, UnknownFlagIsAUsageError) {
  auto p = parse({"-nosuchflag", "d"});
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.exit_code, ifx::cli::kUsage);
}

TEST(GoFlags, MissingDirectoryIsAUsageError) {
  auto p = parse({"-db", "x"});
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.exit_code, ifx::cli::kUsage);
}

}  // namespace
