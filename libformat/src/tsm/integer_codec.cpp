// Integer (type 1) and unsigned (type 4) value sections (docs/FORMATS.md §7.5): zigzag-encoded
// deltas, stored uncompressed, simple8b-packed or run-length encoded. Unsigned values use the
// same bytes, reinterpreted; all arithmetic wraps in u64.
#include <string_view>
#include <vector>

#include "ifx/format/tsm/encoding.hpp"
#include "tsm/block_decode_error.hpp"
#include "tsm/simple8b.hpp"
#include "tsm/varint.hpp"

namespace ifx::tsm {
namespace {

using detail::block_decode_error;
using detail::unzigzag;

enum : std::uint8_t { kUncompressed = 0, kPackedSimple8b = 1, kRunLength = 2 };

Result<void> check_count(std::size_t count, std::string_view kind, std::uint64_t offset) {
  if (count > kMaxBlockValues) {
    return block_decode_error(offset, "{} section holds {} values, more than the {} a block may hold", kind, count,
                              kMaxBlockValues);
  }
  return {};
}

// T is std::int64_t or std::uint64_t; both are filled through u64 (they may alias).
template <class T>
Result<void> decode_zigzag_section(std::span<const std::uint8_t> s, std::vector<T>& out, std::string_view kind) {
  out.clear();
  if (s.empty()) return {};
  switch (s[0] >> 4) {
    case kUncompressed: {
      const auto words = s.subspan(1);
      if (words.size() % 8 != 0) {
        return block_decode_error(1 + words.size() - words.size() % 8,
                                  "uncompressed {} section holds {} bytes after its header; expected a multiple "
                                  "of 8 (one big-endian u64 per value)",
                                  kind, words.size());
      }
      const std::size_t count = words.size() / 8;
      if (auto r = check_count(count, kind, 0); !r) return r;
      out.resize(count);
      auto* o = reinterpret_cast<std::uint64_t*>(out.data());
      std::uint64_t acc = 0;
      for (std::size_t i = 0; i < count; ++i) {
        acc += unzigzag(detail::load_be64(words.data() + 8 * i));
        o[i] = acc;
      }
      return {};
    }
    case kPackedSimple8b: {
      if (s.size() < 9) {
        return block_decode_error(s.size(),
                                  "simple8b {} section is {} bytes long; it needs at least 9 (header and first "
                                  "value)",
                                  kind, s.size());
      }
      const auto words = s.subspan(9);
      if (words.size() % 8 != 0) {
        return block_decode_error(9 + words.size() - words.size() % 8,
                                  "simple8b {} section ends with {} bytes that do not form a whole 8-byte word", kind,
                                  words.size() % 8);
      }
      const std::size_t count = 1 + simple8b::count_values(words);
      if (auto r = check_count(count, kind, 0); !r) return r;
      out.resize(count);
      auto* o = reinterpret_cast<std::uint64_t*>(out.data());
      o[0] = unzigzag(detail::load_be64(s.data() + 1));
      simple8b::unpack_words(words, o + 1);
      for (std::size_t i = 1; i < count; ++i) o[i] = o[i - 1] + unzigzag(o[i]);
      return {};
    }
    case kRunLength: {
      if (s.size() < 9) {
        return block_decode_error(s.size(),
                                  "RLE {} section is {} bytes long; it needs at least 9 (header and first value) "
                                  "before its delta and count",
                                  kind, s.size());
      }
      const auto delta = detail::read_uvarint(s, 9);
      if (delta.length == 0) {
        return block_decode_error(9,
                                  "RLE {} section: the delta after the first value is truncated or not a "
                                  "valid uvarint",
                                  kind);
      }
      const std::size_t count_at = 9 + delta.length;
      const auto repeats = detail::read_uvarint(s, count_at);
      if (repeats.length == 0) {
        return block_decode_error(count_at, "RLE {} section: the repeat count is truncated or not a valid uvarint",
                                  kind);
      }
      if (repeats.value >= kMaxBlockValues) {
        return block_decode_error(count_at, "RLE {} section repeats its delta {} times, more than a block may hold",
                                  kind, repeats.value);
      }
      const std::size_t end = count_at + repeats.length;
      if (end != s.size()) {
        return block_decode_error(end, "RLE {} section has {} unexpected bytes after its repeat count", kind,
                                  s.size() - end);
      }
      // §7.5: the count is the number of repeated deltas, so there are count + 1 values.
      const std::size_t count = static_cast<std::size_t>(repeats.value) + 1;
      out.resize(count);
      auto* o = reinterpret_cast<std::uint64_t*>(out.data());
      const std::uint64_t step = unzigzag(delta.value);
      std::uint64_t v = unzigzag(detail::load_be64(s.data() + 1));
      for (std::size_t i = 0; i < count; ++i, v += step) o[i] = v;
      return {};
    }
    default:
      return block_decode_error(0,
                                "{} section header 0x{:02x} names encoding {}; expected 0 (uncompressed), "
                                "1 (simple8b) or 2 (RLE)",
                                kind, s[0], s[0] >> 4);
  }
}

template <class T>
void encode_zigzag_section(std::span<const T> values, std::vector<std::uint8_t>& out) {
  const std::size_t n = values.size();
  if (n == 0) return;
  thread_local std::vector<std::uint64_t> z;
  z.resize(n);
  std::uint64_t prev = 0;
  std::uint64_t max = 0;
  bool deltas_equal = true;
  for (std::size_t i = 0; i < n; ++i) {
    const auto v = static_cast<std::uint64_t>(values[i]);
    z[i] = detail::zigzag(v - prev);
    prev = v;
    if (z[i] > max) max = z[i];  // includes z[0], as 1.6.7 and the 1.8.10 streaming path do
    if (i > 1 && z[i] != z[i - 1]) deltas_equal = false;
  }
  if (n > 2 && deltas_equal) {  // §7.5: RLE only when it saves space
    out.push_back(kRunLength << 4);
    detail::append_be64(out, z[0]);
    detail::append_uvarint(out, z[1]);
    detail::append_uvarint(out, n - 1);
    return;
  }
  if (max > simple8b::kMaxValue) {
    out.push_back(kUncompressed << 4);
    for (std::uint64_t v : z) detail::append_be64(out, v);
    return;
  }
  out.push_back(kPackedSimple8b << 4);
  detail::append_be64(out, z[0]);
  simple8b::pack_values(std::span(z).subspan(1), simple8b::OnesRule::EncodeAll, out);
}

}  // namespace

Result<void> decode_integers(std::span<const std::uint8_t> section, std::vector<std::int64_t>& out) {
  return decode_zigzag_section(section, out, "integer");
}

Result<void> decode_unsigneds(std::span<const std::uint8_t> section, std::vector<std::uint64_t>& out) {
  return decode_zigzag_section(section, out, "unsigned");
}

void encode_integers(std::span<const std::int64_t> values, std::vector<std::uint8_t>& out) {
  encode_zigzag_section(values, out);
}

void encode_unsigneds(std::span<const std::uint64_t> values, std::vector<std::uint8_t>& out) {
  encode_zigzag_section(values, out);
}

}  // namespace ifx::tsm
