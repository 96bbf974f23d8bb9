// Where the writer's tar bytes go: straight to the atomic file, or through gzip (docs/FORMATS.md
// §3.3) or zstd, each with a bounded output buffer.
#pragma once

#include "ifx/format/archive/shard_archive.hpp"

#include <memory>
#include <span>

namespace ifx::archive {

class EncodedSink {
 public:
  virtual ~EncodedSink() = default;
  virtual Result<void> write(std::span<const std::uint8_t> tar_bytes) = 0;
  // Flushes the compressor and writes its trailer (not the file commit).
  virtual Result<void> finish() = 0;
};

// `file` must outlive the sink.
Result<std::unique_ptr<EncodedSink>> make_encoded_sink(AtomicFile& file, const ShardArchiveWriterOptions& options);

}  // namespace ifx::archive
