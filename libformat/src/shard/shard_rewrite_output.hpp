// Private (shard_rewrite*.cpp): the TSM files a rewrite produces, 000000001-000000001.tsm,
// 000000002-000000001.tsm, … (docs/FORMATS.md §6.3 naming), each started only when a block needs it
// and closed once it grows past the size limit or a key reaches the blocks-per-key limit.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ifx/format/error.hpp"
#include "ifx/format/tsm/encoding.hpp"
#include "ifx/format/tsm/tsm_writer.hpp"

namespace ifx::detail {

class TsmFileSequence {
 public:
  TsmFileSequence(std::filesystem::path dir, std::size_t max_points_per_block, std::uint64_t max_file_bytes);
  TsmFileSequence(const TsmFileSequence&) = delete;
  TsmFileSequence& operator=(const TsmFileSequence&) = delete;
  // Without a successful finish(): removes every file it created (pending or committed).
  ~TsmFileSequence();

  // One already-encoded block holding `points` points (TsmWriter::add_encoded_block rules).
  Result<void> add_encoded_block(std::string_view key, tsm::BlockType type, std::int64_t min_time,
                                 std::int64_t max_time, std::span<const std::uint8_t> block, std::size_t points);
  // At most max_points_per_block points, ascending: encoded as one block.
  Result<void> add_block_points(std::string_view key, const tsm::DecodedBlock& points);

  // Closes the last file and fsyncs the directory; returns the files in generation order.
  Result<std::vector<std::filesystem::path>> finish();

  std::size_t max_points_per_block() const { return max_points_per_block_; }
  std::uint64_t keys() const { return keys_; }
  std::uint64_t blocks() const { return blocks_; }
  std::uint64_t points() const { return points_; }

 private:
  Result<void> before_block(std::string_view key);
  Result<void> after_block(std::size_t points);
  Result<void> close_current();

  std::filesystem::path dir_;
  std::size_t max_points_per_block_;
  std::uint64_t max_file_bytes_;
  std::optional<tsm::TsmWriter> writer_;
  std::filesystem::path pending_path_;  // the open file, NAME.pending
  std::filesystem::path final_path_;
  std::vector<std::filesystem::path> committed_;
  std::uint32_t next_generation_ = 1;
  std::string last_key_;                  // the key of the latest block written, in any file
  std::uint64_t key_blocks_in_file_ = 0;  // blocks of last_key_ in the open file
  std::uint64_t keys_ = 0, blocks_ = 0, points_ = 0;
  bool finished_ = false;
};

}  // namespace ifx::detail
