// Go's unicode/utf8.DecodeRune acceptance rule: shortest form only, no surrogates, at most
// U+10FFFF (the second byte's range narrows after E0, ED, F0 and F4).
#include "ifx/format/text/utf8.hpp"

namespace ifx::text {

DecodedRune decode_rune(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const std::size_t left = s.size() - i;
  const auto continues = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xbf) {
    return k < left && b(k) >= lo && b(k) <= hi;
  };
  const unsigned char c = b(0);
  if (c < 0x80) return {c, 1};
  if (c >= 0xc2 && c <= 0xdf) {
    if (!continues(1)) return {};
    return {static_cast<char32_t>(((c & 0x1fu) << 6) | (b(1) & 0x3fu)), 2};
  }
  if (c >= 0xe0 && c <= 0xef) {
    const unsigned lo = c == 0xe0 ? 0xa0 : 0x80;  // E0 80..9F would be overlong
    const unsigned hi = c == 0xed ? 0x9f : 0xbf;  // ED A0..BF would be a surrogate
    if (!continues(1, lo, hi) || !continues(2)) return {};
    return {static_cast<char32_t>(((c & 0x0fu) << 12) | ((b(1) & 0x3fu) << 6) | (b(2) & 0x3fu)), 3};
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const unsigned lo = c == 0xf0 ? 0x90 : 0x80;  // F0 80..8F would be overlong
    const unsigned hi = c == 0xf4 ? 0x8f : 0xbf;  // F4 90.. would pass U+10FFFF
    if (!continues(1, lo, hi) || !continues(2) || !continues(3)) return {};
    return {
        static_cast<char32_t>(((c & 0x07u) << 18) | ((b(1) & 0x3fu) << 12) | ((b(2) & 0x3fu) << 6) | (b(3) & 0x3fu)),
        4};
  }
  return {};  // 80..C1 (continuation or overlong lead) and F5..FF never start a rune
}

}  // namespace ifx::text
