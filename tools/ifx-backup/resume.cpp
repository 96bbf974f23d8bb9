// --resume: a crash or a cut connection leaves `<base>.meta`, some complete archives and perhaps
// `.pending` files, but no `<base>.manifest` (it is written last, FORMATS.md §3.1). The resumed
// run keeps that base, checks and keeps the complete archives, and fetches the rest.
#include <algorithm>
#include <charconv>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ifx-backup/steps.hpp"
#include "ifx/format/backup/backup_set.hpp"

namespace ifx::backup::detail {
namespace fs = std::filesystem;

Result<std::string> find_resumable_base(const fs::path& dir) {
  std::error_code ec;
  // Killed before it created anything: there is nothing to keep, a fresh backup is the resume.
  if (!fs::exists(fs::symlink_status(dir, ec))) return std::string();
  if (!fs::is_directory(dir, ec))
    return fail("invalid-argument", fmt::format("--resume: {} is not a directory", dir.string()));
  std::set<std::string> bases, with_manifest;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    // Any file of a base counts, not only `<base>.meta`: a resumed run killed after it removed
    // the old meta and before it wrote the new one leaves archives (or .pending files) alone,
    // and those must stay resumable (issue 8, crash safety).
    const auto dot = n.find('.');
    if (dot == std::string::npos) continue;
    const std::string base = n.substr(0, dot);
    if (!parse_portable_base_time(base + ".meta")) continue;  // `<base>` is 20060102T150405Z (§3.1)
    bases.insert(base);
    if (n == base + ".manifest") with_manifest.insert(base);
  }
  std::vector<std::string> complete, open;
  for (const auto& b : bases) (with_manifest.count(b) ? complete : open).push_back(b);
  if (!open.empty()) return open.back();  // names sort by time: the newest interrupted run
  if (!complete.empty())
    return fail("invalid-argument",
                fmt::format("--resume: every backup in {} is complete (manifests: {}); nothing to resume",
                            dir.string(), fmt::format("{}.manifest", fmt::join(complete, ".manifest, "))));
  // No file of any portable backup: the interrupted run died before writing one. Starting over
  // is all a resume can do (the caller says so in the summary).
  return std::string();
}

std::vector<std::string> clean_resumed_base(const fs::path& dir, const std::string& base,
                                            const std::function<bool(std::uint64_t, const std::string&)>& keep) {
  // `<base>.s<id>.tar.gz|.tar.zst` (§3.1), and any `.pending` of the base.
  static const std::regex shard_re(R"(^\.s([0-9]{1,20})\.tar\.(gz|zst)$)");
  std::vector<std::string> removed;
  std::error_code ec;
  std::vector<fs::path> candidates;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n.starts_with(base + ".")) candidates.push_back(e.path());
  }
  std::sort(candidates.begin(), candidates.end());
  for (const auto& p : candidates) {
    const std::string n = p.filename().string();
    const std::string rest = n.substr(base.size());
    bool remove = false;
    std::smatch m;
    if (n.ends_with(".pending") || rest == ".meta") {
      remove = true;  // an interrupted write; the meta is fetched again with the shard list
    } else if (std::regex_match(rest, m, shard_re)) {
      std::uint64_t id = 0;
      const std::string digits = m[1].str();
      auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
      remove = err != std::errc() || !keep(id, n);
    }
    if (remove && fs::remove(p, ec)) removed.push_back(n);
  }
  return removed;
}

}  // namespace ifx::backup::detail
