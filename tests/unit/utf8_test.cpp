// UTF-8 as Go's unicode/utf8.DecodeRune reads it (text/utf8.hpp): the rule behind encoding/json's
// \ufffd and the manifest reader's replacement of invalid bytes.
#include "ifx/format/text/utf8.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace {

using ifx::text::decode_rune;

TEST(DecodeRune, ValidRunesOfEveryLength) {
  EXPECT_EQ(decode_rune("A", 0).rune, U'A');
  EXPECT_EQ(decode_rune("A", 0).length, 1u);
  EXPECT_EQ(decode_rune(std::string_view("\0", 1), 0).length, 1u);
  EXPECT_EQ(decode_rune("\x7f", 0).length, 1u);
  EXPECT_EQ(decode_rune("\xc2\x80", 0).rune, U'\u0080');
  EXPECT_EQ(decode_rune("\xc3\xa9", 0).rune, U'\u00e9');
  EXPECT_EQ(decode_rune("\xc3\xa9", 0).length, 2u);
  EXPECT_EQ(decode_rune("\xe0\xa0\x80", 0).rune, U'\u0800');
  EXPECT_EQ(decode_rune("\xe2\x82\xac", 0).rune, U'\u20ac');
  EXPECT_EQ(decode_rune("\xed\x9f\xbf", 0).rune, U'\ud7ff');  // just below the surrogates
  EXPECT_EQ(decode_rune("\xee\x80\x80", 0).rune, U'\ue000');  // just above them
  EXPECT_EQ(decode_rune("\xef\xbf\xbd", 0).rune, U'\ufffd');
  EXPECT_EQ(decode_rune("\xef\xbf\xbd", 0).length, 3u);
  EXPECT_EQ(decode_rune("\xf0\x90\x80\x80", 0).rune, U'\U00010000');
  EXPECT_EQ(decode_rune("\xf0\x9f\x98\x80", 0).rune, U'\U0001f600');
  EXPECT_EQ(decode_rune("\xf4\x8f\xbf\xbf", 0).rune, U'\U0010ffff');
  EXPECT_EQ(decode_rune("\xf4\x8f\xbf\xbf", 0).length, 4u);
}

TEST(DecodeRune, ReadsAtAnOffset) {
  const std::string_view s = "ab\xc3\xa9z";
  EXPECT_EQ(decode_rune(s, 2).rune, U'\u00e9');
  EXPECT_EQ(decode_rune(s, 2).length, 2u);
  EXPECT_EQ(decode_rune(s, 3).length, 0u);  // the continuation byte alone
  EXPECT_EQ(decode_rune(s, 4).rune, U'z');
}

TEST(DecodeRune, RejectsWhatGoRejects) {
  for (const char* bad : {
           "\x80",              // continuation byte alone
           "\xbf",              //
           "\xc0\xaf",          // overlong '/'
           "\xc1\xbf",          // overlong
           "\xe0\x80\xaf",      // overlong 3-byte
           "\xe0\x9f\xbf",      // overlong 3-byte, highest
           "\xed\xa0\x80",      // U+D800
           "\xed\xbf\xbf",      // U+DFFF
           "\xf0\x80\x80\xaf",  // overlong 4-byte
           "\xf0\x8f\xbf\xbf",  // overlong 4-byte, highest
           "\xf4\x90\x80\x80",  // U+110000
           "\xf5\x80\x80\x80",  // lead byte past F4
           "\xff",              //
           "\xc3",              // cut short
           "\xe2\x82",          //
           "\xf0\x9f\x98",      //
           "\xc3(",             // not a continuation
           "\xe2\x28\xa1",      //
       }) {
    EXPECT_EQ(decode_rune(bad, 0).length, 0u) << std::string_view(bad).size() << " bytes";
  }
}

TEST(DecodeRune, ACutSequenceIsJudgedOnTheBytesThatAreThere) {
  // The view ends inside the sequence: the bytes past it do not count.
  const std::string_view whole = "\xe2\x82\xac";
  EXPECT_EQ(decode_rune(whole.substr(0, 2), 0).length, 0u);
  EXPECT_EQ(decode_rune(whole, 0).length, 3u);
}

}  // namespace
