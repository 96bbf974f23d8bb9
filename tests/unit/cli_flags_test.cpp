// The Go-style flag shim: every spelling an influxd command line uses must parse the same; and
// the values of time and duration flags.
#include "common/cli.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
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

// A usage error's text on stderr and stdout (the --json envelope), for a tool whose -j is checked
// as every tool's is.
struct UsageError {
  std::string err, out;
  int exit_code = -1;
};

UsageError usage_error(std::vector<const char*> args) {
  std::string db, dir;
  unsigned jobs = 0;
  bool json = false;
  CLI::App app{"test", "ifx-test"};
  app.add_option("--db,--database", db);
  app.add_flag("--json", json);
  ifx::cli::add_jobs_option(app, jobs, "jobs");
  app.add_option("dir", dir)->required();
  args.insert(args.begin(), "ifx-test");
  UsageError u;
  testing::internal::CaptureStderr();
  testing::internal::CaptureStdout();
  EXPECT_FALSE(ifx::cli::parse(app, static_cast<int>(args.size()), args.data(), u.exit_code));
  u.out = testing::internal::GetCapturedStdout();
  u.err = testing::internal::GetCapturedStderr();
  return u;
}

TEST(GoFlags, UsageErrorsNameFlagsAsTheUserTypedThem) {
  EXPECT_THAT(usage_error({"-dbx", "x", "d"}).err, testing::HasSubstr("unknown option -dbx\n"));
  EXPECT_THAT(usage_error({"--dbx=1", "d"}).err, testing::HasSubstr("unknown option --dbx\n"));
  EXPECT_THAT(usage_error({"-j", "0", "d"}).err, testing::HasSubstr("-j: the number of jobs must be"));
  EXPECT_THAT(usage_error({"-jobs", "0", "d"}).err, testing::HasSubstr("-jobs: the number of jobs must be"));
  EXPECT_THAT(usage_error({"d", "e"}).err, testing::HasSubstr("unexpected argument e"));
}

TEST(GoFlags, UsageErrorIsTheJsonEnvelopeWithJson) {
  auto u = usage_error({"-json", "-dbx", "d"});
  EXPECT_EQ(u.exit_code, ifx::cli::kUsage);
  auto j = nlohmann::json::parse(u.out);
  EXPECT_EQ(j["tool"], "ifx-test");
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["exit_code"], 2);
  EXPECT_EQ(j["error"]["code"], "usage");
  EXPECT_EQ(j["error"]["message"], "unknown option -dbx");
  EXPECT_EQ(usage_error({"-dbx", "d"}).out, "");  // without --json, stdout stays empty
}

TEST(GoFlags, MissingDirectoryIsAUsageError) {
  auto p = parse({"-db", "x"});
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.exit_code, ifx::cli::kUsage);
}

// ---- values of time and duration flags -------------------------------------------------------

constexpr std::int64_t kSecond = 1'000'000'000LL;

TEST(DurationFlag, GoSpellingsAndDays) {
  EXPECT_EQ(ifx::cli::parse_duration_flag("26h"), 26 * 3600 * kSecond);
  EXPECT_EQ(ifx::cli::parse_duration_flag("1.5h"), 5400 * kSecond);
  EXPECT_EQ(ifx::cli::parse_duration_flag("2d"), 48 * 3600 * kSecond);
  EXPECT_EQ(ifx::cli::parse_duration_flag("1ns"), 1);
}

TEST(DurationFlag, RejectsWhatIsNotAPositiveDuration) {
  for (const char* bad : {"", "26", "h", "3x", "-1h", "1h-", "0s", "1..2h", "99999999999h", "0", "-0"}) {
    auto r = ifx::cli::parse_duration_flag(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ifx::ErrorCode::usage) << bad;
    EXPECT_NE(r.error().message.find(std::string("\"") + bad + "\""), std::string::npos) << r.error().message;
  }
}

TEST(TimeFlag, KeepsTheOffsetAndNamesTheFlagOnError) {
  auto t = ifx::cli::parse_time_flag("-start", "2024-01-01T01:00:00.5+01:00");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->unix_ns, 1704067200500000000);
  EXPECT_EQ(t->utc_offset_seconds, 3600);
  auto bad = ifx::cli::parse_time_flag("-end", "2024-01-01");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ifx::ErrorCode::usage);
  EXPECT_TRUE(bad.error().message.starts_with("-end: time \"2024-01-01\"")) << bad.error().message;
}

}  // namespace
