#include "support/repository_builder.hpp"

#include <sys/stat.h>

#include <map>
#include <utility>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/backup/manifest.hpp"
#include "ifx/format/backup/repository.hpp"
#include "support/backup_builder.hpp"
#include "support/paths.hpp"
#include "support/tsm_builder.hpp"

namespace ifx::test {
namespace fs = std::filesystem;

namespace {

// A small valid TSM file whose points depend on `seed`.
std::string tsm_bytes(const fs::path& scratch, std::int64_t seed) {
  const fs::path p = scratch / fmt::format("t{}.tsm", seed);
  write_tsm(p, {{"cpu,host=a#!~#usage", points<double>({{seed, 1.5}, {seed + 10, 2.5}})}});
  std::string bytes = read_file(p);
  fs::remove(p);
  return bytes;
}

}  // namespace

fs::path snapshot_archive(const fs::path& root, const std::string& base, std::uint64_t id) {
  return root / base / fmt::format("{}.s{}.tar.gz", base, id);
}

std::vector<std::string> write_snapshots(const fs::path& root, const fs::path& scratch,
                                         const std::vector<std::int64_t>& times_ns) {
  auto repo = Repository::open(root, true);
  EXPECT_TRUE(repo) << repo.error().describe();
  if (!repo) return {};
  const std::string steady = tsm_bytes(scratch, 1);
  std::vector<std::string> bases;
  std::string previous;
  for (const std::int64_t t : times_ns) {
    const std::string base = portable_base_name(t);
    const fs::path dir = repo->pending_dir(base);
    write_portable_backup(
        dir, {.base = base,
              .shards = {{.id = 1, .files = {{"000000001-000000001.tsm", steady}}},
                         {.id = 2,
                          .group_start_ns = kWeekNs,
                          .files = {{"000000001-000000001.tsm", tsm_bytes(scratch, t / 1'000'000'000)}}}}});
    if (!previous.empty()) {
      // Shard 1 unchanged: the earlier archive's inode under this snapshot's name, and its
      // manifest entry (size, SHA-256), as ifx-backup reuses one.
      const fs::path mine = dir / fmt::format("{}.s1.tar.gz", base);
      fs::remove(mine);
      fs::create_hard_link(snapshot_archive(root, previous, 1), mine);
      auto earlier = read_manifest_file(root / previous / (previous + ".manifest"));
      EXPECT_TRUE(earlier) << earlier.error().describe();
      edit_manifest(dir, [&](PortableManifest& m) {
        for (auto& f : m.files)
          if (f.shard_id == 1) {
            f.size = earlier->files.front().size;
            f.extra = earlier->files.front().extra;
          }
      });
    }
    auto s = repo->publish(base);
    EXPECT_TRUE(s) << s.error().describe();
    bases.push_back(base);
    previous = base;
  }
  return bases;
}

std::uint64_t distinct_file_bytes(const fs::path& root) {
  std::map<std::pair<dev_t, ino_t>, std::uint64_t> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    struct stat st {};
    if (::lstat(e.path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
      files[{st.st_dev, st.st_ino}] = static_cast<std::uint64_t>(st.st_size);
  }
  std::uint64_t total = 0;
  for (const auto& [id, size] : files) total += size;
  return total;
}

}  // namespace ifx::test
