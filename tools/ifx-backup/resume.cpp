// --resume: a crash or a cut connection leaves `<base>.meta`, some complete archives and perhaps
// `.pending` files, but no `<base>.manifest` (it is written last, FORMATS.md §3.1). The resumed
// run keeps that base, checks and keeps the complete archives, and fetches the rest.
#include <algorithm>
#include <charconv>
#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ifx-backup/steps.hpp"
#include "ifx/format/backup_set.hpp"

namespace ifx::backup::detail {
namespace fs = std::filesystem;

Result<std::string> find_resumable_base(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return fail("invalid-argument", fmt::format("--resume: {} is not a directory", dir.string()));
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir, ec)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  std::vector<std::string> complete, open;
  for (const auto& n : names) {
    if (!n.ends_with(".meta")) continue;
    std::string base = n.substr(0, n.size() - 5);
    if (!parse_portable_base_time(n)) continue;  // `<base>` is 20060102T150405Z (§3.1)
    (std::binary_search(names.begin(), names.end(), base + ".manifest") ? complete : open).push_back(base);
  }
  if (!open.empty()) return open.back();  // names sort by time: the newest interrupted run
  if (!complete.empty())
    return fail("invalid-argument",
                fmt::format("--resume: every backup in {} is complete (manifests: {}); nothing to resume",
                            dir.string(), fmt::format("{}.manifest", fmt::join(complete, ".manifest, "))));
  return fail("invalid-argument", fmt::format("--resume: {} holds no interrupted portable backup (no "
                                              "<base>.meta without its <base>.manifest)",
                                              dir.string()));
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
