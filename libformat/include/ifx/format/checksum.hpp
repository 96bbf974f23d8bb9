// Checksums used by the formats: CRC-32 IEEE (TSM blocks §6.1, gzip trailers §3.3) via
// libdeflate, which is several times faster than zlib's.
#pragma once

#include <cstdint>
#include <span>

namespace ifx {

// CRC-32 IEEE 802.3 (reflected 0xEDB88320, init/final xor 0xFFFFFFFF); `crc` continues a
// running value (start with 0).
std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc = 0);

}  // namespace ifx
