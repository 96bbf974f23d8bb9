// Boolean value sections (docs/FORMATS.md §7.6): header 0x10, uvarint count, then the values as
// bits, first value in the most significant bit of the first byte.
#include <vector>

#include "ifx/format/tsm/encoding.hpp"
#include "tsm/block_decode_error.hpp"
#include "tsm/varint.hpp"

namespace ifx::tsm {
namespace {
constexpr std::uint8_t kBitPackedHeader = 0x10;
}  // namespace

using detail::block_decode_error;

Result<void> decode_booleans(std::span<const std::uint8_t> section, std::vector<std::uint8_t>& out) {
  out.clear();
  if (section.empty()) return {};
  if (section[0] >> 4 != kBitPackedHeader >> 4) {
    return block_decode_error(0, "boolean section header 0x{:02x} names encoding {}; expected 1 (bit-packed)",
                              section[0], section[0] >> 4);
  }
  const auto count = detail::read_uvarint(section, 1);
  if (count.length == 0) {
    return block_decode_error(1, "boolean section: the value count is truncated or not a valid uvarint");
  }
  const std::size_t bits_at = 1 + count.length;
  const std::size_t bytes = section.size() - bits_at;
  const std::uint64_t needed = count.value / 8 + (count.value % 8 != 0 ? 1 : 0);
  // influxd would silently decode min(count, 8·bytes) values; a writer never produces either
  // mismatch, so we report them as damage.
  if (needed > bytes) {
    return block_decode_error(1, "boolean section declares {} values but holds {} bytes of bits (room for {})",
                              count.value, bytes, bytes * 8);
  }
  if (needed < bytes) {
    return block_decode_error(bits_at + needed, "boolean section has {} unexpected bytes after its {} values",
                              bytes - needed, count.value);
  }
  if (count.value > kMaxBlockValues) {
    return block_decode_error(1, "boolean section declares {} values, more than the {} a block may hold", count.value,
                              kMaxBlockValues);
  }
  const auto n = static_cast<std::size_t>(count.value);
  out.resize(n);
  const std::uint8_t* in = section.data() + bits_at;
  std::uint8_t* o = out.data();
  const std::size_t whole = n / 8;
  for (std::size_t i = 0; i < whole; ++i, o += 8) {
    const unsigned b = in[i];
    for (unsigned k = 0; k < 8; ++k) o[k] = static_cast<std::uint8_t>((b >> (7 - k)) & 1);
  }
  for (std::size_t k = 0; k < n % 8; ++k) o[k] = static_cast<std::uint8_t>((in[whole] >> (7 - k)) & 1);
  return {};
}

void encode_booleans(std::span<const std::uint8_t> values, std::vector<std::uint8_t>& out) {
  out.push_back(kBitPackedHeader);
  detail::append_uvarint(out, values.size());
  std::uint8_t byte = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] != 0) byte |= static_cast<std::uint8_t>(0x80u >> (i % 8));
    if (i % 8 == 7) {
      out.push_back(byte);
      byte = 0;
    }
  }
  if (values.size() % 8 != 0) out.push_back(byte);
}

}  // namespace ifx::tsm
