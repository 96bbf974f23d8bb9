// Checksums used by the formats: CRC-32 IEEE (TSM blocks §6.1, gzip trailers §3.3) via
// libdeflate, which is several times faster than zlib's; SHA-256 (OpenSSL) for the per-file
// digests ifxkit records in its manifests, so a backup can be checked byte for byte later.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "ifx/format/error.hpp"

namespace ifx {

// CRC-32 IEEE 802.3 (reflected 0xEDB88320, init/final xor 0xFFFFFFFF); `crc` continues a
// running value (start with 0).
std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc = 0);

// Streaming SHA-256.
class Sha256 {
 public:
  Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  ~Sha256();

  void update(std::span<const std::uint8_t> data);
  // The digest as 64 lowercase hex digits; the object starts over afterwards.
  std::string finish_hex();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// SHA-256 of a whole file, read in chunks; errors are "io" naming the file.
Result<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace ifx
