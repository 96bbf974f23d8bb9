// Byte-level helpers shared by the TSM block codecs (docs/FORMATS.md §7): big-endian u64 words,
// Go-style uvarints (encoding/binary), zigzag. Private to libformat.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace ifx::tsm::detail {

inline std::uint64_t load_be64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) v = std::byteswap(v);
  return v;
}

inline void append_be64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) v = std::byteswap(v);
  const auto at = out.size();
  out.resize(at + 8);
  std::memcpy(out.data() + at, &v, sizeof v);
}

inline void append_uvarint(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v) | 0x80);
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

struct Uvarint {
  std::uint64_t value = 0;
  std::size_t length = 0;  // bytes used; 0 when the input is truncated or overflows 64 bits
};

// Reads a uvarint at `pos` as Go's binary.Uvarint does: at most 10 bytes, the 10th at most 1.
inline Uvarint read_uvarint(std::span<const std::uint8_t> bytes, std::size_t pos) {
  std::uint64_t value = 0;
  unsigned shift = 0;
  for (std::size_t i = 0; pos + i < bytes.size() && i < 10; ++i) {
    const std::uint8_t b = bytes[pos + i];
    if (b < 0x80) {
      if (i == 9 && b > 1) return {};
      return {value | (std::uint64_t{b} << shift), i + 1};
    }
    value |= std::uint64_t{b & 0x7fu} << shift;
    shift += 7;
  }
  return {};
}

// docs/FORMATS.md §7.5: zigzag maps small magnitudes of either sign to small unsigned values.
inline std::uint64_t zigzag(std::uint64_t v) { return (v << 1) ^ (0 - (v >> 63)); }
inline std::uint64_t unzigzag(std::uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

// 10^k for the 4-bit divisor exponent of a timestamp header (docs/FORMATS.md §7.2); decoders accept
// any nibble, and 10^15 still fits a u64.
inline std::uint64_t pow10_u64(unsigned k) {
  std::uint64_t d = 1;
  for (unsigned i = 0; i < k; ++i) d *= 10;
  return d;
}

}  // namespace ifx::tsm::detail
