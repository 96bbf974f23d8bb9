#include "ifx/format/checksum.hpp"

#include <libdeflate.h>

namespace ifx {

std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc) {
  return libdeflate_crc32(crc, data.data(), data.size());
}

}  // namespace ifx
