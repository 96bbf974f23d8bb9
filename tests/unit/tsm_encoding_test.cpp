// TSM block encodings (docs/FORMATS.md §7): the §6.7 and §7.5 vectors byte for byte, every simple8b
// selector, the encoder's choice of encoding, edge values, seeded round trips, and damaged
// input (truncated, wrong headers, missing terminator, Snappy garbage) giving errors, not crashes.
#include "ifx/format/tsm/encoding.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace ifx::tsm;
using Bytes = std::vector<std::uint8_t>;

constexpr std::int64_t kT = 1600000000000000000;
constexpr std::uint64_t kMax60 = (std::uint64_t{1} << 60) - 1;

Bytes hex(std::string_view text) {
  Bytes out;
  std::string digits;
  for (char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c))) digits += c;
  }
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string to_hex(const Bytes& b) {
  std::string s;
  for (std::size_t i = 0; i < b.size(); ++i) s += fmt::format("{}{:02x}", i ? " " : "", b[i]);
  return s;
}

void put_be64(Bytes& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put_uvarint(Bytes& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t unzigzag(std::uint64_t z) { return static_cast<std::int64_t>((z >> 1) ^ (0 - (z & 1))); }

// Integers whose zigzag deltas (after the first value, 0) are exactly `z`.
std::vector<std::int64_t> integers_with_zigzag_deltas(const std::vector<std::uint64_t>& z) {
  std::vector<std::int64_t> v{0};
  for (std::uint64_t d : z) {
    v.push_back(
        static_cast<std::int64_t>(static_cast<std::uint64_t>(v.back()) + static_cast<std::uint64_t>(unzigzag(d))));
  }
  return v;
}

Bytes block_bytes(const DecodedBlock& b) {
  Bytes out;
  auto r = encode_block(b, out);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().describe());
  return out;
}

// Encodes `values`, expects them to decode to the same values, returns the bytes.
template <class T>
Bytes round_trip(const std::vector<T>& values, void (*encode)(std::span<const T>, Bytes&),
                 ifx::Result<void> (*decode)(std::span<const std::uint8_t>, std::vector<T>&)) {
  Bytes out;
  encode(values, out);
  std::vector<T> back;
  auto r = decode(out, back);
  EXPECT_TRUE(r) << r.error().describe();
  EXPECT_EQ(back, values);
  return out;
}

std::uint64_t bits(double d) { return std::bit_cast<std::uint64_t>(d); }

// ---------------------------------------------------------------------------------------------
// Vectors from docs/FORMATS.md

// §6.7: the block of `m v=1 1600000000000000000`.
const Bytes kVectorBlock = hex(
    "00 09 1c 16 34 57 85 d8 a0 00 00 10 3f f0 00 00 00 00 00 00 "
    "c3 fc 00 80 00 00 00 00 00 10");

TEST(TsmEncodingVector, SinglePointBlockDecodes) {
  DecodedBlock b;
  auto r = decode_block(kVectorBlock, b);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(b.type, BlockType::Float);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b.times[0], kT);
  ASSERT_EQ(b.floats.size(), 1u);
  EXPECT_EQ(b.floats[0], 1.0);
}

TEST(TsmEncodingVector, SinglePointEncodesToTheSameBytes) {
  DecodedBlock b;
  b.type = BlockType::Float;
  b.times = {kT};
  b.floats = {1.0};
  EXPECT_EQ(to_hex(block_bytes(b)), to_hex(kVectorBlock));
}

TEST(TsmEncodingVector, SinglePointTimeRange) {
  auto r = block_time_range(kVectorBlock);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->type, BlockType::Float);
  EXPECT_EQ(r->first, kT);
  EXPECT_EQ(r->last, kT);
  EXPECT_EQ(r->count, 1u);
}

TEST(TsmEncodingVector, IntegersFiveSix) {  // §7.5 example
  const std::vector<std::int64_t> v{5, 6};
  const Bytes out = round_trip(v, encode_integers, decode_integers);
  EXPECT_EQ(to_hex(out), to_hex(hex("10 00 00 00 00 00 00 00 0a f0 00 00 00 00 00 00 02")));
}

TEST(TsmEncodingVector, BlockTypeNames) {
  EXPECT_EQ(block_type_name(BlockType::Float), "float");
  EXPECT_EQ(block_type_name(BlockType::Integer), "integer");
  EXPECT_EQ(block_type_name(BlockType::Boolean), "boolean");
  EXPECT_EQ(block_type_name(BlockType::String), "string");
  EXPECT_EQ(block_type_name(BlockType::Unsigned), "unsigned");
  for (std::uint8_t b = 0; b <= 4; ++b) EXPECT_EQ(static_cast<int>(*block_type_from_byte(b)), b);
  auto bad = block_type_from_byte(5);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ifx::ErrorCode::tsm_block_decode);
}

// ---------------------------------------------------------------------------------------------
// Simple8b (§7.3)

struct Selector {
  unsigned n;
  unsigned bits;
};
constexpr Selector kSelectors[16] = {{240, 0}, {120, 0}, {60, 1}, {30, 2}, {20, 3}, {15, 4}, {12, 5}, {10, 6},
                                     {8, 7},   {7, 8},   {6, 10}, {5, 12}, {4, 15}, {3, 20}, {2, 30}, {1, 60}};

// A simple8b timestamp section with first = 0 and divisor 1 decodes to the running sum of the
// packed values, so differences expose the unpacked values and their order.
TEST(TsmEncodingSimple8b, EverySelectorUnpacksInOrder) {
  for (unsigned sel = 0; sel < 16; ++sel) {
    const auto [n, b] = kSelectors[sel];
    std::vector<std::uint64_t> expected;
    std::uint64_t word = std::uint64_t{sel} << 60;
    for (unsigned k = 0; k < n; ++k) {
      const std::uint64_t mask = b == 0 ? 0 : (b == 64 ? ~0ull : (std::uint64_t{1} << b) - 1);
      // value k = k+1 masked, except the last which is the selector's maximum.
      std::uint64_t v = b == 0 ? 1 : (k + 1 == n ? mask : (k + 1) & mask);
      expected.push_back(v);
      if (b > 0) word |= v << (k * b);
    }
    Bytes section{0x10};
    put_be64(section, 0);
    put_be64(section, word);
    std::vector<std::int64_t> t;
    auto r = decode_timestamps(section, t);
    ASSERT_TRUE(r) << "selector " << sel << ": " << r.error().describe();
    ASSERT_EQ(t.size(), n + 1u) << "selector " << sel;
    for (unsigned k = 0; k < n; ++k) {
      EXPECT_EQ(static_cast<std::uint64_t>(t[k + 1] - t[k]), expected[k]) << "selector " << sel << " value " << k;
    }
  }
}

TEST(TsmEncodingSimple8b, EncoderPicksEverySelector) {
  for (unsigned sel = 2; sel < 16; ++sel) {
    const auto [n, b] = kSelectors[sel];
    // Exactly n values, the largest needing all b bits: no wider selector fits the value, no
    // selector with more values has enough of them. Values differ so RLE is not chosen.
    std::vector<std::uint64_t> z;
    for (unsigned k = 0; k < n; ++k) z.push_back(k % 2 == 0 ? (std::uint64_t{1} << b) - 1 : 0);
    if (n == 1) z = {kMax60};
    if (n == 2) z = {(std::uint64_t{1} << b) - 1, 1};
    const auto values = integers_with_zigzag_deltas(z);
    Bytes out;
    encode_integers(values, out);
    ASSERT_EQ(out.size(), 17u) << "selector " << sel << ": " << to_hex(out);
    EXPECT_EQ(out[0], 0x10);
    EXPECT_EQ(out[9] >> 4, sel);
    std::vector<std::int64_t> back;
    ASSERT_TRUE(decode_integers(out, back));
    EXPECT_EQ(back, values) << "selector " << sel;
  }
}

TEST(TsmEncodingSimple8b, RunsOfOnesUseSelectorsZeroAndOne) {
  // 240 ones then a 2: selector 0, then selector 15 for the 2.
  std::vector<std::uint64_t> z(240, 1);
  z.push_back(2);
  Bytes out;
  encode_integers(integers_with_zigzag_deltas(z), out);
  ASSERT_EQ(out.size(), 9u + 16u) << to_hex(out);
  EXPECT_EQ(out[9], 0x00);
  EXPECT_EQ(out[17], 0xf0);
  // 120 ones then a 5: selector 1 then selector 15 (EncodeAll looks at the leading ones only).
  z.assign(120, 1);
  z.push_back(5);
  out.clear();
  const auto values = integers_with_zigzag_deltas(z);
  encode_integers(values, out);
  ASSERT_EQ(out.size(), 9u + 16u) << to_hex(out);
  EXPECT_EQ(out[9], 0x10);
  EXPECT_EQ(out[17], 0xf0);
  std::vector<std::int64_t> back;
  ASSERT_TRUE(decode_integers(out, back));
  EXPECT_EQ(back, values);
}

TEST(TsmEncodingSimple8b, StreamingTimestampEncoderNeedsTheWholeWindowOfOnes) {
  // Deltas: 120 × 1 ns then 2 ns. The streaming encoder (§7.3) only takes selector 1 when its
  // whole buffer is ones, so it packs 60 + 60 one-bit values, then the 2.
  std::vector<std::int64_t> t{0};
  for (int i = 0; i < 120; ++i) t.push_back(t.back() + 1);
  t.push_back(t.back() + 2);
  Bytes out;
  encode_timestamps(t, out);
  ASSERT_EQ(out.size(), 9u + 24u) << to_hex(out);
  EXPECT_EQ(out[0], 0x10);
  EXPECT_EQ(out[9] >> 4, 2);
  EXPECT_EQ(out[17] >> 4, 2);
  EXPECT_EQ(out[25], 0xf0);
  std::vector<std::int64_t> back;
  ASSERT_TRUE(decode_timestamps(out, back));
  EXPECT_EQ(back, t);
  // 240 × 1 ns then 3 ns: the full buffer is ones → selector 0.
  t.assign(1, 0);
  for (int i = 0; i < 240; ++i) t.push_back(t.back() + 1);
  t.push_back(t.back() + 3);
  out.clear();
  encode_timestamps(t, out);
  ASSERT_EQ(out.size(), 9u + 16u) << to_hex(out);
  EXPECT_EQ(out[9], 0x00);
  EXPECT_EQ(out[17], 0xf0);
  ASSERT_TRUE(decode_timestamps(out, back));
  EXPECT_EQ(back, t);
}

// ---------------------------------------------------------------------------------------------
// Timestamps (§7.2)

TEST(TsmEncodingTimestamps, RegularTenSecondsIsRle) {
  std::vector<std::int64_t> t;
  for (int i = 0; i < 1000; ++i) t.push_back(kT + i * 10'000'000'000LL);
  Bytes out;
  encode_timestamps(t, out);
  Bytes expected{0x2a};
  put_be64(expected, kT);
  put_uvarint(expected, 1);
  put_uvarint(expected, 1000);
  EXPECT_EQ(to_hex(out), to_hex(expected));
  std::vector<std::int64_t> back;
  ASSERT_TRUE(decode_timestamps(out, back));
  EXPECT_EQ(back, t);
}

TEST(TsmEncodingTimestamps, TwoPointsAreAlwaysRle) {
  const std::vector<std::int64_t> t{kT, kT + 7};
  Bytes out;
  encode_timestamps(t, out);
  EXPECT_EQ(to_hex(out), to_hex(hex("20 16 34 57 85 d8 a0 00 00 07 02")));
}

TEST(TsmEncodingTimestamps, IrregularNanosecondsAreSimple8b) {
  const std::vector<std::int64_t> t{kT, kT + 3, kT + 10, kT + 11};
  Bytes out;
  encode_timestamps(t, out);
  Bytes expected{0x10};
  put_be64(expected, kT);
  put_be64(expected, (std::uint64_t{13} << 60) | 3 | (std::uint64_t{7} << 20) | (std::uint64_t{1} << 40));
  EXPECT_EQ(to_hex(out), to_hex(expected));
  std::vector<std::int64_t> back;
  ASSERT_TRUE(decode_timestamps(out, back));
  EXPECT_EQ(back, t);
}

TEST(TsmEncodingTimestamps, DivisorIsTheLargestCommonPowerOfTen) {
  const std::vector<std::int64_t> t{0, 3'000, 5'000, 12'000};  // deltas 3000, 2000, 7000 → 10^3
  const Bytes out = round_trip(t, encode_timestamps, decode_timestamps);
  EXPECT_EQ(out[0], 0x13);
}

TEST(TsmEncodingTimestamps, FortyYearsApartIsUncompressed) {
  const std::int64_t forty_years = 40LL * 365 * 24 * 3600 * 1'000'000'000LL;  // > 2^60 ns
  const std::vector<std::int64_t> t{0, forty_years, forty_years + 1};
  Bytes out;
  encode_timestamps(t, out);
  Bytes expected{0x00};
  put_be64(expected, 0);
  put_be64(expected, static_cast<std::uint64_t>(forty_years));
  put_be64(expected, 1);
  EXPECT_EQ(to_hex(out), to_hex(expected));
  std::vector<std::int64_t> back;
  ASSERT_TRUE(decode_timestamps(out, back));
  EXPECT_EQ(back, t);
  auto range = block_time_range([&] {
    DecodedBlock b;
    b.type = BlockType::Boolean;
    b.times = t;
    b.booleans = {1, 0, 1};
    return block_bytes(b);
  }());
  ASSERT_TRUE(range);
  EXPECT_EQ(range->first, 0);
  EXPECT_EQ(range->last, forty_years + 1);
  EXPECT_EQ(range->count, 3u);
}

TEST(TsmEncodingTimestamps, NegativeAndExtremeTimestampsRoundTrip) {
  const std::vector<std::vector<std::int64_t>> cases = {
      {-kT, -kT + 1, -kT + 5},
      {std::numeric_limits<std::int64_t>::min(), -1, 0, 1, std::numeric_limits<std::int64_t>::max()},
      {-5, -4},
      {std::numeric_limits<std::int64_t>::min() + 1},
  };
  for (const auto& t : cases) round_trip(t, encode_timestamps, decode_timestamps);
}

TEST(TsmEncodingTimestamps, EmptySectionHasNoTimestamps) {
  Bytes out;
  encode_timestamps({}, out);
  EXPECT_TRUE(out.empty());
  std::vector<std::int64_t> back{1, 2};
  ASSERT_TRUE(decode_timestamps(out, back));
  EXPECT_TRUE(back.empty());
}

TEST(TsmEncodingTimestamps, TimeRangeMatchesDecodeForEveryEncoding) {
  std::mt19937_64 rng(7);
  std::vector<std::vector<std::int64_t>> cases;
  cases.push_back({kT});
  std::vector<std::int64_t> regular, irregular, coarse, huge;
  for (int i = 0; i < 1000; ++i) regular.push_back(kT + i * 60'000'000'000LL);
  std::int64_t t = -kT;
  for (int i = 0; i < 1000; ++i) irregular.push_back(t += 1 + static_cast<std::int64_t>(rng() % 1'000'000));
  t = 0;
  for (int i = 0; i < 777; ++i) coarse.push_back(t += 1'000'000 * (1 + static_cast<std::int64_t>(rng() % 50)));
  huge = {std::numeric_limits<std::int64_t>::min(), 0, 3, std::numeric_limits<std::int64_t>::max()};
  cases.insert(cases.end(), {regular, irregular, coarse, huge});
  for (const auto& ts : cases) {
    DecodedBlock b;
    b.type = BlockType::Integer;
    b.times = ts;
    b.integers.assign(ts.size(), 42);
    const Bytes block = block_bytes(b);
    auto range = block_time_range(block);
    ASSERT_TRUE(range) << range.error().describe();
    EXPECT_EQ(range->type, BlockType::Integer);
    EXPECT_EQ(range->first, ts.front());
    EXPECT_EQ(range->last, ts.back());
    EXPECT_EQ(range->count, ts.size());
  }
}

// ---------------------------------------------------------------------------------------------
// Integers and unsigneds (§7.5)

TEST(TsmEncodingIntegers, EqualDeltasAreRle) {
  Bytes out;
  encode_integers(std::vector<std::int64_t>{1, 2, 3}, out);
  EXPECT_EQ(to_hex(out), to_hex(hex("20 00 00 00 00 00 00 00 02 02 02")));
  std::vector<std::int64_t> back;
  ASSERT_TRUE(decode_integers(out, back));
  EXPECT_EQ(back, (std::vector<std::int64_t>{1, 2, 3}));
  // Two values are never RLE (§7.5: n > 2).
  out.clear();
  encode_integers(std::vector<std::int64_t>{1, 2}, out);
  EXPECT_EQ(out[0], 0x10);
  // 65535 equal values: RLE with delta 0.
  out.clear();
  const std::vector<std::int64_t> same(65535, -9);
  encode_integers(same, out);
  Bytes expected{0x20};
  put_be64(expected, zigzag(-9));
  put_uvarint(expected, 0);
  put_uvarint(expected, 65534);
  EXPECT_EQ(to_hex(out), to_hex(expected));
  ASSERT_TRUE(decode_integers(out, back));
  EXPECT_EQ(back, same);
}

TEST(TsmEncodingIntegers, LargeDeltasAreUncompressed) {
  std::vector<std::int64_t> v;
  for (int i = 0; i < 6; ++i) {
    const std::int64_t big = (std::int64_t{1} << 62) + i;
    v.push_back(i % 2 ? -big : big);
  }
  Bytes out;
  encode_integers(v, out);
  ASSERT_EQ(out.size(), 1u + 8 * v.size());
  EXPECT_EQ(out[0], 0x00);
  Bytes first_word(out.begin() + 1, out.begin() + 9);
  Bytes expected;
  put_be64(expected, zigzag(v[0]));
  EXPECT_EQ(first_word, expected);
  std::vector<std::int64_t> back;
  ASSERT_TRUE(decode_integers(out, back));
  EXPECT_EQ(back, v);
}

TEST(TsmEncodingIntegers, LargeFirstValueAloneMakesItUncompressed) {
  // Small deltas but zigzag(first) > 2^60 − 1: the reference encoder (first value included)
  // stores everything uncompressed.
  const std::vector<std::int64_t> v{std::int64_t{1} << 62, (std::int64_t{1} << 62) + 1, (std::int64_t{1} << 62) + 3};
  const Bytes out = round_trip(v, encode_integers, decode_integers);
  EXPECT_EQ(out[0], 0x00);
  EXPECT_EQ(out.size(), 25u);
}

TEST(TsmEncodingIntegers, EdgeValuesRoundTrip) {
  constexpr auto lo = std::numeric_limits<std::int64_t>::min();
  constexpr auto hi = std::numeric_limits<std::int64_t>::max();
  const std::vector<std::vector<std::int64_t>> cases = {
      {lo}, {hi}, {lo, hi}, {hi, lo, hi}, {0, lo, 0, hi, -1, 1}, {lo, lo + 1, lo + 2}, {hi, hi - 1}};
  for (const auto& v : cases) round_trip(v, encode_integers, decode_integers);
}

TEST(TsmEncodingIntegers, UnsignedEdgeValuesRoundTrip) {
  constexpr auto hi = std::numeric_limits<std::uint64_t>::max();
  const std::vector<std::vector<std::uint64_t>> cases = {{hi},   {0, hi},      {hi, 0, hi}, {hi - 2, hi - 1, hi},
                                                         {1, 2}, {5, 5, 5, 5}, {0}};
  for (const auto& v : cases) round_trip(v, encode_unsigneds, decode_unsigneds);
  // uint64 max is zigzag(-1) = 1: the same bytes as the integer -1.
  Bytes u, i;
  encode_unsigneds(std::vector<std::uint64_t>{hi}, u);
  encode_integers(std::vector<std::int64_t>{-1}, i);
  EXPECT_EQ(u, i);
}

// ---------------------------------------------------------------------------------------------
// Floats (§7.4)

TEST(TsmEncodingFloats, EdgeValuesRoundTripBitForBit) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> v{1.7976931348623157e308,
                              -1.7976931348623157e308,
                              5e-324,
                              -5e-324,
                              inf,
                              -inf,
                              -0.0,
                              0.0,
                              -0.0,
                              1.0,
                              1.0,
                              1.0,
                              0.1,
                              -0.1,
                              3.141592653589793,
                              1e-300};
  Bytes out;
  ASSERT_TRUE(encode_floats(v, out));
  std::vector<double> back;
  auto r = decode_floats(out, back);
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(back.size(), v.size());
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_EQ(bits(back[i]), bits(v[i])) << "value " << i;
}

TEST(TsmEncodingFloats, NoValuesIsTheRawTerminator) {
  Bytes out;
  ASSERT_TRUE(encode_floats({}, out));
  EXPECT_EQ(to_hex(out), to_hex(hex("10 7f f8 00 00 00 00 00 01")));
  std::vector<double> back{1.0};
  ASSERT_TRUE(decode_floats(out, back));
  EXPECT_TRUE(back.empty());
}

TEST(TsmEncodingFloats, LeadingZeroCountKeepsOnlyFiveBits) {
  // XOR = 1 << 23: 40 leading zeros, which the reference encoder writes as 40 & 0x1F = 8, with
  // 64 − 8 − 23 = 33 significant bits: '1' '1' 01000 100001, then 32 zeros and a 1 (§7.4).
  const std::vector<double> v{1.0, std::bit_cast<double>(bits(1.0) ^ (std::uint64_t{1} << 23))};
  Bytes out;
  ASSERT_TRUE(encode_floats(v, out));
  ASSERT_GT(out.size(), 11u);
  EXPECT_EQ(out[9], 0xd1);
  EXPECT_EQ(out[10], 0x08);
  std::vector<double> back;
  ASSERT_TRUE(decode_floats(out, back));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(bits(back[1]), bits(v[1]));
}

TEST(TsmEncodingFloats, FullWidthXorAtEveryBitAlignment) {
  // r repeated values ('0' bits) shift a 64-significant-bit delta (XOR with its top and bottom
  // bits set) through every alignment, including the last bytes where the reader refills byte
  // by byte (a fuzzing find: the reader once buffered 64 bits there and shifted by 64).
  // The last value, 0x7FE8000000000001, differs from the terminator in one bit, so only 14 bits
  // follow the all-ones delta that precedes it: they must still be read correctly.
  for (std::size_t r = 0; r < 160; ++r) {
    std::vector<double> v(r / 2 + 1, 1.0);
    if (r % 2 == 0) {
      v.push_back(std::bit_cast<double>(bits(1.0) ^ 0x8000000000000001ULL));
      v.push_back(1.0);
    } else {
      v.push_back(std::bit_cast<double>(std::uint64_t{0x8017FFFFFFFFFFFE}));
      v.push_back(std::bit_cast<double>(std::uint64_t{0x7FE8000000000001}));
    }
    Bytes out;
    ASSERT_TRUE(encode_floats(v, out));
    std::vector<double> back;
    auto d = decode_floats(out, back);
    ASSERT_TRUE(d) << r << ": " << d.error().describe();
    ASSERT_EQ(back.size(), v.size()) << r;
    for (std::size_t i = 0; i < v.size(); ++i) ASSERT_EQ(bits(back[i]), bits(v[i])) << r << " value " << i;
  }
}

TEST(TsmEncodingFloats, NanIsRefused) {
  Bytes out{0xaa};
  auto r = encode_floats(std::vector<double>{1.0, std::nan(""), 2.0}, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::invalid_argument);
  EXPECT_NE(r.error().message.find("NaN"), std::string::npos);
  EXPECT_EQ(out, Bytes{0xaa});  // nothing appended
  DecodedBlock b;
  b.type = BlockType::Float;
  b.times = {1};
  b.floats = {std::numeric_limits<double>::quiet_NaN()};
  Bytes block{0x55};
  ASSERT_FALSE(encode_block(b, block));
  EXPECT_EQ(block, Bytes{0x55});  // encode_block leaves no partial block behind
}

TEST(TsmEncodingFloats, MissingTerminatorIsAnError) {
  // A single value and then nothing: the bits run out before the terminator.
  Bytes section = hex("10 3f f0 00 00 00 00 00 00");
  std::vector<double> out;
  auto r = decode_floats(section, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::tsm_block_decode);
  EXPECT_EQ(r.error().offset, section.size());
  EXPECT_NE(r.error().message.find("terminator"), std::string::npos) << r.error().message;
  // The §6.7 section with its last byte dropped: the terminator's bits are incomplete.
  section = hex("10 3f f0 00 00 00 00 00 00 c3 fc 00 80 00 00 00 00 00");
  r = decode_floats(section, out);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("terminator"), std::string::npos) << r.error().message;
  // Padding after the terminator is fine; a repeated value ('0' bit) then the terminator too.
  std::vector<double> v(3, 2.5);
  section.clear();
  ASSERT_TRUE(encode_floats(v, section));
  ASSERT_TRUE(decode_floats(section, out));
  EXPECT_EQ(out, v);
}

TEST(TsmEncodingFloats, ShortOrWrongHeaderIsAnError) {
  std::vector<double> out;
  auto r = decode_floats(hex("10 3f f0"), out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 3u);
  r = decode_floats(hex("20 3f f0 00 00 00 00 00 00 c3 fc 00 80 00 00 00 00 00 10"), out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 0u);
  EXPECT_NE(r.error().message.find("0x20"), std::string::npos) << r.error().message;
}

// ---------------------------------------------------------------------------------------------
// Booleans (§7.6) and strings (§7.7)

TEST(TsmEncodingBooleans, BitsAreMostSignificantFirst) {
  const std::vector<std::uint8_t> v{1, 0, 1, 1, 0, 0, 0, 0, 1, 1};
  Bytes out;
  encode_booleans(v, out);
  EXPECT_EQ(to_hex(out), to_hex(hex("10 0a b0 c0")));
  std::vector<std::uint8_t> back;
  ASSERT_TRUE(decode_booleans(out, back));
  EXPECT_EQ(back, v);
  for (std::size_t n : {0u, 1u, 7u, 8u, 9u, 1000u, 65535u}) {
    std::vector<std::uint8_t> many(n);
    for (std::size_t i = 0; i < n; ++i) many[i] = (i * 7 + i / 3) % 3 == 0;
    out.clear();
    encode_booleans(many, out);
    ASSERT_TRUE(decode_booleans(out, back));
    EXPECT_EQ(back, many) << n << " values";
  }
}

TEST(TsmEncodingBooleans, CountLargerThanBytesIsAnError) {
  std::vector<std::uint8_t> out;
  auto r = decode_booleans(hex("10 14 ff"), out);  // 20 values in 1 byte
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::tsm_block_decode);
  EXPECT_EQ(r.error().offset, 1u);
  EXPECT_NE(r.error().message.find("20 values"), std::string::npos) << r.error().message;
  r = decode_booleans(hex("10 ff ff ff ff ff ff ff ff ff 01 ff"), out);  // 2^64 − 1 values
  ASSERT_FALSE(r);
  r = decode_booleans(hex("10 02 80 00"), out);  // a byte too many
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 3u);
  r = decode_booleans(hex("20 01 80"), out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 0u);
}

TEST(TsmEncodingStrings, EdgeValuesRoundTrip) {
  const std::vector<std::string> v{"",
                                   std::string("nul\0inside", 10),
                                   "\"quoted\" and 'single'",
                                   "héllo wörld ✓ 日本",
                                   std::string(1, '\0'),
                                   std::string(5000, 'x'),
                                   "",
                                   "tail"};
  Bytes out;
  encode_strings(v, out);
  EXPECT_EQ(out[0], 0x10);
  EXPECT_LT(out.size(), 1000u);  // the 5000 x's compress
  std::vector<std::string> back{"stale", "values"};
  auto r = decode_strings(out, back);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(back, v);
}

TEST(TsmEncodingStrings, EmptyListIsHeaderAndEmptySnappyBlock) {
  Bytes out;
  encode_strings({}, out);
  EXPECT_EQ(to_hex(out), "10 00");
  std::vector<std::string> back{"x"};
  ASSERT_TRUE(decode_strings(out, back));
  EXPECT_TRUE(back.empty());
}

TEST(TsmEncodingStrings, LiteralOnlySnappyBlockDecodes) {
  // Hand-made Snappy raw block (§7.7): length 6, one literal of 6 bytes: "\x02hi\x02yo".
  const Bytes section = hex("10 06 14 02 68 69 02 79 6f");
  std::vector<std::string> back;
  auto r = decode_strings(section, back);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(back, (std::vector<std::string>{"hi", "yo"}));
}

TEST(TsmEncodingStrings, DamagedSnappyIsAnError) {
  std::vector<std::string> back;
  const std::vector<Bytes> bad = {
      hex("10"),                          // no Snappy data
      hex("10 ff ff ff ff ff"),           // length header runs off the end
      hex("10 06 14 02 68 69"),           // literal longer than the input
      hex("10 06 0d 00 02 68"),           // copy before any output
      hex("10 06 14 06 68 69 02 79 6f"),  // value length 6 but only 5 bytes remain
      hex("10 02 04 80 80"),              // value length prefix truncated
      hex("20 00"),                       // wrong header
  };
  for (const auto& section : bad) {
    auto r = decode_strings(section, back);
    ASSERT_FALSE(r) << to_hex(section);
    EXPECT_EQ(r.error().code, ifx::ErrorCode::tsm_block_decode);
    EXPECT_TRUE(back.empty());
  }
}

TEST(TsmEncodingStrings, SnappyBombIsRefused) {
  Bytes section{0x10};
  put_uvarint(section, 100u << 20);  // claims 100 MiB
  section.insert(section.end(), {0x00, 0x61, 0xfe, 0x01, 0x00});
  std::vector<std::string> back;
  auto r = decode_strings(section, back);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 1u);
  EXPECT_NE(r.error().message.find("refused"), std::string::npos) << r.error().message;
  section.assign({0x10});
  put_uvarint(section, 50'000);  // under 64 MiB but 8000x the input
  section.insert(section.end(), {0x00, 0x61, 0xfe});
  r = decode_strings(section, back);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("refused"), std::string::npos) << r.error().message;
}

// ---------------------------------------------------------------------------------------------
// Whole blocks

DecodedBlock sample_block(BlockType type, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  DecodedBlock b;
  b.type = type;
  std::int64_t t = kT;
  double walk = 100.0;
  std::int64_t level = 0;
  for (std::size_t i = 0; i < n; ++i) {
    t += 1 + static_cast<std::int64_t>(rng() % (seed % 2 ? 10'000'000'000ULL : 1000));
    b.times.push_back(t);
    switch (type) {
      case BlockType::Float:
        walk += std::uniform_real_distribution<double>(-1, 1)(rng);
        b.floats.push_back(rng() % 5 == 0 ? std::bit_cast<double>(rng() & 0x7fefffffffffffffULL) : walk);
        break;
      case BlockType::Integer:
        level += static_cast<std::int64_t>(rng() % 2001) - 1000;
        b.integers.push_back(rng() % 17 == 0 ? static_cast<std::int64_t>(rng()) : level);
        break;
      case BlockType::Unsigned:
        b.unsigneds.push_back(rng() % 3 == 0 ? rng() : rng() % 100'000);
        break;
      case BlockType::Boolean:
        b.booleans.push_back(static_cast<std::uint8_t>(rng() & 1));
        break;
      case BlockType::String: {
        std::string s(rng() % 40, '\0');
        for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? rng() : 'a' + rng() % 3);
        b.strings.push_back(std::move(s));
        break;
      }
    }
  }
  return b;
}

constexpr BlockType kAllTypes[] = {BlockType::Float, BlockType::Integer, BlockType::Boolean, BlockType::String,
                                   BlockType::Unsigned};

void expect_same_points(const DecodedBlock& a, const DecodedBlock& b) {
  ASSERT_EQ(a.type, b.type);
  ASSERT_EQ(a.times, b.times);
  ASSERT_EQ(a.floats.size(), b.floats.size());
  for (std::size_t i = 0; i < a.floats.size(); ++i) ASSERT_EQ(bits(a.floats[i]), bits(b.floats[i])) << i;
  ASSERT_EQ(a.integers, b.integers);
  ASSERT_EQ(a.unsigneds, b.unsigneds);
  ASSERT_EQ(a.booleans, b.booleans);
  ASSERT_EQ(a.strings, b.strings);
}

TEST(TsmEncodingBlock, RandomRoundTripsWithFixedSeed) {
  DecodedBlock decoded;  // reused across blocks of every type, as a shard reader would
  for (BlockType type : kAllTypes) {
    for (std::size_t n : {1u, 2u, 3u, 17u, 1000u, 65535u}) {
      for (std::uint64_t seed : {1u, 2u}) {
        const DecodedBlock in = sample_block(type, n, seed * 1000 + n);
        const Bytes block = block_bytes(in);
        auto r = decode_block(block, decoded);
        ASSERT_TRUE(r) << block_type_name(type) << " n=" << n << ": " << r.error().describe();
        expect_same_points(in, decoded);
        auto range = block_time_range(block);
        ASSERT_TRUE(range);
        EXPECT_EQ(range->type, type);
        EXPECT_EQ(range->first, in.times.front());
        EXPECT_EQ(range->last, in.times.back());
        EXPECT_EQ(range->count, n);
      }
    }
  }
}

TEST(TsmEncodingBlock, EncodeRefusesMismatchedCounts) {
  DecodedBlock b;
  b.type = BlockType::Integer;
  b.times = {1, 2};
  b.integers = {1};
  Bytes out;
  auto r = encode_block(b, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::invalid_argument);
  EXPECT_TRUE(out.empty());
}

TEST(TsmEncodingBlock, TruncatedAtEveryLengthIsAnError) {
  for (BlockType type : kAllTypes) {
    const Bytes block = block_bytes(sample_block(type, 5, 3));
    DecodedBlock out;
    for (std::size_t len = 0; len < block.size(); ++len) {
      const std::span<const std::uint8_t> cut(block.data(), len);
      auto r = decode_block(cut, out);
      ASSERT_FALSE(r) << block_type_name(type) << " cut to " << len << " of " << block.size();
      EXPECT_EQ(r.error().code, ifx::ErrorCode::tsm_block_decode);
      ASSERT_TRUE(r.error().offset.has_value());
      EXPECT_LE(*r.error().offset, len);
      EXPECT_EQ(out.size(), 0u);
      // Lenient decoding and the time range must not crash either.
      (void)decode_block(cut, out, false);
      (void)block_time_range(cut);
    }
  }
}

TEST(TsmEncodingBlock, FlippedBytesNeverCrash) {
  for (BlockType type : kAllTypes) {
    const Bytes block = block_bytes(sample_block(type, 40, 4));
    DecodedBlock out;
    for (std::size_t i = 0; i < block.size(); ++i) {
      for (std::uint8_t x : {0x01, 0x10, 0x80, 0xff}) {
        Bytes damaged = block;
        damaged[i] ^= x;
        auto r = decode_block(damaged, out);
        if (!r) {
          EXPECT_EQ(r.error().code, ifx::ErrorCode::tsm_block_decode);
          ASSERT_TRUE(r.error().offset.has_value());
          EXPECT_LE(*r.error().offset, damaged.size());
        }
        (void)block_time_range(damaged);
      }
    }
  }
}

TEST(TsmEncodingBlock, ErrorOffsetsAreBlockOffsets) {
  DecodedBlock out;
  // Unknown type byte.
  auto r = decode_block(hex("05 01 00"), out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 0u);
  // Timestamp section longer than the block.
  r = decode_block(hex("00 20 1c 00"), out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 1u);
  // Too short to hold anything.
  r = decode_block(hex("00"), out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 1u);
  // Wrong value header nibble in the §6.7 block: value section starts at offset 11.
  Bytes block = kVectorBlock;
  block[11] = 0x30;
  r = decode_block(block, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 11u);
  // Wrong timestamp header nibble (3): timestamp section starts at offset 2.
  block = kVectorBlock;
  block[2] = 0x3c;
  r = decode_block(block, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 2u);
  auto range = block_time_range(block);
  ASSERT_FALSE(range);
  EXPECT_EQ(range.error().offset, 2u);
  // Missing terminator: the value section (offset 11) ends at block offset 30.
  block = kVectorBlock;
  block.pop_back();
  r = decode_block(block, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 29u);
  // Simple8b timestamp section with half a word.
  r = decode_block(hex("01 0d 10 00 00 00 00 00 00 00 01 f0 00 00 00 20 00 00 00 00 00 00 00 01"), out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 11u);
}

TEST(TsmEncodingBlock, CountMismatchIsStrictOrTruncated) {
  // Two timestamps (RLE), one integer value.
  DecodedBlock two;
  two.type = BlockType::Integer;
  two.times = {10, 20};
  two.integers = {7, 8};
  Bytes block = block_bytes(two);
  Bytes one_value;
  encode_integers(std::vector<std::int64_t>{7}, one_value);
  const std::size_t ts_end = 2 + block[1];
  block.resize(ts_end);
  block.insert(block.end(), one_value.begin(), one_value.end());
  DecodedBlock out;
  auto r = decode_block(block, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, ts_end);
  EXPECT_NE(r.error().message.find("2 timestamps but 1 values"), std::string::npos) << r.error().message;
  r = decode_block(block, out, false);
  ASSERT_TRUE(r);
  EXPECT_EQ(out.times, (std::vector<std::int64_t>{10}));
  EXPECT_EQ(out.integers, (std::vector<std::int64_t>{7}));
}

TEST(TsmEncodingBlock, HugeRunLengthsAreRefused) {
  Bytes ts{0x20};
  put_be64(ts, 0);
  put_uvarint(ts, 1);
  put_uvarint(ts, std::uint64_t{1} << 40);
  std::vector<std::int64_t> t;
  auto r = decode_timestamps(ts, t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 10u);
  Bytes ints{0x20};
  put_be64(ints, 0);
  put_uvarint(ints, 1);
  put_uvarint(ints, ~std::uint64_t{0});
  std::vector<std::int64_t> v;
  ASSERT_FALSE(decode_integers(ints, v));
  // A block whose timestamps are a huge RLE run also fails block_time_range.
  Bytes block{0x01};
  put_uvarint(block, ts.size());
  block.insert(block.end(), ts.begin(), ts.end());
  ASSERT_FALSE(block_time_range(block));
}

TEST(TsmEncodingBlock, EmptyBlocksEncodeAndDecode) {
  for (BlockType type : kAllTypes) {
    DecodedBlock b;
    b.type = type;
    const Bytes block = block_bytes(b);
    EXPECT_EQ(block[0], static_cast<std::uint8_t>(type));
    EXPECT_EQ(block[1], 0);
    DecodedBlock out;
    auto r = decode_block(block, out);
    ASSERT_TRUE(r) << block_type_name(type) << ": " << r.error().describe();
    EXPECT_EQ(out.size(), 0u);
  }
}

}  // namespace
