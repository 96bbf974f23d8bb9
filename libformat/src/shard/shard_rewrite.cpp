// rewrite_shard_points: every key of the shard (ShardPoints: newest file wins, tombstones applied,
// docs/FORMATS.md §6.2, §6.6) planned block by block (shard_rewrite_plan.cpp), copied or re-encoded
// into the output files (shard_rewrite_output.cpp).
#include "ifx/format/shard/shard_rewrite.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "shard/shard_rewrite_output.hpp"
#include "shard/shard_rewrite_plan.hpp"
#include "tsm/decoded_points.hpp"

namespace ifx {

namespace fs = std::filesystem;

namespace {

Result<void> check_arguments(const fs::path& out_dir, const ShardRewriteOptions& options) {
  if (options.max_points_per_block == 0) {
    return fail(ErrorCode::invalid_argument, "max_points_per_block must be at least 1");
  }
  if (options.keep && options.keep->min > options.keep->max) {
    return fail(ErrorCode::invalid_argument, fmt::format("the time range to keep starts at {}, after its end {}",
                                                         options.keep->min, options.keep->max));
  }
  std::error_code ec;
  if (!fs::is_directory(out_dir, ec)) {
    return fail(ErrorCode::invalid_argument,
                fmt::format("output directory {} does not exist (or is not a directory)", out_dir.string()));
  }
  if (!fs::is_empty(out_dir, ec) || ec) {
    return fail(ErrorCode::invalid_argument, fmt::format("output directory {} is not empty; the rewritten TSM files "
                                                         "need an empty one",
                                                         out_dir.string()));
  }
  return {};
}

// Rewrites the keys of one shard into `out`. Decoded points are gathered in `pending` until a
// block is full, so merged runs give full blocks whatever the batch boundaries.
class KeyRewriter {
 public:
  KeyRewriter(const tsm::ShardPoints& shard, const ShardRewriteOptions& options, detail::TsmFileSequence& out)
      : shard_(shard), options_(options), out_(out) {}

  Result<void> rewrite(const tsm::KeyInfo& key, std::uint64_t& blocks_copied) {
    pending_.clear();
    pending_.type = key.type;
    for (const detail::KeyRewriteStep& step : detail::plan_key_rewrite(key, options_.keep)) {
      if (step.copy) {
        if (auto r = flush(key.key); !r) return r;
        if (auto r = copy_block(key, step); !r) return r;
        ++blocks_copied;
      } else if (auto r = merge(step.merge); !r) {
        return r;
      }
    }
    return flush(key.key);
  }

 private:
  // docs/FORMATS.md §6.1: the CRC is checked by read_block; the first/last timestamps are checked
  // against the index entry because the keep range and the merge rely on them (§6.2).
  Result<void> copy_block(const tsm::KeyInfo& key, const detail::KeyRewriteStep& step) {
    const tsm::TsmReader& reader = shard_.file(step.file);
    auto data = reader.read_block(step.entry, key.type, io_buffer_);
    if (!data) return std::unexpected(std::move(data.error()));
    auto range = tsm::block_time_range(*data);
    if (!range || range->count == 0 || range->first != step.entry.min_time || range->last != step.entry.max_time) {
      if (auto r = reader.check_block_times(step.entry, *data); !r) return r;  // names the defect
      return fail(ErrorCode::tsm_time_range,
                  fmt::format("TSM block at offset {} does not match its index entry", step.entry.offset));
    }
    return out_.add_encoded_block(key.key, key.type, step.entry.min_time, step.entry.max_time, *data, range->count);
  }

  Result<void> merge(const tsm::KeyInfo& blocks) {
    tsm::KeyCursor cursor = shard_.open_cursor(blocks);
    for (;;) {
      auto more = cursor.next(batch_);
      if (!more) return std::unexpected(std::move(more.error()));
      if (!*more) return {};
      // Points come in ascending time: the kept ones are one contiguous run.
      std::size_t begin = 0, end = batch_.size();
      if (options_.keep) {
        begin = static_cast<std::size_t>(
            std::lower_bound(batch_.times.begin(), batch_.times.end(), options_.keep->min) - batch_.times.begin());
        end = static_cast<std::size_t>(std::upper_bound(batch_.times.begin(), batch_.times.end(), options_.keep->max) -
                                       batch_.times.begin());
      }
      if (pending_.size() == 0 && begin == 0 && end == batch_.size() && end == out_.max_points_per_block()) {
        if (auto r = out_.add_block_points(blocks.key, batch_); !r) return r;  // a full block as is
        continue;
      }
      while (begin < end) {
        const std::size_t take = std::min(end - begin, out_.max_points_per_block() - pending_.size());
        tsm::detail::append_points(pending_, batch_, begin, begin + take);
        begin += take;
        if (pending_.size() == out_.max_points_per_block()) {
          if (auto r = flush(blocks.key); !r) return r;
        }
      }
    }
  }

  Result<void> flush(std::string_view key) {
    if (pending_.size() == 0) return {};
    auto r = out_.add_block_points(key, pending_);
    const tsm::BlockType type = pending_.type;
    pending_.clear();
    pending_.type = type;
    return r;
  }

  const tsm::ShardPoints& shard_;
  const ShardRewriteOptions& options_;
  detail::TsmFileSequence& out_;
  tsm::DecodedBlock pending_;
  tsm::DecodedBlock batch_;
  std::vector<std::uint8_t> io_buffer_;
};

}  // namespace

Result<ShardRewriteResult> rewrite_shard_points(std::vector<tsm::TsmFileRef> files, const fs::path& out_dir,
                                                const ShardRewriteOptions& options) {
  if (auto r = check_arguments(out_dir, options); !r) return std::unexpected(std::move(r.error()));
  auto shard = tsm::ShardPoints::open(std::move(files), {.batch_points = options.max_points_per_block});
  if (!shard) return std::unexpected(std::move(shard.error()));

  detail::TsmFileSequence out(out_dir, options.max_points_per_block, options.max_tsm_file_bytes);
  KeyRewriter rewriter(*shard, options, out);
  ShardRewriteResult result;
  tsm::KeyInfo key;
  for (;;) {
    auto more = shard->next_key(key);
    if (!more) return std::unexpected(std::move(more.error()));
    if (!*more) break;
    if (options.keep && (key.max_time() < options.keep->min || key.min_time() > options.keep->max)) continue;
    if (auto r = rewriter.rewrite(key, result.blocks_copied); !r) return std::unexpected(std::move(r.error()));
  }
  auto written = out.finish();
  if (!written) return std::unexpected(std::move(written.error()));
  result.tsm_files = std::move(*written);
  result.keys = out.keys();
  result.blocks = out.blocks();
  result.points = out.points();
  return result;
}

}  // namespace ifx
