// Go's encoding/json text (text/go_json.hpp): strings as json.Marshal escapes them (manifests
// §3.4, snapshotter requests §1.4) and float64 as its encoder lays them out (/query answers).
#include "ifx/format/text/go_json.hpp"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>

namespace {

using ifx::text::format_go_json_float;

std::string go_json_escape(std::string_view s) {
  std::string out;
  ifx::text::append_go_json_string_body(out, s);
  return out;
}

// ---- strings -------------------------------------------------------------------------------

TEST(GoJsonEscape, EscapesLikeEncodingJson) {
  EXPECT_EQ(go_json_escape("plain"), "plain");
  EXPECT_EQ(go_json_escape("<a&b>"), "\\u003ca\\u0026b\\u003e");
  EXPECT_EQ(go_json_escape("q\"b\\"), "q\\\"b\\\\");
  EXPECT_EQ(go_json_escape("\n\r\t"), "\\n\\r\\t");
  EXPECT_EQ(go_json_escape(std::string("\x01\x1f\x08\x0c", 4)), "\\u0001\\u001f\\u0008\\u000c");
  EXPECT_EQ(go_json_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(go_json_escape("a\xe2\x80\xa8z\xe2\x80\xa9"), "a\\u2028z\\u2029");
  EXPECT_EQ(go_json_escape("\xff"), "\\ufffd");
  EXPECT_EQ(go_json_escape("\xc3"), "\\ufffd");                               // truncated sequence
  EXPECT_EQ(go_json_escape("\xc0\xaf"), "\\ufffd\\ufffd");                    // overlong '/'
  EXPECT_EQ(go_json_escape("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");         // surrogate
  EXPECT_EQ(go_json_escape(std::string("\x7f", 1)), std::string("\x7f", 1));  // DEL is kept
}

TEST(GoJsonEscape, NulAndTheRestOfTheControlBytes) {
  EXPECT_EQ(go_json_escape(std::string("a\0b", 3)), "a\\u0000b");
  EXPECT_EQ(go_json_escape("\x1b[0m"), "\\u001b[0m");
  EXPECT_EQ(go_json_escape("/'"), "/'");  // neither is escaped by Go
}

TEST(GoJsonEscape, InvalidBytesAmongValidRunes) {
  // Each byte that starts no valid sequence becomes one \ufffd; the valid runes around it stay.
  EXPECT_EQ(go_json_escape("\xe2\x82x\xc3\xa9"), "\\ufffd\\ufffdx\xc3\xa9");
  EXPECT_EQ(go_json_escape("\xf4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");      // > U+10FFFF
  EXPECT_EQ(go_json_escape("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf");                  // U+10FFFF
  EXPECT_EQ(go_json_escape("\xe2\x80\xa7\xe2\x80\xaa"), "\xe2\x80\xa7\xe2\x80\xaa");  // U+2027, U+202A
}

TEST(GoJsonString, AddsTheQuotesAndAppends) {
  std::string out = "k:";
  ifx::text::append_go_json_string(out, "a\"<b>");
  ifx::text::append_go_json_string(out, "");
  EXPECT_EQ(out, "k:\"a\\\"\\u003cb\\u003e\"\"\"");
}

// ---- float64 -------------------------------------------------------------------------------

TEST(GoJsonFloat, PlainBetweenOneMillionthAndOneE21) {
  EXPECT_EQ(format_go_json_float(1e-6), "0.000001");
  EXPECT_EQ(format_go_json_float(1.5e-6), "0.0000015");
  EXPECT_EQ(format_go_json_float(1e6), "1000000");
  EXPECT_EQ(format_go_json_float(1234567.0), "1234567");
  EXPECT_EQ(format_go_json_float(1e20), "100000000000000000000");
  EXPECT_EQ(format_go_json_float(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(format_go_json_float(0.1), "0.1");
  EXPECT_EQ(format_go_json_float(-12.34), "-12.34");
  EXPECT_EQ(format_go_json_float(3.0), "3");
  EXPECT_EQ(format_go_json_float(0.0), "0");
  EXPECT_EQ(format_go_json_float(-0.0), "-0");
}

TEST(GoJsonFloat, ExponentFormOutsideWithNegativeExponentZeroStripped) {
  EXPECT_EQ(format_go_json_float(1e-7), "1e-7");
  EXPECT_EQ(format_go_json_float(9.99e-7), "9.99e-7");
  EXPECT_EQ(format_go_json_float(1.5e-10), "1.5e-10");
  EXPECT_EQ(format_go_json_float(5e-324), "5e-324");
  EXPECT_EQ(format_go_json_float(1e21), "1e+21");
  EXPECT_EQ(format_go_json_float(-1.5e22), "-1.5e+22");
  EXPECT_EQ(format_go_json_float(DBL_MAX), "1.7976931348623157e+308");
}

TEST(GoJsonFloat, NonFiniteValuesAsFormatFloatWritesThem) {
  // Go refuses to encode these (JSON has no such numbers); what is written is strconv's text.
  EXPECT_EQ(format_go_json_float(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_go_json_float(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_go_json_float(std::nan("")), "NaN");
}

TEST(GoJsonFloat, TwoAndThreeDigitExponentsKeptWhole) {
  EXPECT_EQ(format_go_json_float(1e-10), "1e-10");
  EXPECT_EQ(format_go_json_float(2.5e-100), "2.5e-100");
  EXPECT_EQ(format_go_json_float(1e100), "1e+100");
  EXPECT_EQ(format_go_json_float(-9.99e-7), "-9.99e-7");
  EXPECT_EQ(format_go_json_float(0.1 + 0.2), "0.30000000000000004");
}

TEST(GoJsonFloat, Appends) {
  std::string out = "[";
  ifx::text::append_go_json_float(out, 1.5);
  out.push_back(',');
  ifx::text::append_go_json_float(out, 1e-7);
  EXPECT_EQ(out, "[1.5,1e-7");
}

}  // namespace
