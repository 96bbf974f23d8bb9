// The tar bytes inside a shard archive file, decompressed by us rather than by libarchive:
// libarchive 3.6.2 neither checks the gzip trailer (CRC-32, ISIZE) nor reports a gzip stream cut
// inside its trailer, so we inflate ourselves and hand libarchive a plain tar (docs/FORMATS.md §3.3).
#pragma once

#include "archive/input_buffer.hpp"
#include "ifx/format/archive/shard_archive.hpp"

#include <memory>
#include <span>

namespace ifx::archive {

class DecodedStream {
 public:
  virtual ~DecodedStream() = default;
  // Decompressed bytes into `out` (at least one unless at the end); 0 only at the clean end of
  // the compressed stream, after its trailer was checked. Error offsets are file offsets.
  virtual Result<std::size_t> read(std::span<std::uint8_t> out) = 0;
  // File bytes consumed so far.
  virtual std::uint64_t compressed_bytes() const = 0;
};

// Detects the compression from the first bytes of `fd` and returns a stream over its tar bytes.
struct OpenedStream {
  ArchiveCompression compression;
  std::unique_ptr<DecodedStream> stream;
};
Result<OpenedStream> open_decoded_stream(int fd);

std::unique_ptr<DecodedStream> make_plain_stream(std::unique_ptr<InputBuffer> in);
std::unique_ptr<DecodedStream> make_gzip_stream(std::unique_ptr<InputBuffer> in);
std::unique_ptr<DecodedStream> make_zstd_stream(std::unique_ptr<InputBuffer> in);

}  // namespace ifx::archive
