// Hostile backups at the TOOL level. libformat's ShardArchiveReader refuses hostile tar
// entries (tests/unit/shard_archive_test.cpp); this proves every tool that reads a backup goes
// through it. Each case is a whole portable backup — the fixture portable-db's manifest and meta,
// its shard 10, and a shard 9 archive built byte by byte (support/archive_builder.hpp: USTAR
// headers, zlib gzip) holding one hostile entry after a genuine TSM file:
//   `..` (leading and inside), an absolute path, a symlink, a hard link, a character device, a
//   FIFO, an entry of another database / retention policy / shard, an entry declaring 10 GB in a
//   file of a few KB, and a gzip bomb (256 MiB of zeros in one gzip member, ratio above 1000).
// Every tool is run on it as a process: ifx-verify, ifx-restore offline (verified first, and with
// --verify none so the unpacking itself must refuse), ifx-restore online (both ways too),
// ifx-convert, ifx-export --out. Each must exit non-zero naming the entry (or, for the bomb,
// the decompression bomb), leave nothing outside its target — the sandbox around it (parents,
// working directory, TMPDIR) is compared before and after, and no file named like the escape
// exists anywhere — leave no output (no converted backup, no export file, no database on the
// server, offline directories as they were), and for the bomb and the 10 GB entry stay under a
// memory bound far below the sizes declared.
// Duplicate entry names are legal (influxd's -start/-end export writes them, docs/FORMATS.md §4.4): the
// later copy must win whole, never merged with the tail of a longer earlier copy.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/expect_has.hpp"
#include "support/archive_builder.hpp"
#include "support/backup_builder.hpp"
#include "support/child_process.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"
#include "support/server_data.hpp"
#include "support/server_suite.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::test::ProcessExit;
using ifx::test::tool;

constexpr const char* kTsmName = "plain/autogen/9/000000001-000000001.tsm";
constexpr long kMemoryBoundKiB = 200 * 1024;  // the bomb inflates to 256 MiB, the big entry claims 10 GB

using ifx::test::kTarEnd;
using ifx::test::tar_entry;
using ifx::test::TarEntry;

// One gzip member by zlib at level 9 of `head`, `zeros` zero bytes (streamed: the bomb is never
// held whole) and `tail`.
std::string gzip(const std::string& head, std::uint64_t zeros = 0, const std::string& tail = "") {
  ifx::test::ZlibGzipStream gz(9, 9);
  gz.add(head);
  gz.add_zeros(zeros);
  gz.add(tail);
  return gz.finish();
}

// The first TSM file of the fixture's shard 9: genuine content to put before the hostile entry.
std::string genuine_tsm() {
  const fs::path fixture = ifx::test::fixture("portable-db");
  return ifx::test::entry_data(fixture / ifx::test::file_ending(fixture, ".s9.tar.gz"), ".tsm");
}

struct Case {
  std::string label;
  std::string says;        // what every refusal must mention (the entry name, or the bomb)
  std::string archive;     // the .tar.gz bytes of shard 9
  std::uint64_t tar_size;  // the manifest's size (uncompressed tar bytes)
  bool check_memory = false;
};

// A whole portable backup in `dir`: the fixture with `archive` as shard 9.
void write_backup(const fs::path& dir, const Case& c) {
  ifx::test::copy_fixture("portable-db", dir);
  ifx::test::replace_archive(dir, ifx::test::file_ending(dir, ".s9.tar.gz"), c.archive, c.tar_size);
}

std::vector<Case> hostile_cases(const std::string& abs_escape) {
  const std::string tsm = genuine_tsm();
  const std::string good = tar_entry({kTsmName, tsm});
  std::vector<Case> out;
  auto add = [&](std::string label, const TarEntry& hostile) {
    const std::string tar = good + tar_entry(hostile) + kTarEnd;
    out.push_back({std::move(label), hostile.name, gzip(tar), tar.size()});
  };
  add("dotdot", {"../escape-dotdot", "evil"});
  add("dotdot-inside", {"plain/autogen/9/../../../escape-inside", "evil"});
  add("absolute", {abs_escape, "evil"});
  add("symlink", {"plain/autogen/9/escape-link", "", '2', "/etc/passwd"});
  add("hardlink", {"plain/autogen/9/escape-hard", "", '1', "/etc/passwd"});
  add("chardev", {"plain/autogen/9/escape-dev", "", '3'});
  add("fifo", {"plain/autogen/9/escape-fifo", "", '6'});
  add("other-db", {"other/autogen/9/000000002-000000001.tsm", tsm});
  add("other-rp", {"plain/other/9/000000002-000000001.tsm", tsm});
  add("other-shard", {"plain/autogen/10/000000002-000000001.tsm", tsm});
  const std::string second = "plain/autogen/9/000000002-000000001.tsm";
  {  // 10 GB declared, a few KB present
    const std::uint64_t declared = 10'000'000'000ull;
    const std::string tar = good + ifx::test::ustar_header({.name = second, .declared_size = declared}) + tsm;
    out.push_back({"ten-gb-declared", second, gzip(tar), declared + tar.size(), true});
  }
  {  // 256 MiB of zeros in one gzip member
    const std::uint64_t n = 256ull << 20;
    std::string pad(static_cast<std::size_t>((512 - n % 512) % 512), '\0');
    const std::string head = good + ifx::test::ustar_header({.name = second, .declared_size = n});
    out.push_back({"gzip-bomb", "decompression", gzip(head, n, pad + kTarEnd),
                   head.size() + n + pad.size() + kTarEnd.size(), true});
  }
  return out;
}

class HostileBackups : public ifx::test::ServerSuite<HostileBackups> {};

using ifx::test::database_names;

// Paths below `root` whose name starts with "escape-" (what a hostile entry would create).
std::vector<std::string> escapes_below(const fs::path& root) {
  std::vector<std::string> out;
  for (const auto& p : ifx::test::tree_of(root))
    if (fs::path(p).filename().string().starts_with("escape-")) out.push_back(p);
  return out;
}

TEST_F(HostileBackups, EveryToolRefusesEveryHostileArchive) {
  ifx::test::ScratchDir scratch("ifx-hostile");
  const std::string abs_escape = (scratch.path() / "escape-absolute").string().substr(1);
  // The absolute entry names a path inside the sandbox ("/" + abs_escape) so that a tool that
  // wrongly honoured it would be caught without touching anything outside.
  const auto cases = hostile_cases("/" + abs_escape);
  int runs = 0;
  long peak_kib = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    const fs::path root = scratch / c.label;
    const fs::path backup = root / "backup", target = root / "target", cwd = root / "cwd", tmp = root / "tmp";
    write_backup(backup, c);
    for (const auto& d : {target / "meta", target / "data", cwd, tmp, root / "out"}) fs::create_directories(d);
    ifx::test::SpawnOptions so;
    so.cwd = cwd;
    so.env["TMPDIR"] = tmp.string();
    // Under AddressSanitizer freed memory sits in a quarantine (256 MiB by default) and counts
    // as resident: a small quarantine keeps the peak about the tools' own memory.
    const char* asan = std::getenv("ASAN_OPTIONS");
    so.env["ASAN_OPTIONS"] = std::string(asan && *asan ? std::string(asan) + ":" : "") + "quarantine_size_mb=16";
    const auto before = ifx::test::tree_of(root);
    const std::string newdb = "hostile_" + std::to_string(runs);

    struct Run {
      std::string what;
      std::vector<std::string> argv;
    };
    const std::string meta = (target / "meta").string(), data = (target / "data").string();
    const std::vector<Run> tool_runs = {
        {"ifx-verify", {tool("ifx-verify"), backup.string()}},
        {"ifx-restore offline", {tool("ifx-restore"), "-metadir", meta, "-datadir", data, backup.string()}},
        {"ifx-restore offline --verify none",
         {tool("ifx-restore"), "-metadir", meta, "-datadir", data, "--verify", "none", backup.string()}},
        {"ifx-restore online",
         {tool("ifx-restore"), "-portable", "-host", server_->rpc_address(), "--http", server_->http_url(), "-db",
          "plain", "-newdb", newdb, backup.string()}},
        {"ifx-restore online --verify none",
         {tool("ifx-restore"), "-portable", "-host", server_->rpc_address(), "--http", server_->http_url(), "-db",
          "plain", "-newdb", newdb, "--verify", "none", backup.string()}},
        {"ifx-convert", {tool("ifx-convert"), backup.string(), (root / "out" / "converted").string()}},
        {"ifx-export", {tool("ifx-export"), backup.string(), "--out", (root / "out" / "export.lp").string()}},
    };
    for (const auto& run : tool_runs) {
      SCOPED_TRACE(run.what);
      const ProcessExit r = ifx::test::run_process(run.argv, so, std::chrono::minutes(2));
      ++runs;
      EXPECT_FALSE(r.timed_out);
      EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
      EXPECT_HAS(r.out + r.err, c.says);
      if (c.check_memory) {
        EXPECT_LT(r.max_rss_kib, kMemoryBoundKiB) << "peak memory of " << run.what;
        peak_kib = std::max(peak_kib, r.max_rss_kib);
      }
      // Nothing outside the target, nothing left in the target: the sandbox is as before.
      EXPECT_EQ(ifx::test::tree_of(root), before);
      EXPECT_EQ(escapes_below(scratch.path()), std::vector<std::string>{});
      EXPECT_FALSE(fs::exists(fs::path("/") / abs_escape));
      EXPECT_FALSE(database_names(*server_).count(newdb)) << "the refused restore left its database";
    }
  }
  std::printf(
      "[hostile] %zu hostile backups x 7 tool runs = %d refusals checked; peak memory on the bomb and "
      "the 10 GB entry %ld KiB\n",
      cases.size(), runs, peak_kib);
}

TEST_F(HostileBackups, DuplicateNamesLetTheLaterCopyWinWhole) {
  ifx::test::ScratchDir scratch("ifx-hostile-dup");
  const std::string tsm = genuine_tsm();
  // The earlier copy is longer: a writer that does not truncate would leave its tail behind.
  const std::string tar = ifx::test::tar_of({{kTsmName, std::string(tsm.size() + 5000, 'x')}, {kTsmName, tsm}});
  const Case c{"duplicate", kTsmName, gzip(tar), tar.size()};
  const fs::path backup = scratch / "backup", target = scratch / "target";
  write_backup(backup, c);
  // ifx-verify checks every copy, the superseded one too, and names it.
  const auto v = ifx::test::run_process({tool("ifx-verify"), backup.string()});
  EXPECT_EQ(v.exit_code, 1) << v.out << v.err;
  EXPECT_HAS(v.out, "tsm-header");
  EXPECT_HAS(v.out, std::string(kTsmName) + " @ 0");
  // Restoring without that check, the later copy wins whole.
  const auto r = ifx::test::run_process({tool("ifx-restore"), "-metadir", (target / "meta").string(), "-datadir",
                                         (target / "data").string(), "--verify", "none", backup.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ifx::test::read_file(target / "data" / kTsmName), tsm);
}

}  // namespace
