// The check of one shard archive, by libformat's shard check (quick: structure and every TSM
// block's CRC; decoding is ifx-verify's full run): the compression stream and trailer, the tar to
// its end-of-archive marker, entry names of this shard only, the tar length equal to what was
// written. Run on the received tar as it arrives (stream_check.cpp), on archives written here
// (-start/-end cuts, empty shards) and on those an interrupted run left (--resume).
#include <fmt/format.h>

#include "ifx-backup/steps.hpp"
#include "ifx/format/check/shard_check.hpp"

namespace ifx::backup::detail {
namespace {

ShardExpectation expectation_of(const PlannedShard& shard) {
  return ShardExpectation{shard.database, shard.retention_policy, shard.shard_id};
}

}  // namespace

Result<check::Checked> check_archive(const std::filesystem::path& dir, const std::string& file_name,
                                     const PlannedShard& shard, std::optional<std::uint64_t> tar_bytes,
                                     const std::filesystem::path& scratch_root, ArchiveOpener open_archive) {
  ShardArchiveSource source{dir / file_name,     file_name,    tar_bytes,
                            "the bytes written", std::nullopt, std::move(open_archive)};
  const check::ShardCheckOptions options{.quick = true, .scratch_root = scratch_root, .max_defects_per_entry = 5};
  auto outcome = check::check_shard_archives({source}, expectation_of(shard), options);
  if (outcome.defects.empty()) return outcome.checked;
  Error first = std::move(outcome.defects.front());
  if (outcome.defects.size() > 1)
    first.message += fmt::format(" (and {} more defect{})", outcome.defects.size() - 1,
                                 outcome.defects.size() == 2 ? "" : "s");
  return std::unexpected(std::move(first));
}

Result<std::uint64_t> tar_length(const std::filesystem::path& path, const PlannedShard& shard) {
  std::uint64_t length = 0;
  ShardEntryVisitor visitor;  // entries are skipped; the end is checked fully
  visitor.on_archive_end = [&](const ShardArchiveSource&, const ArchiveRead& read) { length = read.tar_bytes; };
  if (auto r = for_each_shard_entry(shard_archive_sources({path}), expectation_of(shard), visitor); !r)
    return std::unexpected(std::move(r.error()));
  return length;
}

}  // namespace ifx::backup::detail
