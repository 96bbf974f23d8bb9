// Simple8b (docs/FORMATS.md §7.3): u64 big-endian words, 4-bit selector on top, N values of B bits
// below with value 0 in the least significant bits. Private to libformat.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ifx::tsm::simple8b {

inline constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << 60) - 1;

// Values per word by selector (§7.3 table).
inline constexpr std::uint8_t kValuesPerWord[16] = {240, 120, 60, 30, 20, 15, 12, 10, 8, 7, 6, 5, 4, 3, 2, 1};

// Number of values held by `words`; its size must be a multiple of 8 (checked by callers).
std::size_t count_values(std::span<const std::uint8_t> words);

// Expands every word of `words` into `out`, which has room for count_values(words) values.
void unpack_words(std::span<const std::uint8_t> words, std::uint64_t* out);

// Sum (wrapping) of every value held by `words`, without storing them: block_time_range()
// needs only the last timestamp.
std::uint64_t sum_values(std::span<const std::uint8_t> words);

// The two greedy packers of §7.3. Both pick, per word, the first selector whose N values fit;
// they differ only in when the 0-bit "run of ones" selectors 0 and 1 are taken.
enum class OnesRule {
  Streaming,  // timestamp encoder: only when all of the next min(240, remaining) values are 1
  EncodeAll,  // integer encoder: when the next 240 (selector 0) or 120 (selector 1) values are 1
};

// Appends the words packing `values` (each <= kMaxValue; callers check) to `out`.
void pack_values(std::span<const std::uint64_t> values, OnesRule rule, std::vector<std::uint8_t>& out);

}  // namespace ifx::tsm::simple8b
