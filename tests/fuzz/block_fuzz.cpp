// Whole TSM blocks (docs/FORMATS.md §7.1): decode_block (strict and lenient), block_time_range, and
// decode → encode_block → decode round trip.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "codec_roundtrip.hpp"

using namespace ifx;
using namespace ifx::tsm;

namespace {

bool same_block(const DecodedBlock& a, const DecodedBlock& b) {
  return a.type == b.type && a.times == b.times && fuzz::same_values(a.floats, b.floats) && a.integers == b.integers &&
         a.unsigneds == b.unsigneds && a.booleans == b.booleans && a.strings == b.strings;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  static DecodedBlock lenient;
  static DecodedBlock strict;
  static DecodedBlock again;
  static std::vector<std::uint8_t> encoded;

  auto range = block_time_range(bytes);
  auto lenient_ok = decode_block(bytes, lenient, false);
  auto strict_ok = decode_block(bytes, strict, true);
  if (!range) {
    fuzz::check_error(range.error(), {"tsm-block-decode"}, size);
    // The timestamp section is decoded first and validated the same way by both.
    fuzz::check(!lenient_ok && lenient_ok.error().offset == range.error().offset,
                "block_time_range refuses a block decode_block accepts (or at another offset)",
                lenient_ok ? range.error().message : range.error().message + " | " + lenient_ok.error().message);
  }
  if (!lenient_ok) {
    fuzz::check_error(lenient_ok.error(), {"tsm-block-decode"}, size);
    fuzz::check(!strict_ok, "strict decode accepts what lenient decode refuses");
    fuzz::check(lenient.size() == 0, "failed decode leaves values behind");
    return 0;
  }
  fuzz::check(range.has_value(), "decode_block accepts a block block_time_range refuses");
  fuzz::check(lenient.value_count() == lenient.size(), "lenient decode leaves counts unequal");
  if (!strict_ok) {
    fuzz::check_error(strict_ok.error(), {"tsm-block-decode"}, size);
    return 0;
  }
  fuzz::check(same_block(strict, lenient), "strict and lenient decodes differ");
  fuzz::check(range->type == strict.type && range->count == strict.size(), "block_time_range type/count differ");
  if (strict.size() > 0) {
    fuzz::check(range->first == strict.times.front() && range->last == strict.times.back(),
                "block_time_range first/last differ from the decoded timestamps");
  }

  if (strict.size() > fuzz::kMaxRoundTripValues) return 0;
  encoded.clear();
  auto e = encode_block(strict, encoded);
  if (!e) {
    bool has_nan = false;
    for (double v : strict.floats) has_nan = has_nan || std::isnan(v);
    fuzz::check(has_nan, "encode_block refuses a decoded block", e.error().message);
    return 0;
  }
  auto r = decode_block(encoded, again, true);
  fuzz::check(r.has_value(), "decode_block refuses encode_block's output", r ? std::string() : r.error().message);
  fuzz::check(same_block(strict, again), "decode(encode(block)) != block");
  return 0;
}
