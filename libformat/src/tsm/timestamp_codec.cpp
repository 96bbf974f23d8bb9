// Timestamp sections (docs/FORMATS.md §7.2): header nibble = encoding (0 uncompressed deltas,
// 1 simple8b, 2 RLE), low nibble = log10 of the divisor applied to the deltas.
#include <vector>

#include "ifx/format/tsm/encoding.hpp"
#include "tsm/block_decode_error.hpp"
#include "tsm/block_layout.hpp"
#include "tsm/simple8b.hpp"
#include "tsm/varint.hpp"

namespace ifx::tsm {
namespace {

using detail::block_decode_error;

enum : std::uint8_t { kUncompressed = 0, kPackedSimple8b = 1, kRunLength = 2 };

// A timestamp section checked for consistency, before any value is expanded.
struct TimestampLayout {
  std::uint8_t encoding = kUncompressed;
  std::uint64_t divisor = 1;
  std::uint64_t first = 0;
  std::span<const std::uint8_t> words;  // uncompressed: every delta; simple8b: the words after `first`
  std::uint64_t run_delta = 0;          // RLE: delta already multiplied by the divisor
  std::size_t count = 0;
};

Result<TimestampLayout> parse_layout(std::span<const std::uint8_t> s) {
  TimestampLayout t;
  if (s.empty()) return t;  // a section with no timestamps
  t.encoding = s[0] >> 4;
  t.divisor = detail::pow10_u64(s[0] & 0x0f);
  switch (t.encoding) {
    case kUncompressed: {
      t.words = s.subspan(1);
      if (t.words.size() % 8 != 0) {
        return block_decode_error(1 + t.words.size() - t.words.size() % 8,
                                  "uncompressed timestamp section holds {} bytes after its header; expected a "
                                  "multiple of 8 (one big-endian u64 delta per timestamp)",
                                  t.words.size());
      }
      t.count = t.words.size() / 8;
      if (t.count > 0) t.first = detail::load_be64(t.words.data());
      break;
    }
    case kPackedSimple8b: {
      if (s.size() < 9) {
        return block_decode_error(s.size(),
                                  "simple8b timestamp section is {} bytes long; it needs at least 9 (header "
                                  "and first timestamp)",
                                  s.size());
      }
      t.first = detail::load_be64(s.data() + 1);
      t.words = s.subspan(9);
      if (t.words.size() % 8 != 0) {
        return block_decode_error(9 + t.words.size() - t.words.size() % 8,
                                  "simple8b timestamp section ends with {} bytes that do not form a whole "
                                  "8-byte word",
                                  t.words.size() % 8);
      }
      t.count = 1 + simple8b::count_values(t.words);
      break;
    }
    case kRunLength: {
      if (s.size() < 9) {
        return block_decode_error(s.size(),
                                  "RLE timestamp section is {} bytes long; it needs at least 9 (header and "
                                  "first timestamp) before its delta and count",
                                  s.size());
      }
      t.first = detail::load_be64(s.data() + 1);
      const auto delta = detail::read_uvarint(s, 9);
      if (delta.length == 0) {
        return block_decode_error(9,
                                  "RLE timestamp section: the delta after the first timestamp is truncated "
                                  "or not a valid uvarint");
      }
      const std::size_t count_at = 9 + delta.length;
      const auto count = detail::read_uvarint(s, count_at);
      if (count.length == 0) {
        return block_decode_error(count_at,
                                  "RLE timestamp section: the repeat count is truncated or not a valid "
                                  "uvarint");
      }
      if (count.value > kMaxBlockValues) {
        return block_decode_error(count_at,
                                  "RLE timestamp section declares {} timestamps, more than the {} a block may "
                                  "hold",
                                  count.value, kMaxBlockValues);
      }
      const std::size_t end = count_at + count.length;
      if (end != s.size()) {
        return block_decode_error(end, "RLE timestamp section has {} unexpected bytes after its repeat count",
                                  s.size() - end);
      }
      t.run_delta = delta.value * t.divisor;
      t.count = static_cast<std::size_t>(count.value);
      break;
    }
    default:
      return block_decode_error(0,
                                "timestamp section header 0x{:02x} names encoding {}; expected 0 "
                                "(uncompressed), 1 (simple8b) or 2 (RLE)",
                                s[0], s[0] >> 4);
  }
  if (t.count > kMaxBlockValues) {
    return block_decode_error(0, "timestamp section holds {} timestamps, more than the {} a block may hold", t.count,
                              kMaxBlockValues);
  }
  return t;
}

}  // namespace

Result<void> decode_timestamps(std::span<const std::uint8_t> section, std::vector<std::int64_t>& out) {
  out.clear();
  auto layout = parse_layout(section);
  if (!layout) return std::unexpected(std::move(layout.error()));
  const TimestampLayout& t = *layout;
  if (t.count == 0) return {};
  out.resize(t.count);
  // Wrapping u64 arithmetic (§7.2); int64 and uint64 may alias.
  auto* o = reinterpret_cast<std::uint64_t*>(out.data());
  switch (t.encoding) {
    case kUncompressed: {
      std::uint64_t acc = 0;
      for (std::size_t i = 0; i < t.count; ++i) {
        acc += detail::load_be64(t.words.data() + 8 * i);
        o[i] = acc;
      }
      break;
    }
    case kPackedSimple8b: {
      o[0] = t.first;
      simple8b::unpack_words(t.words, o + 1);
      if (t.divisor == 1) {
        for (std::size_t i = 1; i < t.count; ++i) o[i] += o[i - 1];
      } else {
        const std::uint64_t div = t.divisor;
        for (std::size_t i = 1; i < t.count; ++i) o[i] = o[i - 1] + o[i] * div;
      }
      break;
    }
    default: {  // kRunLength
      std::uint64_t v = t.first;
      for (std::size_t i = 0; i < t.count; ++i, v += t.run_delta) o[i] = v;
      break;
    }
  }
  return {};
}

namespace detail {

Result<TimestampSummary> summarize_timestamps(std::span<const std::uint8_t> section) {
  auto layout = parse_layout(section);
  if (!layout) return std::unexpected(std::move(layout.error()));
  const TimestampLayout& t = *layout;
  TimestampSummary summary;
  summary.count = t.count;
  if (t.count == 0) return summary;
  std::uint64_t last = 0;
  switch (t.encoding) {
    case kUncompressed:
      for (std::size_t i = 0; i < t.count; ++i) last += load_be64(t.words.data() + 8 * i);
      break;
    case kPackedSimple8b:
      // sum(v·div) == sum(v)·div in wrapping arithmetic, so one multiply suffices.
      last = t.first + simple8b::sum_values(t.words) * t.divisor;
      break;
    default:
      last = t.first + static_cast<std::uint64_t>(t.count - 1) * t.run_delta;
      break;
  }
  summary.first = static_cast<std::int64_t>(t.first);
  summary.last = static_cast<std::int64_t>(last);
  return summary;
}

}  // namespace detail

void encode_timestamps(std::span<const std::int64_t> times, std::vector<std::uint8_t>& out) {
  const std::size_t n = times.size();
  if (n == 0) return;  // §7.2 rule 1: empty section
  thread_local std::vector<std::uint64_t> deltas;
  deltas.resize(n);
  deltas[0] = static_cast<std::uint64_t>(times[0]);
  std::uint64_t max = 0;
  std::uint64_t divisor = 1'000'000'000'000;  // rule 2: start at 10^12
  bool all_equal = true;
  for (std::size_t i = 1; i < n; ++i) {
    const std::uint64_t d = static_cast<std::uint64_t>(times[i]) - static_cast<std::uint64_t>(times[i - 1]);
    deltas[i] = d;
    if (d > max) max = d;
    while (divisor > 1 && d % divisor != 0) divisor /= 10;
    if (i > 1 && d != deltas[i - 1]) all_equal = false;
  }
  std::uint8_t exponent = 0;
  for (std::uint64_t d = divisor; d > 1; d /= 10) ++exponent;

  if (n > 1 && all_equal) {  // rule 3: RLE (two points are always RLE)
    out.push_back(static_cast<std::uint8_t>(kRunLength << 4 | exponent));
    detail::append_be64(out, deltas[0]);
    detail::append_uvarint(out, deltas[1] / divisor);
    detail::append_uvarint(out, n);
    return;
  }
  if (max > simple8b::kMaxValue) {  // rule 4: deltas too large for simple8b
    out.push_back(kUncompressed << 4);
    for (std::uint64_t d : deltas) detail::append_be64(out, d);
    return;
  }
  out.push_back(static_cast<std::uint8_t>(kPackedSimple8b << 4 | exponent));  // rule 5
  detail::append_be64(out, deltas[0]);
  if (divisor > 1) {
    for (std::size_t i = 1; i < n; ++i) deltas[i] /= divisor;
  }
  simple8b::pack_values(std::span(deltas).subspan(1), simple8b::OnesRule::Streaming, out);
}

}  // namespace ifx::tsm
