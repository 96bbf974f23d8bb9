// Writing one TSM file (docs/FORMATS.md §6) to a path: blocks are streamed to disk as they come, only
// the index (28 bytes per block plus the keys) stays in memory, and finish() appends the index
// and footer. The caller chooses the name (e.g. NAME.pending, then renames).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ifx/format/error.hpp"
#include "ifx/format/tsm/encoding.hpp"
#include "ifx/format/tsm/tsm_reader.hpp"

namespace ifx::tsm {

struct TsmWriterOptions {
  std::size_t max_points_per_block = 1000;  // docs/FORMATS.md §6.3 (influxd's max-points-per-block)
  bool sync_on_finish = true;               // fsync the file in finish()
};

class TsmWriter {
 public:
  // Creates (or truncates) `path`.
  static Result<TsmWriter> create(const std::filesystem::path& path, TsmWriterOptions options = {});

  TsmWriter(TsmWriter&&) noexcept;
  TsmWriter& operator=(TsmWriter&&) noexcept;
  ~TsmWriter();  // closes the file; an unfinished file is left as is (incomplete)

  // Adds an already-encoded block (type byte first, CRC excluded): the bytes are copied as is and
  // the CRC computed. Keys come in strictly increasing bytewise order; the blocks of one key in
  // ascending, non-overlapping time (min_time > the previous block's max_time) and of one type.
  // A key has at most 65534 blocks in one file (§6.3). Misuse is "invalid-argument".
  Result<void> add_encoded_block(std::string_view key, BlockType type, std::int64_t min_time, std::int64_t max_time,
                                 std::span<const std::uint8_t> block);

  // Encodes `points` (times strictly ascending) with encode_block, in blocks of at most
  // max_points_per_block points; same ordering rules as add_encoded_block.
  Result<void> add_points(std::string_view key, const DecodedBlock& points);

  // Writes the index and footer (and fsyncs); a file with no block is refused ("invalid-argument":
  // a TSM file always has at least one key, §6.1).
  Result<void> finish();

  std::uint64_t bytes_written() const;
  std::uint64_t block_count() const;
  std::uint64_t key_count() const;
  std::size_t max_points_per_block() const;

 private:
  TsmWriter() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ifx::tsm
