// PrometheusTextfile: the exposition text (HELP/TYPE, escapes, sorted, values Prometheus reads
// back exactly), names it refuses, and the file: written atomically, 0644 whatever the umask, a
// dead writer's NAME.pending taken over; and reading samples back.
#include "ifx/format/io/prometheus_textfile.hpp"

#include <sys/stat.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/paths.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::format_prometheus_value;
using ifx::PrometheusLabels;
using ifx::PrometheusTextfile;
using ifx::test::read_file;
using ifx::test::ScratchDir;
using ifx::test::write_file;
using ::testing::HasSubstr;

TEST(PrometheusTextfile, RendersFamiliesAndSamplesSorted) {
  PrometheusTextfile m;
  m.set_gauge("b_metric", "Second.", {{"z", "1"}, {"a", "2"}}, 3);
  m.set_gauge("a_metric", "First.", {{"x", "b"}}, 2);
  m.set_gauge("a_metric", "Another help is ignored.", {{"x", "a"}}, 1);
  m.set_gauge("c_metric", "No labels.", {}, 0.5);
  m.set_gauge("a_metric", "", {{"x", "b"}}, 4);  // the same series again: the new value
  EXPECT_EQ(m.render(),
            "# HELP a_metric First.\n"
            "# TYPE a_metric gauge\n"
            "a_metric{x=\"a\"} 1\n"
            "a_metric{x=\"b\"} 4\n"
            "# HELP b_metric Second.\n"
            "# TYPE b_metric gauge\n"
            "b_metric{a=\"2\",z=\"1\"} 3\n"
            "# HELP c_metric No labels.\n"
            "# TYPE c_metric gauge\n"
            "c_metric 0.5\n");
}

TEST(PrometheusTextfile, EscapesLabelValuesAndHelp) {
  PrometheusTextfile m;
  m.set_gauge("m", "back\\slash \"quoted\"\nnext line", {{"path", "/a\\b\"c\nd"}}, 1);
  EXPECT_EQ(m.render(),
            "# HELP m back\\\\slash \"quoted\"\\nnext line\n"
            "# TYPE m gauge\n"
            "m{path=\"/a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(PrometheusTextfile, ReplacesBytesThatAreNotUtf8) {
  PrometheusTextfile m;
  m.set_gauge("m", "h", {{"path", "/caf\xc3\xa9/\xff/x"}}, 1);
  EXPECT_THAT(m.render(), HasSubstr("m{path=\"/caf\xc3\xa9/\xef\xbf\xbd/x\"} 1\n"));
}

TEST(PrometheusTextfile, FormatsValuesPrometheusReadsBackExactly) {
  EXPECT_EQ(format_prometheus_value(0), "0");
  EXPECT_EQ(format_prometheus_value(-0.0), "0");
  EXPECT_EQ(format_prometheus_value(1), "1");
  EXPECT_EQ(format_prometheus_value(-7), "-7");
  EXPECT_EQ(format_prometheus_value(1767225600), "1767225600");                     // a timestamp, whole seconds
  EXPECT_EQ(format_prometheus_value(123456789012345.0), "123456789012345");         // bytes
  EXPECT_EQ(format_prometheus_value(9007199254740992.0), "9.007199254740992e+15");  // 2^53: no longer exact
  EXPECT_EQ(format_prometheus_value(0.25), "0.25");
  EXPECT_EQ(format_prometheus_value(12.345), "12.345");
  EXPECT_EQ(format_prometheus_value(1e-7), "1e-07");
  EXPECT_EQ(format_prometheus_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_prometheus_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_prometheus_value(std::nan("")), "NaN");
  for (double v : {0.1, 1.0 / 3, 1767225600.123456, 2.5e300, 5e-324}) {
    const std::string text = format_prometheus_value(v);
    double back = 0;
    std::from_chars(text.data(), text.data() + text.size(), back);
    EXPECT_EQ(back, v) << text;
  }
}

TEST(PrometheusTextfile, RefusesNamesPrometheusDoesNotAccept) {
  ScratchDir dir;
  for (const auto& [name, label] : {std::pair{"9starts_with_digit", "ok"}, std::pair{"has-dash", "ok"},
                                    std::pair{"ok_name", "__reserved"}, std::pair{"ok_name", "has:colon"}}) {
    PrometheusTextfile m;
    m.set_gauge("fine", "h", {}, 1);
    m.set_gauge(name, "h", {{label, "v"}}, 1);
    EXPECT_EQ(m.render(), "# HELP fine h\n# TYPE fine gauge\nfine 1\n") << name << " " << label;
    auto r = m.write(dir / "x.prom");
    ASSERT_FALSE(r) << name << " " << label;
    EXPECT_EQ(r.error().code, ifx::ErrorCode::invalid_argument);
    EXPECT_FALSE(fs::exists(dir / "x.prom"));
  }
  PrometheusTextfile colon;
  colon.set_gauge("job:rule_name", "h", {{"_label9", "v"}}, 1);  // both legal
  EXPECT_TRUE(colon.write(dir / "ok.prom"));
}

TEST(PrometheusTextfile, WritesAtomicallyWithMode0644WhateverTheUmask) {
  ScratchDir dir;
  const fs::path file = dir / "ifxkit.prom";
  write_file(file, "old content\n");
  PrometheusTextfile m;
  m.set_gauge("m", "h", {{"l", "v"}}, 2);
  const mode_t old_umask = ::umask(077);
  auto r = m.write(file);
  ::umask(old_umask);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(read_file(file), m.render());
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(ifx::test::names_in(dir.path()), std::vector<std::string>{"ifxkit.prom"});  // no temporary left
}

TEST(PrometheusTextfile, TakesOverThePendingFileADeadWriterLeft) {
  ScratchDir dir;
  const fs::path file = dir / "ifxkit.prom";
  write_file(dir / "ifxkit.prom.pending", "half a fi");
  PrometheusTextfile m;
  m.set_gauge("m", "h", {}, 1);
  auto r = m.write(file);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(read_file(file), "# HELP m h\n# TYPE m gauge\nm 1\n");
  EXPECT_EQ(ifx::test::names_in(dir.path()), std::vector<std::string>{"ifxkit.prom"});
}

TEST(PrometheusTextfile, FailsWithTheReasonWhenTheDirectoryIsMissing) {
  ScratchDir dir;
  PrometheusTextfile m;
  m.set_gauge("m", "h", {}, 1);
  auto r = m.write(dir / "missing" / "ifxkit.prom");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::io);
  EXPECT_THAT(r.error().describe(), HasSubstr("missing/ifxkit.prom"));
}

TEST(PrometheusTextfile, ReadsBackWhatItWrote) {
  ScratchDir dir;
  PrometheusTextfile m;
  const PrometheusLabels tricky{{"host", "db1:8088"}, {"repository", "/r\\e\"p\no"}};
  m.set_gauge("ifxkit_a", "h", tricky, 1767225600);
  m.set_gauge("ifxkit_a", "h", {{"host", ""}, {"repository", "/other"}}, 0.125);
  m.set_gauge("ifxkit_b", "h", {}, -std::numeric_limits<double>::infinity());
  ASSERT_TRUE(m.write(dir / "m.prom"));
  auto samples = ifx::read_prometheus_textfile(dir / "m.prom");
  ASSERT_TRUE(samples) << samples.error().describe();
  ASSERT_EQ(samples->size(), 3u);
  auto values = [&](std::string_view name, const PrometheusLabels& having) {
    std::vector<double> out;
    for (const auto* s : ifx::find_prometheus_samples(*samples, name, having)) out.push_back(s->value);
    return out;
  };
  EXPECT_EQ(values("ifxkit_a", tricky), std::vector<double>{1767225600});
  EXPECT_EQ(values("ifxkit_a", {{"repository", "/other"}}), std::vector<double>{0.125});
  EXPECT_EQ(values("ifxkit_a", {}), (std::vector<double>{0.125, 1767225600}));  // in file order
  EXPECT_EQ(values("ifxkit_b", {}), std::vector<double>{-std::numeric_limits<double>::infinity()});
  EXPECT_TRUE(values("ifxkit_a", {{"host", "db2:8088"}}).empty());
  EXPECT_TRUE(values("ifxkit_c", {}).empty());
}

TEST(PrometheusTextfile, ReadsWhatOtherWritersWrite) {
  ScratchDir dir;
  write_file(dir / "other.prom",
             "# a comment\n"
             "\n"
             "  # HELP x y\n"
             "x{a=\"1\",b=\"two\",} +Inf 1700000000000\n"
             "y 1.5e+09\n"
             "z\t-3\n"
             "nan_value NaN\n");
  auto samples = ifx::read_prometheus_textfile(dir / "other.prom");
  ASSERT_TRUE(samples) << samples.error().describe();
  ASSERT_EQ(samples->size(), 4u);
  EXPECT_EQ(samples->at(0).labels, (PrometheusLabels{{"a", "1"}, {"b", "two"}}));
  EXPECT_EQ(samples->at(0).value, std::numeric_limits<double>::infinity());
  EXPECT_EQ(samples->at(1).value, 1.5e9);
  EXPECT_EQ(samples->at(2).value, -3);
  EXPECT_TRUE(std::isnan(samples->at(3).value));
  auto none = ifx::read_prometheus_textfile(dir / "absent.prom");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  for (const char* bad : {"x{a=\"1\" 1\n", "x 1 2 3\n", "x{a=\"\\t\"} 1\n", "x one\n", "{a=\"1\"} 1\n"}) {
    write_file(dir / "bad.prom", bad);
    auto r = ifx::read_prometheus_textfile(dir / "bad.prom");
    ASSERT_FALSE(r) << bad;
    EXPECT_THAT(r.error().message, HasSubstr("line 1")) << bad;
  }
}

}  // namespace
