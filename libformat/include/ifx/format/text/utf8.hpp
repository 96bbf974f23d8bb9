// UTF-8 as Go reads it (unicode/utf8.DecodeRune): what encoding/json escapes, and what its
// decoder replaces with U+FFFD, follow from this one rule.
#pragma once

#include <cstddef>
#include <string_view>

namespace ifx::text {

// One rune read at a byte offset. `length` is 0 when the bytes there start no valid sequence:
// an overlong form, a surrogate (U+D800–U+DFFF), a value above U+10FFFF, a stray continuation
// byte or a sequence cut short. Go then yields U+FFFD and moves on by exactly one byte.
struct DecodedRune {
  char32_t rune = 0;
  std::size_t length = 0;
};

// Reads the rune starting at s[i] (i < s.size()).
DecodedRune decode_rune(std::string_view s, std::size_t i);

// The Unicode replacement character U+FFFD, in UTF-8.
inline constexpr std::string_view kReplacementCharacter = "\xef\xbf\xbd";

}  // namespace ifx::text
