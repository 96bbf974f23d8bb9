// Go's strconv.FormatFloat(v, 'g', -1, 64) (text/go_float.hpp), as influx_inspect export writes
// float fields (docs/FORMATS.md §8.3). Expected strings are what Go 1.x produces.
#include "ifx/format/text/go_float.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>

namespace {

using ifx::text::format_go_float;

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(FormatGoFloat, SpecRowsExponentForm) {
  EXPECT_EQ(format_go_float(1e6), "1e+06");
  EXPECT_EQ(format_go_float(1234567.0), "1.234567e+06");
  EXPECT_EQ(format_go_float(1e-5), "1e-05");
  EXPECT_EQ(format_go_float(5e-324), "5e-324");
  EXPECT_EQ(format_go_float(DBL_MAX), "1.7976931348623157e+308");
  EXPECT_EQ(format_go_float(-DBL_MAX), "-1.7976931348623157e+308");
}

TEST(FormatGoFloat, SpecRowsPlainForm) {
  EXPECT_EQ(format_go_float(100000.0), "100000");
  EXPECT_EQ(format_go_float(0.0001), "0.0001");
  EXPECT_EQ(format_go_float(123456.0), "123456");
  EXPECT_EQ(format_go_float(999999.9), "999999.9");
  EXPECT_EQ(format_go_float(-0.5), "-0.5");
  EXPECT_EQ(format_go_float(3.0), "3");
}

TEST(FormatGoFloat, ThresholdIsSixNotTwentyOne) {
  EXPECT_EQ(format_go_float(1e21), "1e+21");
  EXPECT_EQ(format_go_float(1e20), "1e+20");
  EXPECT_EQ(format_go_float(1600000000.0), "1.6e+09");
  EXPECT_EQ(format_go_float(999999.0), "999999");
  EXPECT_EQ(format_go_float(1000000.5), "1.0000005e+06");
  EXPECT_EQ(format_go_float(-1e6), "-1e+06");
}

TEST(FormatGoFloat, SmallValuesAroundMinusFour) {
  EXPECT_EQ(format_go_float(0.00012345), "0.00012345");
  EXPECT_EQ(format_go_float(0.000012345), "1.2345e-05");
  EXPECT_EQ(format_go_float(-0.0001), "-0.0001");
  EXPECT_EQ(format_go_float(2.2250738585072014e-308), "2.2250738585072014e-308");
  EXPECT_EQ(format_go_float(1e-100), "1e-100");
}

TEST(FormatGoFloat, ShortestDigits) {
  EXPECT_EQ(format_go_float(0.1), "0.1");
  EXPECT_EQ(format_go_float(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(format_go_float(2.0 / 3.0), "0.6666666666666666");
  EXPECT_EQ(format_go_float(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(format_go_float(1.5), "1.5");
  EXPECT_EQ(format_go_float(123.456), "123.456");
  EXPECT_EQ(format_go_float(9007199254740993.0), "9.007199254740992e+15");
}

TEST(FormatGoFloat, Specials) {
  EXPECT_EQ(format_go_float(kInf), "+Inf");
  EXPECT_EQ(format_go_float(-kInf), "-Inf");
  EXPECT_EQ(format_go_float(std::nan("")), "NaN");
  EXPECT_EQ(format_go_float(-std::nan("")), "NaN");
  EXPECT_EQ(format_go_float(0.0), "0");
  EXPECT_EQ(format_go_float(-0.0), "-0");
}

TEST(FormatGoFloat, AppendsWithoutTouchingWhatIsThere) {
  std::string out = "x=";
  ifx::text::append_go_float(out, 1e6);
  ifx::text::append_go_float(out, 0.5);
  EXPECT_EQ(out, "x=1e+060.5");
}

// Independent oracle: the shortest %.Ne that strtod reads back to the same bits.
int shortest_significant_digits(double v) {
  char buf[64];
  for (int precision = 0; precision < 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision, v);
    if (std::strtod(buf, nullptr) == v) return precision + 1;
  }
  return 17;
}

TEST(FormatGoFloat, RandomDoublesRoundTripWithShortestDigitsAndGoLayout) {
  std::mt19937_64 rng(20240611);
  int checked = 0;
  while (checked < 10000) {
    const double v = std::bit_cast<double>(rng());
    if (!std::isfinite(v) || v == 0) continue;
    ++checked;
    const std::string text = format_go_float(v);
    char* end = nullptr;
    const double back = std::strtod(text.c_str(), &end);
    ASSERT_EQ(end, text.c_str() + text.size()) << text;
    ASSERT_EQ(std::bit_cast<std::uint64_t>(back), std::bit_cast<std::uint64_t>(v)) << text;

    // Digits: count the significant ones in the text; layout: exponent form exactly when the
    // decimal exponent is < -4 or >= 6.
    const int exponent = static_cast<int>(std::floor(std::log10(std::fabs(back))));
    std::string mantissa = text.substr(0, text.find('e'));
    std::string digits;
    for (char c : mantissa) {
      if (c >= '0' && c <= '9') digits.push_back(c);
    }
    digits.erase(0, digits.find_first_not_of('0'));
    if (text.find('e') == std::string::npos) {
      digits.erase(digits.find_last_not_of('0') + 1);  // "100000" has one significant digit
    }
    ASSERT_EQ(static_cast<int>(digits.size()), shortest_significant_digits(v)) << text;
    // log10 can be off by one right at powers of ten; the text's own exponent settles it there.
    const bool exponent_form = text.find('e') != std::string::npos;
    if (exponent > -4 && exponent < 5) {
      ASSERT_FALSE(exponent_form) << text;
    }
    if (exponent < -5 || exponent > 6) {
      ASSERT_TRUE(exponent_form) << text;
    }
    if (exponent_form) {
      const int written = std::atoi(text.c_str() + text.find('e') + 1);
      ASSERT_TRUE(written < -4 || written >= 6) << text;
      ASSERT_GE(text.size() - text.find('e'), 4u) << "at least two exponent digits: " << text;
    }
  }
}

}  // namespace
