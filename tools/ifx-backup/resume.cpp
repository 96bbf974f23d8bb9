// --resume: a crash or a cut connection leaves `<base>.meta`, some complete archives and perhaps
// `.pending` files, but no `<base>.manifest` (it is written last, docs/FORMATS.md §3.1). The resumed
// run keeps that base, checks and keeps the complete archives, and fetches the rest.
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ifx-backup/steps.hpp"
#include "ifx/format/io/atomic_file.hpp"

namespace ifx::backup::detail {
namespace fs = std::filesystem;

namespace {

// The backups a directory already holds: portable bases with a manifest (complete) and without
// (interrupted), and legacy files.
struct DirectoryContents {
  std::vector<std::string> complete, open;  // portable bases, oldest first
  std::vector<std::string> legacy;          // legacy meta.NN and shard files, sorted
};

DirectoryContents contents_of(const fs::path& dir) {
  std::error_code ec;
  std::set<std::string> bases, with_manifest;
  DirectoryContents out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (parse_legacy_meta_file(n) || parse_legacy_shard_file(n)) out.legacy.push_back(n);
    // Any file of a base counts, not only `<base>.meta`: a resumed run killed after it removed
    // the old meta and before it wrote the new one leaves archives (or .pending files) alone,
    // and those must stay resumable.
    auto base = portable_base_of(n);
    if (!base) continue;
    bases.insert(*base);
    if (n == portable_manifest_file(*base)) with_manifest.insert(*base);
  }
  for (const auto& b : bases) (with_manifest.count(b) ? out.complete : out.open).push_back(b);
  std::sort(out.legacy.begin(), out.legacy.end());
  return out;
}

std::string first_few(const std::vector<std::string>& names) {
  if (names.size() <= 3) return fmt::format("{}", fmt::join(names, ", "));
  return fmt::format("{}, … ({} files)", fmt::join(names.begin(), names.begin() + 3, ", "), names.size());
}

}  // namespace

Result<std::string> find_resumable_base(const fs::path& dir) {
  std::error_code ec;
  // Killed before it created anything: there is nothing to keep, a fresh backup is the resume.
  if (!fs::exists(fs::symlink_status(dir, ec))) return std::string();
  if (!fs::is_directory(dir, ec))
    return fail(ErrorCode::invalid_argument, fmt::format("--resume: {} is not a directory", dir.string()));
  const DirectoryContents c = contents_of(dir);
  if (!c.open.empty()) return c.open.back();  // names sort by time: the newest interrupted run
  if (!c.complete.empty()) {
    std::vector<std::string> manifests;
    for (const auto& b : c.complete) manifests.push_back(portable_manifest_file(b));
    return fail(ErrorCode::invalid_argument,
                fmt::format("--resume: every backup in {} is complete (manifests: {}); nothing "
                            "to resume",
                            dir.string(), fmt::join(manifests, ", ")));
  }
  // No file of any portable backup: the interrupted run died before writing one. Starting over
  // is all a resume can do (the caller says so in the summary).
  return std::string();
}

Result<void> check_target_directory(const Options& o) {
  std::error_code ec;
  if (o.resume || writes_stream(o) || !fs::is_directory(o.dir, ec)) return {};
  const DirectoryContents c = contents_of(o.dir);
  const std::string dir = o.dir.string();
  // What influxd also does stays allowed: portable backups beside complete portable ones (a
  // chain, -since incrementals) and legacy increments beside legacy files.
  if (o.portable && !c.legacy.empty())
    return fail(ErrorCode::usage,
                fmt::format("{} holds a legacy backup ({}): a portable backup beside it leaves a directory "
                            "that no restore reads whole. Write it into another directory (or keep nightly "
                            "snapshots with --repo REPO); nothing was written",
                            dir, first_few(c.legacy)));
  if (o.portable && !c.open.empty())
    return fail(ErrorCode::usage,
                fmt::format("{} holds an interrupted portable backup (base {}, no manifest): continue it with "
                            "--resume (the same flags as its first run), or write into another directory; "
                            "nothing was written",
                            dir, c.open.back()));
  if (!o.portable && (!c.complete.empty() || !c.open.empty())) {
    const std::string base = c.complete.empty() ? c.open.back() : c.complete.back();
    return fail(ErrorCode::usage,
                fmt::format("{} holds a portable backup (base {}): a legacy backup beside it leaves a directory "
                            "that no restore reads whole. Add -portable to add to it, or write into another "
                            "directory; nothing was written",
                            dir, base));
  }
  return {};
}

std::vector<std::string> clean_resumed_base(const fs::path& dir, const std::string& base,
                                            const std::function<bool(const PortableFileName&)>& keep) {
  std::vector<std::string> removed;
  std::error_code ec;
  std::vector<fs::path> candidates;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (portable_base_of(e.path().filename().string()) == base) candidates.push_back(e.path());
  std::sort(candidates.begin(), candidates.end());
  for (const auto& p : candidates) {
    const std::string n = p.filename().string();
    auto name = parse_portable_file(n);
    bool remove = false;
    if (!name) {
      remove = n.ends_with(kPendingSuffix);  // an interrupted write
    } else if (name->kind == PortableFileKind::meta) {
      remove = true;  // fetched again with the shard list it goes with
    } else if (name->kind == PortableFileKind::shard_archive) {
      remove = !keep(*name);
    }
    if (remove && fs::remove(p, ec)) removed.push_back(n);
  }
  return removed;
}

}  // namespace ifx::backup::detail
