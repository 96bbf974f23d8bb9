// Decode → encode → decode for one TSM value or timestamp section (docs/FORMATS.md §7): whatever a
// decoder accepts, libformat's encoder must write so that the decoder returns the same values.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "fuzz_support.hpp"
#include "ifx/format/tsm/encoding.hpp"

namespace ifx::fuzz {

// A dozen bytes of run-length encoding can declare up to kMaxBlockValues (2^20) values; decoding
// them is the decoder's business, but re-encoding and decoding a million values again for every
// such input would make the fuzzer crawl (and trip its timeout on a loaded machine). The encoders'
// paths do not depend on sizes this large, so the round trip is checked up to this many values.
inline constexpr std::size_t kMaxRoundTripValues = std::size_t{1} << 16;

// Doubles compare by bits: -0 and 0 are different values to keep, NaN payloads too.
template <class T>
bool same_values(const std::vector<T>& a, const std::vector<T>& b) {
  if constexpr (std::is_same_v<T, double>) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (std::bit_cast<std::uint64_t>(a[i]) != std::bit_cast<std::uint64_t>(b[i])) return false;
    }
    return true;
  } else {
    return a == b;
  }
}

// Decode(section) → Encode → Decode. Encode may return void or Result<void> (floats refuse NaN).
template <class T, class Decode, class Encode>
void section_round_trip(std::span<const std::uint8_t> section, Decode decode, Encode encode) {
  static std::vector<T> first;
  static std::vector<T> second;
  static std::vector<std::uint8_t> encoded;
  auto r = decode(section, first);
  if (!r) {
    check_error(r.error(), {"tsm-block-decode"}, section.size());
    return;
  }
  check(first.size() <= tsm::kMaxBlockValues, "decoder exceeded kMaxBlockValues");
  if (first.size() > kMaxRoundTripValues) return;
  encoded.clear();
  if constexpr (std::is_void_v<decltype(encode(std::span<const T>(first), encoded))>) {
    encode(std::span<const T>(first), encoded);
  } else {
    auto e = encode(std::span<const T>(first), encoded);
    if (!e) {
      bool has_nan = false;
      for (const auto& v : first) has_nan = has_nan || std::isnan(v);
      check(has_nan, "encoder refused decoded values", e.error().message);
      return;
    }
  }
  auto again = decode(std::span<const std::uint8_t>(encoded), second);
  check(again.has_value(), "decoder refuses the encoder's output", again ? std::string() : again.error().message);
  check(same_values(first, second), "decode(encode(values)) != values",
        std::to_string(first.size()) + " vs " + std::to_string(second.size()) + " values");
}

}  // namespace ifx::fuzz
