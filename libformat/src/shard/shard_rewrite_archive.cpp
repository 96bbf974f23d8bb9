// write_rewritten_shard: an unpacked shard rewritten (shard_rewrite.cpp) and written as the tar
// entries of one shard (docs/FORMATS.md §4.1: `<db>/<rp>/<id>/<file>`, in file-name order). Tombstones
// are left out because the rewrite already applied them (§6.6), and an online restore would
// ignore them anyway (§4.5).
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "ifx/format/tsm/tsm_file_names.hpp"
#include "ifx/format/shard/shard_rewrite.hpp"
#include "ifx/format/io/scratch_directory.hpp"

namespace ifx {

namespace fs = std::filesystem;

namespace {}  // namespace

Result<ShardRewriteResult> write_rewritten_shard(const UnpackedShard& shard, std::string_view db, std::string_view rp,
                                                 std::uint64_t id, ShardArchiveWriter& writer,
                                                 const fs::path& scratch_root, const ShardRewriteOptions& options) {
  auto scratch = ScratchDirectory::create(scratch_root, fmt::format("ifx-rewrite-{}", id));
  if (!scratch) return std::unexpected(std::move(scratch.error()));

  std::vector<tsm::TsmFileRef> files;
  for (const fs::path& tsm : shard.tsm_paths()) files.push_back({tsm, shard.tombstone_for(tsm)});
  auto rewritten = rewrite_shard_points(std::move(files), scratch->path(), options);
  if (!rewritten) return std::unexpected(std::move(rewritten.error()));

  std::map<std::string, fs::path> entries;  // file name → source, in name order (§4.1)
  for (const std::string& name : shard.scan().files) {
    if (tsm::is_tsm_file(name) || tsm::is_tombstone_file(name)) continue;
    entries[name] = shard.dir() / name;
  }
  for (const fs::path& tsm : rewritten->tsm_files) entries[tsm.filename().string()] = tsm;
  for (const auto& [name, source] : entries) {
    if (auto r = writer.add_file(shard_entry_name(db, rp, id, name), source); !r) {
      return std::unexpected(std::move(r.error()));
    }
  }
  return rewritten;
}

}  // namespace ifx
