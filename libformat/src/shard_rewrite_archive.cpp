// write_rewritten_shard: an unpacked shard rewritten (shard_rewrite.cpp) and written as the tar
// entries of one shard (FORMATS.md §4.1: `<db>/<rp>/<id>/<file>`, in file-name order). Tombstones
// are left out because the rewrite already applied them (§6.6), and an online restore would
// ignore them anyway (§4.5).
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "ifx/format/shard_rewrite.hpp"

namespace ifx {

namespace fs = std::filesystem;

namespace {

// A scratch directory removed with everything in it when it goes out of scope.
class ScratchDirectory {
 public:
  static Result<ScratchDirectory> create(const fs::path& root, std::uint64_t shard_id) {
    std::string tmpl = (root / fmt::format("ifx-rewrite-{}-XXXXXX", shard_id)).string();
    if (!::mkdtemp(tmpl.data())) {
      return fail("io", fmt::format("cannot create a scratch directory under {}: {}", root.string(),
                                    std::strerror(errno)));
    }
    ScratchDirectory d;
    d.path_ = tmpl;
    return d;
  }
  ScratchDirectory(ScratchDirectory&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  ScratchDirectory& operator=(ScratchDirectory&&) = delete;
  ~ScratchDirectory() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  ScratchDirectory() = default;
  fs::path path_;
};

}  // namespace

Result<ShardRewriteResult> write_rewritten_shard(const UnpackedShard& shard, std::string_view db, std::string_view rp,
                                                 std::uint64_t id, ShardArchiveWriter& writer,
                                                 const fs::path& scratch_root, const ShardRewriteOptions& options) {
  auto scratch = ScratchDirectory::create(scratch_root, id);
  if (!scratch) return std::unexpected(std::move(scratch.error()));

  std::vector<tsm::TsmFileRef> files;
  for (const fs::path& tsm : shard.tsm_paths()) files.push_back({tsm, shard.tombstone_for(tsm)});
  auto rewritten = rewrite_shard_points(std::move(files), scratch->path(), options);
  if (!rewritten) return std::unexpected(std::move(rewritten.error()));

  std::map<std::string, fs::path> entries;  // file name → source, in name order (§4.1)
  for (const std::string& name : shard.scan().files) {
    if (name.ends_with(".tsm") || name.ends_with(".tombstone")) continue;
    entries[name] = shard.dir() / name;
  }
  for (const fs::path& tsm : rewritten->tsm_files) entries[tsm.filename().string()] = tsm;
  for (const auto& [name, source] : entries) {
    if (auto r = writer.add_file(fmt::format("{}/{}/{}/{}", db, rp, id, name), source); !r) {
      return std::unexpected(std::move(r.error()));
    }
  }
  return rewritten;
}

}  // namespace ifx
