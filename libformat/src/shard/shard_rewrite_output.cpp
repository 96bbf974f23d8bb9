// The rewrite's output files (docs/FORMATS.md §6.3): generation-numbered, written as NAME.pending,
// fsynced by TsmWriter::finish, renamed, the directory fsynced at the end (docs/ARCHITECTURE.md).
#include "shard/shard_rewrite_output.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "ifx/format/tsm/tsm_file_names.hpp"
#include "ifx/format/io/atomic_file.hpp"

namespace ifx::detail {

namespace {
// docs/FORMATS.md §6.3: a key's block count in one file is a u16 (influxd fills it to 65535, then
// its compactor rolls over to the next file); the writer stops at 65534, and so do we.
constexpr std::uint64_t kMaxBlocksPerKeyPerFile = 65534;
}  // namespace

TsmFileSequence::TsmFileSequence(std::filesystem::path dir, std::size_t max_points_per_block,
                                 std::uint64_t max_file_bytes)
    : dir_(std::move(dir)), max_points_per_block_(max_points_per_block), max_file_bytes_(max_file_bytes) {}

TsmFileSequence::~TsmFileSequence() {
  if (finished_) return;
  writer_.reset();  // closes the descriptor before the file goes
  std::error_code ec;
  if (!pending_path_.empty()) std::filesystem::remove(pending_path_, ec);
  for (const auto& p : committed_) std::filesystem::remove(p, ec);
}

Result<void> TsmFileSequence::before_block(std::string_view key) {
  if (blocks_ == 0 || key != last_key_) {
    last_key_.assign(key);
    key_blocks_in_file_ = 0;
    ++keys_;
  }
  if (writer_ && key_blocks_in_file_ >= kMaxBlocksPerKeyPerFile) {
    if (auto r = close_current(); !r) return r;
  }
  if (writer_) return {};
  final_path_ = dir_ / tsm::tsm_file_name(next_generation_++, 1);
  pending_path_ = pending_path_of(final_path_);
  auto writer = tsm::TsmWriter::create(pending_path_,
                                       {.max_points_per_block = max_points_per_block_, .sync_on_finish = true});
  if (!writer) {
    pending_path_.clear();
    return std::unexpected(std::move(writer.error()));
  }
  writer_ = std::move(*writer);
  key_blocks_in_file_ = 0;
  return {};
}

Result<void> TsmFileSequence::after_block(std::size_t points) {
  ++blocks_;
  ++key_blocks_in_file_;
  points_ += points;
  if (writer_->bytes_written() > max_file_bytes_) return close_current();
  return {};
}

Result<void> TsmFileSequence::close_current() {
  if (auto r = writer_->finish(); !r) return r;
  writer_.reset();
  if (std::rename(pending_path_.c_str(), final_path_.c_str()) != 0) {
    return std::unexpected(fail(ErrorCode::io, fmt::format("cannot rename {} to {}: {}", pending_path_.string(),
                                                           final_path_.filename().string(), std::strerror(errno)))
                               .error()
                               .in_file(pending_path_.string()));
  }
  pending_path_.clear();
  committed_.push_back(final_path_);
  return {};
}

Result<void> TsmFileSequence::add_encoded_block(std::string_view key, tsm::BlockType type, std::int64_t min_time,
                                                std::int64_t max_time, std::span<const std::uint8_t> block,
                                                std::size_t points) {
  if (auto r = before_block(key); !r) return r;
  if (auto r = writer_->add_encoded_block(key, type, min_time, max_time, block); !r) return r;
  return after_block(points);
}

Result<void> TsmFileSequence::add_block_points(std::string_view key, const tsm::DecodedBlock& points) {
  if (points.size() > max_points_per_block_) {
    return fail(ErrorCode::invalid_argument, fmt::format("{} points for key \"{}\" do not fit one block of at most {}",
                                                         points.size(), key, max_points_per_block_));
  }
  if (auto r = before_block(key); !r) return r;
  if (auto r = writer_->add_points(key, points); !r) return r;
  return after_block(points.size());
}

Result<std::vector<std::filesystem::path>> TsmFileSequence::finish() {
  if (writer_) {
    if (auto r = close_current(); !r) return std::unexpected(std::move(r.error()));
  }
  if (!committed_.empty()) {
    if (auto r = fsync_dir(dir_); !r) return std::unexpected(std::move(r.error()));
  }
  finished_ = true;
  return committed_;
}

}  // namespace ifx::detail
