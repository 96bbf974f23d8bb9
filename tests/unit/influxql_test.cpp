// InfluxQL text (text/influxql.hpp): identifiers as influxql.QuoteIdent writes them, duration
// literals as influxql.FormatDuration does.
#include "ifx/format/text/influxql.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace {

TEST(QuoteInfluxqlIdent, BareOnlyForPlainNonKeywords) {
  EXPECT_EQ(ifx::text::quote_influxql_ident("db0"), "db0");
  EXPECT_EQ(ifx::text::quote_influxql_ident("_internal"), "_internal");
  EXPECT_EQ(ifx::text::quote_influxql_ident("autogen"), "autogen");
  EXPECT_EQ(ifx::text::quote_influxql_ident("my db"), "\"my db\"");
  EXPECT_EQ(ifx::text::quote_influxql_ident("1st"), "\"1st\"");
  EXPECT_EQ(ifx::text::quote_influxql_ident("a-b"), "\"a-b\"");
  EXPECT_EQ(ifx::text::quote_influxql_ident(""), "\"\"");
  EXPECT_EQ(ifx::text::quote_influxql_ident("select"), "\"select\"");
  EXPECT_EQ(ifx::text::quote_influxql_ident("Default"), "\"Default\"");
  EXPECT_EQ(ifx::text::quote_influxql_ident("TRUE"), "\"TRUE\"");
  EXPECT_EQ(ifx::text::quote_influxql_ident("selection"), "selection");
  EXPECT_EQ(ifx::text::quote_influxql_ident("r\"p\\x\ny"), "\"r\\\"p\\\\x\\ny\"");
  EXPECT_EQ(ifx::text::quote_influxql_ident("d\xc3\xa9"), "\"d\xc3\xa9\"");
}

TEST(FormatInfluxqlDuration, LargestExactUnit) {
  constexpr std::int64_t s = 1'000'000'000;
  EXPECT_EQ(ifx::text::format_influxql_duration(0), "0s");
  EXPECT_EQ(ifx::text::format_influxql_duration(168 * 3600 * s), "1w");
  EXPECT_EQ(ifx::text::format_influxql_duration(24 * 3600 * s), "1d");
  EXPECT_EQ(ifx::text::format_influxql_duration(25 * 3600 * s), "25h");
  EXPECT_EQ(ifx::text::format_influxql_duration(90 * 60 * s), "90m");
  EXPECT_EQ(ifx::text::format_influxql_duration(61 * s), "61s");
  EXPECT_EQ(ifx::text::format_influxql_duration(1'500'000'000), "1500ms");
  EXPECT_EQ(ifx::text::format_influxql_duration(3'000), "3u");
  EXPECT_EQ(ifx::text::format_influxql_duration(7), "7ns");
}

TEST(QuoteInfluxqlIdent, EveryKeywordInAnyCaseIsQuoted) {
  for (const char* keyword :
       {"all", "IN", "inf", "Subscriptions", "and", "OR", "false", "name", "duration", "key", "write"}) {
    EXPECT_EQ(ifx::text::quote_influxql_ident(keyword), std::string("\"") + keyword + "\"");
  }
  EXPECT_EQ(ifx::text::quote_influxql_ident("subscriptionsx"), "subscriptionsx");
  EXPECT_EQ(ifx::text::quote_influxql_ident("_"), "_");
  EXPECT_EQ(ifx::text::quote_influxql_ident("a1_B"), "a1_B");
}

TEST(FormatInfluxqlDuration, NegativeAndExtremes) {
  constexpr std::int64_t s = 1'000'000'000;
  EXPECT_EQ(ifx::text::format_influxql_duration(-7 * 24 * 3600 * s), "-1w");
  EXPECT_EQ(ifx::text::format_influxql_duration(std::numeric_limits<std::int64_t>::max()), "9223372036854775807ns");
  EXPECT_EQ(ifx::text::format_influxql_duration(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808ns");
}

}  // namespace
