// String value sections (docs/FORMATS.md §7.7): header 0x10, then one Snappy raw block (not the
// framed format) holding uvarint(len) + bytes for each value.
#include <memory>
#include <vector>

#include <snappy.h>

#include "ifx/format/tsm/encoding.hpp"
#include "tsm/block_decode_error.hpp"
#include "tsm/varint.hpp"

namespace ifx::tsm {
namespace {

using detail::block_decode_error;

constexpr std::uint8_t kSnappyHeader = 0x10;
// Snappy cannot expand data by more than ~22x (a 3-byte copy yields at most 64 bytes), so a
// declared length far beyond that is a damaged or hostile block, not data.
constexpr std::size_t kMaxDecompressedBytes = std::size_t{64} << 20;
constexpr std::size_t kMaxExpansion = 1000;
// Decompression scratch kept per thread, but not when a block made it unusually large.
constexpr std::size_t kKeptScratchBytes = std::size_t{4} << 20;

class Scratch {
 public:
  char* get(std::size_t n) {
    if (n > capacity_) {
      data_ = std::make_unique_for_overwrite<char[]>(n);
      capacity_ = n;
    }
    return data_.get();
  }
  void trim() {
    if (capacity_ > kKeptScratchBytes) {
      data_.reset();
      capacity_ = 0;
    }
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
};

// Fills `out` from the decompressed bytes, reusing the strings already in it (their buffers).
Result<void> split_values(std::span<const std::uint8_t> raw, std::vector<std::string>& out) {
  std::size_t pos = 0;
  std::size_t j = 0;
  while (pos < raw.size()) {
    const auto len = detail::read_uvarint(raw, pos);
    if (len.length == 0) {
      return block_decode_error(1,
                                "string section: value #{} has a truncated or invalid length prefix at byte {} "
                                "of the decompressed data",
                                j, pos);
    }
    pos += len.length;
    if (len.value > raw.size() - pos) {
      return block_decode_error(1,
                                "string section: value #{} declares {} bytes but only {} remain in the "
                                "decompressed data",
                                j, len.value, raw.size() - pos);
    }
    if (j >= kMaxBlockValues) {
      return block_decode_error(1, "string section holds more than the {} values a block may hold", kMaxBlockValues);
    }
    const char* bytes = reinterpret_cast<const char*>(raw.data() + pos);
    const auto n = static_cast<std::size_t>(len.value);
    if (j < out.size()) {
      out[j].assign(bytes, n);
    } else {
      out.emplace_back(bytes, n);
    }
    pos += n;
    ++j;
  }
  out.resize(j);
  return {};
}

}  // namespace

Result<void> decode_strings(std::span<const std::uint8_t> section, std::vector<std::string>& out) {
  if (section.empty()) {
    out.clear();
    return {};
  }
  if (section[0] >> 4 != kSnappyHeader >> 4) {
    out.clear();
    return block_decode_error(0, "string section header 0x{:02x} names encoding {}; expected 1 (Snappy)", section[0],
                              section[0] >> 4);
  }
  const char* compressed = reinterpret_cast<const char*>(section.data() + 1);
  const std::size_t compressed_size = section.size() - 1;
  if (compressed_size == 0) {
    out.clear();
    return block_decode_error(1, "string section has no Snappy data after its header");
  }
  std::size_t size = 0;
  if (!snappy::GetUncompressedLength(compressed, compressed_size, &size)) {
    out.clear();
    return block_decode_error(1, "string section: the Snappy block's length header is damaged");
  }
  if (size > kMaxDecompressedBytes || size > kMaxExpansion * compressed_size) {
    out.clear();
    return block_decode_error(1,
                              "string section: the Snappy block declares {} decompressed bytes from {} "
                              "compressed bytes; refused (limits: 64 MiB and {}x the compressed size)",
                              size, compressed_size, kMaxExpansion);
  }
  thread_local Scratch scratch;
  char* raw = scratch.get(size);
  if (!snappy::RawUncompress(compressed, compressed_size, raw)) {
    out.clear();
    scratch.trim();
    return block_decode_error(1,
                              "string section: the Snappy block is corrupt (it does not decompress to the {} "
                              "bytes it declares)",
                              size);
  }
  auto r = split_values({reinterpret_cast<const std::uint8_t*>(raw), size}, out);
  scratch.trim();
  if (!r) out.clear();
  return r;
}

void encode_strings(std::span<const std::string> values, std::vector<std::uint8_t>& out) {
  thread_local std::vector<std::uint8_t> raw;
  raw.clear();
  for (const std::string& v : values) {
    detail::append_uvarint(raw, v.size());
    raw.insert(raw.end(), v.begin(), v.end());
  }
  out.push_back(kSnappyHeader);
  const std::size_t at = out.size();
  out.resize(at + snappy::MaxCompressedLength(raw.size()));
  std::size_t written = 0;
  snappy::RawCompress(reinterpret_cast<const char*>(raw.data()), raw.size(), reinterpret_cast<char*>(out.data() + at),
                      &written);
  out.resize(at + written);
  if (raw.capacity() > kKeptScratchBytes) raw = {};
}

}  // namespace ifx::tsm
