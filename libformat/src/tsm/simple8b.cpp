// Simple8b packing and unpacking (docs/FORMATS.md §7.3). Unpacking is the hot path of timestamp and
// integer decoding: one switch per word, each case a fixed-size loop the compiler unrolls.
#include "tsm/simple8b.hpp"

#include <algorithm>

#include "tsm/varint.hpp"

namespace ifx::tsm::simple8b {
namespace {

constexpr std::uint8_t kBitsPerValue[16] = {0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30, 60};

template <unsigned N, unsigned B>
inline void unpack(std::uint64_t word, std::uint64_t* out) {
  constexpr std::uint64_t mask = (std::uint64_t{1} << B) - 1;
  for (unsigned i = 0; i < N; ++i) out[i] = (word >> (i * B)) & mask;
}

template <unsigned N, unsigned B>
inline std::uint64_t sum(std::uint64_t word) {
  constexpr std::uint64_t mask = (std::uint64_t{1} << B) - 1;
  std::uint64_t s = 0;
  for (unsigned i = 0; i < N; ++i) s += (word >> (i * B)) & mask;
  return s;
}

// Unpacks one word, returns how many values it held.
inline unsigned unpack_word(std::uint64_t w, std::uint64_t* out) {
  switch (w >> 60) {
    case 0:
      std::fill_n(out, 240, std::uint64_t{1});
      return 240;  // selectors 0/1: runs of ones
    case 1:
      std::fill_n(out, 120, std::uint64_t{1});
      return 120;
    case 2:
      unpack<60, 1>(w, out);
      return 60;
    case 3:
      unpack<30, 2>(w, out);
      return 30;
    case 4:
      unpack<20, 3>(w, out);
      return 20;
    case 5:
      unpack<15, 4>(w, out);
      return 15;
    case 6:
      unpack<12, 5>(w, out);
      return 12;
    case 7:
      unpack<10, 6>(w, out);
      return 10;
    case 8:
      unpack<8, 7>(w, out);
      return 8;
    case 9:
      unpack<7, 8>(w, out);
      return 7;
    case 10:
      unpack<6, 10>(w, out);
      return 6;
    case 11:
      unpack<5, 12>(w, out);
      return 5;
    case 12:
      unpack<4, 15>(w, out);
      return 4;
    case 13:
      unpack<3, 20>(w, out);
      return 3;
    case 14:
      unpack<2, 30>(w, out);
      return 2;
    default:
      out[0] = w & kMaxValue;
      return 1;
  }
}

inline std::uint64_t sum_word(std::uint64_t w) {
  switch (w >> 60) {
    case 0:
      return 240;
    case 1:
      return 120;
    case 2:
      return sum<60, 1>(w);
    case 3:
      return sum<30, 2>(w);
    case 4:
      return sum<20, 3>(w);
    case 5:
      return sum<15, 4>(w);
    case 6:
      return sum<12, 5>(w);
    case 7:
      return sum<10, 6>(w);
    case 8:
      return sum<8, 7>(w);
    case 9:
      return sum<7, 8>(w);
    case 10:
      return sum<6, 10>(w);
    case 11:
      return sum<5, 12>(w);
    case 12:
      return sum<4, 15>(w);
    case 13:
      return sum<3, 20>(w);
    case 14:
      return sum<2, 30>(w);
    default:
      return w & kMaxValue;
  }
}

bool all_ones(const std::uint64_t* v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (v[i] != 1) return false;
  }
  return true;
}

std::size_t leading_ones(const std::uint64_t* v, std::size_t n) {
  std::size_t k = 0;
  while (k < n && v[k] == 1) ++k;
  return k;
}

// Selector 0 or 1 for the values at `v` (with `remaining` left), or -1 (§7.3 encoder variants).
int ones_selector(const std::uint64_t* v, std::size_t remaining, OnesRule rule) {
  if (remaining < 120) return -1;
  if (rule == OnesRule::Streaming) {
    // The streaming encoder looks at its whole buffer (up to 240 values) for these selectors.
    const std::size_t window = std::min<std::size_t>(remaining, 240);
    if (!all_ones(v, window)) return -1;
    return window == 240 ? 0 : 1;
  }
  const std::size_t k = leading_ones(v, std::min<std::size_t>(remaining, 240));
  if (k == 240) return 0;
  return k >= 120 ? 1 : -1;
}

}  // namespace

std::size_t count_values(std::span<const std::uint8_t> words) {
  std::size_t n = 0;
  for (std::size_t i = 0; i + 8 <= words.size(); i += 8) n += kValuesPerWord[words[i] >> 4];
  return n;
}

void unpack_words(std::span<const std::uint8_t> words, std::uint64_t* out) {
  const std::uint8_t* p = words.data();
  const std::uint8_t* end = p + (words.size() & ~std::size_t{7});
  for (; p != end; p += 8) out += unpack_word(detail::load_be64(p), out);
}

std::uint64_t sum_values(std::span<const std::uint8_t> words) {
  std::uint64_t s = 0;
  for (std::size_t i = 0; i + 8 <= words.size(); i += 8) s += sum_word(detail::load_be64(words.data() + i));
  return s;
}

void pack_values(std::span<const std::uint64_t> values, OnesRule rule, std::vector<std::uint8_t>& out) {
  std::size_t h = 0;
  const std::size_t n = values.size();
  while (h < n) {
    const std::uint64_t* v = values.data() + h;
    const std::size_t remaining = n - h;
    if (const int sel = ones_selector(v, remaining, rule); sel >= 0) {
      detail::append_be64(out, std::uint64_t(sel) << 60);
      h += kValuesPerWord[sel];
      continue;
    }
    // Selectors 2..15 in order: the first whose N values all fit in B bits (§7.3). Selector 15
    // always fits because callers only pass values <= kMaxValue (taking it unconditionally
    // keeps a broken caller from looping forever).
    for (unsigned sel = 2; sel < 16; ++sel) {
      const std::size_t count = kValuesPerWord[sel];
      if (count > remaining) continue;
      const unsigned bits = kBitsPerValue[sel];
      std::uint64_t any = 0;
      for (std::size_t i = 0; i < count; ++i) any |= v[i];
      if (sel != 15 && any > (std::uint64_t{1} << bits) - 1) continue;
      std::uint64_t word = std::uint64_t{sel} << 60;
      for (std::size_t i = 0; i < count; ++i) word |= (v[i] & kMaxValue) << (i * bits);
      detail::append_be64(out, word);
      h += count;
      break;
    }
  }
}

}  // namespace ifx::tsm::simple8b
