// Line protocol output (docs/FORMATS.md §8) and stored series keys (§6.4), byte for byte as
// influx_inspect export writes them. Go's float, time and InfluxQL text have their own tests
// (go_float_test, rfc3339_test, influxql_test).
#include "ifx/format/text/line_protocol.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "support/paths.hpp"

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- Escaping (§8.2) -------------------------------------------------------------------------

template <class Fn>
std::string escaped(Fn fn, std::string_view s) {
  std::string out;
  fn(out, s);
  return out;
}

TEST(Escaping, MeasurementEscapesCommaAndSpaceOnly) {
  EXPECT_EQ(escaped(ifx::lp::append_escaped_measurement, "we,ird meas=x\"\\"), "we\\,ird\\ meas=x\"\\");
  EXPECT_EQ(escaped(ifx::lp::append_escaped_measurement, "cpu"), "cpu");
  EXPECT_EQ(escaped(ifx::lp::append_escaped_measurement, ", "), "\\,\\ ");
}

TEST(Escaping, TagEscapesCommaSpaceEquals) {
  EXPECT_EQ(escaped(ifx::lp::append_escaped_tag, "t=k"), "t\\=k");
  EXPECT_EQ(escaped(ifx::lp::append_escaped_tag, "v,1 x"), "v\\,1\\ x");
  EXPECT_EQ(escaped(ifx::lp::append_escaped_tag, "a\"b\\c"), "a\"b\\c");
}

TEST(Escaping, FieldKeyEscapesQuoteButNotBackslash) {
  EXPECT_EQ(escaped(ifx::lp::append_escaped_field_key, "f k=,\""), "f\\ k\\=\\,\\\"");
  EXPECT_EQ(escaped(ifx::lp::append_escaped_field_key, "back\\slash"), "back\\slash");
}

TEST(Escaping, StringValueEscapesQuoteAndBackslash) {
  EXPECT_EQ(escaped(ifx::lp::append_escaped_string_value, "str 2 \"q\" \\ x"), "str 2 \\\"q\\\" \\\\ x");
  EXPECT_EQ(escaped(ifx::lp::append_escaped_string_value, "a,b c=d"), "a,b c=d");
  EXPECT_EQ(escaped(ifx::lp::append_escaped_string_value, ""), "");
}

// ---- Series keys (§6.4) ----------------------------------------------------------------------

TEST(ParseSeriesKey, VerifiedWeirdKey) {
  auto key = ifx::lp::parse_series_key("we\\,ird\\ meas,t\\=k=v\\,1\\ x");
  ASSERT_TRUE(key.has_value()) << key.error().message;
  EXPECT_EQ(key->measurement, "we,ird meas");
  ASSERT_EQ(key->tags.size(), 1u);
  EXPECT_EQ(key->tags[0].first, "t=k");
  EXPECT_EQ(key->tags[0].second, "v,1 x");
}

TEST(ParseSeriesKey, PlainKeysAndSeveralTags) {
  auto bare = ifx::lp::parse_series_key("cpu");
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->measurement, "cpu");
  EXPECT_TRUE(bare->tags.empty());

  auto key = ifx::lp::parse_series_key("cpu,host=a,region=us\\ west");
  ASSERT_TRUE(key.has_value());
  const std::vector<std::pair<std::string, std::string>> want = {{"host", "a"}, {"region", "us west"}};
  EXPECT_EQ(key->tags, want);
}

TEST(ParseSeriesKey, BackslashesThatEscapeNothingStayLiteral) {
  // Measurement: `\=` is not a measurement escape; `\\` is two backslashes; `\\,` is a backslash
  // then an escaped comma (InfluxDB treats a delimiter after a backslash as escaped).
  auto key = ifx::lp::parse_series_key("m\\=\\\\x\\\\,t\\a=v\\\\\\,w\\");
  ASSERT_TRUE(key.has_value()) << key.error().message;
  EXPECT_EQ(key->measurement, "m\\=\\\\x\\,t\\a=v\\\\,w\\");
  EXPECT_TRUE(key->tags.empty());

  auto tagged = ifx::lp::parse_series_key("m,k\\x=v\\y\\");
  ASSERT_TRUE(tagged.has_value()) << tagged.error().message;
  EXPECT_EQ(tagged->tags.at(0).first, "k\\x");
  EXPECT_EQ(tagged->tags.at(0).second, "v\\y\\");
}

TEST(ParseSeriesKey, UnescapedEqualsInsideValueIsKeptAndEmptyValuesSkipped) {
  auto key = ifx::lp::parse_series_key("m,a=b=c,e=,f=g");
  ASSERT_TRUE(key.has_value()) << key.error().message;
  const std::vector<std::pair<std::string, std::string>> want = {{"a", "b=c"}, {"f", "g"}};
  EXPECT_EQ(key->tags, want);
}

TEST(ParseSeriesKey, RejectsMalformedKeysWithOffsets) {
  struct Case {
    std::string_view key;
    std::uint64_t offset;
    std::string_view words;
  };
  const Case cases[] = {
      {"", 0, "is empty"},
      {",t=v", 0, "empty measurement"},
      {"cpu usage", 3, "unescaped space"},
      {"cpu,t=a b", 7, "unescaped space"},
      {"cpu,t a=b", 5, "unescaped space"},
      {"cpu,novalue", 4, "without `=`"},
      {"cpu,a=b,", 8, "without `=`"},
      {"cpu,a=b,c", 8, "without `=`"},
      {"cpu,=v", 4, "empty key"},
  };
  for (const Case& c : cases) {
    auto key = ifx::lp::parse_series_key(c.key);
    ASSERT_FALSE(key.has_value()) << c.key;
    EXPECT_EQ(key.error().code, ifx::ErrorCode::invalid_argument) << c.key;
    EXPECT_EQ(key.error().offset, c.offset) << c.key;
    EXPECT_NE(key.error().message.find(c.words), std::string::npos) << key.error().message;
  }
}

TEST(ParseSeriesKey, LongKeyIsShortenedInTheMessage) {
  const std::string key = std::string(5000, 'm') + " x";
  auto parsed = ifx::lp::parse_series_key(key);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().offset, 5000u);
  EXPECT_LT(parsed.error().message.size(), 500u);
  EXPECT_NE(parsed.error().message.find("m…\" has an unescaped space at byte 5000"), std::string::npos)
      << parsed.error().message;
}

TEST(MakeSeriesKey, SortsTagsOmitsEmptyValuesAndRoundTrips) {
  const ifx::lp::SeriesKey key{"we,ird meas", {{"z", "1"}, {"t=k", "v,1 x"}, {"e", ""}}};
  const std::string text = ifx::lp::make_series_key(key);
  EXPECT_EQ(text, "we\\,ird\\ meas,t\\=k=v\\,1\\ x,z=1");
  auto back = ifx::lp::parse_series_key(text);
  ASSERT_TRUE(back.has_value());
  const ifx::lp::SeriesKey canonical{"we,ird meas", {{"t=k", "v,1 x"}, {"z", "1"}}};
  EXPECT_EQ(*back, canonical);
}

// ---- Lines (§8.1) ----------------------------------------------------------------------------

TEST(LineWriter, VerifiedRoundTripExample) {
  // docs/FORMATS.md §8.2: composite key `we\,ird\ meas,t\=k=v\,1\ x#!~#f k=,"`.
  std::string out;
  ifx::lp::LineWriter writer(out);
  writer.select_field("we\\,ird\\ meas,t\\=k=v\\,1\\ x", "f k=,\"");
  writer.write_float(1.5, 1600000000000000000);
  writer.select_field("we\\,ird\\ meas,t\\=k=v\\,1\\ x", "s");
  writer.write_string("str 2 \"q\" \\ x", 1600000000000000000);
  EXPECT_EQ(out,
            "we\\,ird\\ meas,t\\=k=v\\,1\\ x f\\ k\\=\\,\\\"=1.5 1600000000000000000\n"
            "we\\,ird\\ meas,t\\=k=v\\,1\\ x s=\"str 2 \\\"q\\\" \\\\ x\" 1600000000000000000\n");
}

TEST(LineWriter, EveryValueTypeAndTimestampExtremes) {
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  std::string out;
  ifx::lp::LineWriter writer(out);
  writer.select_field("m,t=a", "v");
  writer.write_integer(kMin, kMin);
  writer.write_integer(kMax, kMax);
  writer.write_integer(-700, -1);
  writer.write_unsigned(std::numeric_limits<std::uint64_t>::max(), 0);
  writer.write_boolean(true, 1);
  writer.write_boolean(false, 2);
  writer.write_float(3.0, 3);
  writer.write_float(-kInf, 4);
  EXPECT_EQ(out,
            "m,t=a v=-9223372036854775808i -9223372036854775808\n"
            "m,t=a v=9223372036854775807i 9223372036854775807\n"
            "m,t=a v=-700i -1\n"
            "m,t=a v=18446744073709551615u 0\n"
            "m,t=a v=true 1\n"
            "m,t=a v=false 2\n"
            "m,t=a v=3 3\n"
            "m,t=a v=-Inf 4\n");
}

TEST(LineWriter, WriteValueMatchesTypedWriters) {
  std::string typed, generic;
  ifx::lp::LineWriter a(typed), b(generic);
  a.select_field("m", "f");
  b.select_field("m", "f");
  a.write_float(1e21, 5);
  b.write_value(1e21, 5);
  a.write_integer(-1, 5);
  b.write_value(std::int64_t{-1}, 5);
  a.write_unsigned(7, 5);
  b.write_value(std::uint64_t{7}, 5);
  a.write_boolean(true, 5);
  b.write_value(true, 5);
  a.write_string("x\"", 5);
  b.write_value(std::string_view("x\""), 5);
  EXPECT_EQ(typed, generic);
  EXPECT_EQ(typed, "m f=1e+21 5\nm f=-1i 5\nm f=7u 5\nm f=true 5\nm f=\"x\\\"\" 5\n");
}

TEST(LineWriter, TabsAndUtf8PassThroughStrings) {
  std::string out;
  ifx::lp::LineWriter writer(out);
  writer.select_field("m", "t\xc3\xa9mp\tk");
  writer.write_string("a\tb \xe2\x9c\x93 \xc3\xa9", 10);
  EXPECT_EQ(out, "m t\xc3\xa9mp\tk=\"a\tb \xe2\x9c\x93 \xc3\xa9\" 10\n");
}

TEST(LineWriter, PointWithSeveralFieldsInGivenOrder) {
  std::string out;
  ifx::lp::LineWriter writer(out);
  const ifx::lp::Field fields[] = {
      {"a b", 0.25}, {"c", std::int64_t{-3}}, {"d", std::uint64_t{4}}, {"e", false}, {"s", std::string_view("q\"\\")},
  };
  writer.write_point("cpu,host=h\\ 1", fields, -1600000000000000000);
  writer.write_point("cpu", std::span<const ifx::lp::Field>{}, 1);  // nothing: no field
  EXPECT_EQ(out,
            "cpu,host=h\\ 1 a\\ b=0.25,c=-3i,d=4u,e=false,s=\"q\\\"\\\\\" "
            "-1600000000000000000\n");
}

TEST(LineWriter, ReselectingAFieldReplacesThePrefix) {
  std::string out;
  ifx::lp::LineWriter writer(out);
  writer.select_field("a-very-long-series-key,with=tags", "first");
  writer.select_field("m", "f");
  writer.write_float(0.5, 1);
  EXPECT_EQ(out, "m f=0.5 1\n");
}

// ---- Framing (§8.4) --------------------------------------------------------------------------

TEST(ExportFraming, FullPreambleAsInfluxInspectWritesIt) {
  std::string out;
  ifx::lp::append_export_header(out, std::numeric_limits<std::int64_t>::min(),
                                std::numeric_limits<std::int64_t>::max());
  ifx::lp::append_ddl_marker(out);
  ifx::lp::append_create_database(out, "db0", "autogen");
  ifx::lp::append_create_database(out, "my db", "rp\"1");
  ifx::lp::append_dml_marker(out);
  ifx::lp::append_context(out, "my db", "rp\"1");
  ifx::lp::append_tsm_marker(out);
  ifx::lp::append_wal_marker(out);
  EXPECT_EQ(out,
            "# INFLUXDB EXPORT: 1677-09-21T00:12:43Z - 2262-04-11T23:47:16Z\n"
            "# DDL\n"
            "CREATE DATABASE db0 WITH NAME autogen\n"
            "CREATE DATABASE \"my db\" WITH NAME \"rp\\\"1\"\n"
            "# DML\n"
            "# CONTEXT-DATABASE:my db\n"
            "# CONTEXT-RETENTION-POLICY:rp\"1\n"
            "# writing tsm data\n"
            "# writing wal data\n");
}

TEST(ExportFraming, HeaderFloorsToWholeSeconds) {
  std::string out;
  ifx::lp::append_export_header(out, -1, 1600000000999999999);
  EXPECT_EQ(out, "# INFLUXDB EXPORT: 1969-12-31T23:59:59Z - 2020-09-13T12:26:40Z\n");
}

TEST(ExportFraming, RetentionClausesInParserOrder) {
  constexpr std::int64_t hour = 3600LL * 1'000'000'000;
  std::string out;
  ifx::lp::append_create_database(out, "db", "rp", {0, 1, 168 * hour});
  ifx::lp::append_create_database(out, "db", "weekly", {168 * hour, std::nullopt, 24 * hour});
  ifx::lp::append_create_database(out, "db", "short", {90 * 60 * 1'000'000'000LL, 2, {}});
  EXPECT_EQ(out,
            "CREATE DATABASE db WITH DURATION INF REPLICATION 1 SHARD DURATION 1w NAME rp\n"
            "CREATE DATABASE db WITH DURATION 1w SHARD DURATION 1d NAME weekly\n"
            "CREATE DATABASE db WITH DURATION 90m REPLICATION 2 NAME short\n");
}

// ---- Real data: the line_protocol of every fixtures/*.truth.json -------------------------------
// Those lines were taken from a live influxd's query answers (fixtures/README.md); decoding each
// line into its parts and writing it again with LineWriter must give the same bytes.

// Unescapes a field key (`\,` `\ ` `\=` `\"`; other backslashes literal).
std::string unescape_field_key(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool escape = s[i] == '\\' && i + 1 < s.size() &&
                        std::string_view(", =\"").find(s[i + 1]) != std::string_view::npos;
    if (escape) ++i;
    out.push_back(s[i]);
  }
  return out;
}

// Splits `key fields time` and the fields into (key, value) with values decoded; strings live in
// `strings` (a deque: growing it moves nothing) so the string_views in `values` stay valid.
void decode_line(std::string_view line, std::string& series_key, std::vector<std::string>& names,
                 std::deque<std::string>& strings, std::vector<ifx::lp::FieldValue>& values, std::int64_t& t) {
  std::size_t i = 1;                                     // a measurement is never empty
  while (!(line[i] == ' ' && line[i - 1] != '\\')) ++i;  // first unescaped space
  series_key.assign(line.substr(0, i));
  const std::size_t time_at = line.rfind(' ');
  t = std::stoll(std::string(line.substr(time_at + 1)));
  std::string_view rest = line.substr(i + 1, time_at - i - 1);
  names.clear();
  strings.clear();
  values.clear();
  std::size_t p = 0;
  while (p < rest.size()) {
    std::size_t eq = p + 1;  // nor is a field key
    while (!(rest[eq] == '=' && rest[eq - 1] != '\\')) ++eq;
    names.push_back(unescape_field_key(rest.substr(p, eq - p)));
    p = eq + 1;
    if (rest[p] == '"') {
      std::string text;
      for (++p; rest[p] != '"'; ++p) {
        if (rest[p] == '\\' && (rest[p + 1] == '"' || rest[p + 1] == '\\')) ++p;
        text.push_back(rest[p]);
      }
      ++p;  // closing quote
      strings.push_back(std::move(text));
      values.emplace_back(std::string_view(strings.back()));
    } else {
      const std::size_t end = std::min(rest.find(',', p), rest.size());
      const std::string text(rest.substr(p, end - p));
      p = end;
      if (text == "true" || text == "false") {
        values.emplace_back(text == "true");
      } else if (text.back() == 'i') {
        values.emplace_back(static_cast<std::int64_t>(std::stoll(text)));
      } else if (text.back() == 'u') {
        values.emplace_back(static_cast<std::uint64_t>(std::stoull(text)));
      } else {
        values.emplace_back(std::strtod(text.c_str(), nullptr));
      }
    }
    if (p < rest.size()) ++p;  // ','
  }
}

TEST(TruthFixtures, EveryLineIsRewrittenByteForByte) {
  std::size_t lines = 0, floats = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ifx::test::fixtures_dir())) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".truth.json")) continue;
    const auto truth = nlohmann::json::parse(ifx::test::read_file(entry.path()));
    for (const auto& data : truth.at("data")) {
      if (data.at("line_protocol").is_null()) continue;
      for (const auto& line_json : data.at("line_protocol")) {
        const std::string line = line_json.get<std::string>();
        std::string series_key;
        std::vector<std::string> names;
        std::deque<std::string> strings;
        std::vector<ifx::lp::FieldValue> values;
        std::int64_t t = 0;
        decode_line(line, series_key, names, strings, values, t);

        auto parsed = ifx::lp::parse_series_key(series_key);
        ASSERT_TRUE(parsed.has_value()) << name << ": " << parsed.error().message;
        EXPECT_EQ(parsed->measurement, data.at("measurement").get<std::string>()) << line;
        EXPECT_EQ(ifx::lp::make_series_key(*parsed), series_key) << name << ": " << line;

        std::vector<ifx::lp::Field> fields;
        for (std::size_t f = 0; f < names.size(); ++f) {
          fields.push_back({names[f], values[f]});
          floats += std::holds_alternative<double>(values[f]);
        }
        std::string out;
        ifx::lp::LineWriter(out).write_point(series_key, fields, t);
        EXPECT_EQ(out, line + "\n") << name;
        ++lines;
      }
    }
  }
  EXPECT_GT(lines, 1000u) << "the truth fixtures hold some 3500 lines";
  EXPECT_GT(floats, 100u);
}

}  // namespace
