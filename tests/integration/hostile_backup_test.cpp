// Hostile backups at the TOOL level (issue 8). libformat's ShardArchiveReader refuses hostile tar
// entries (tests/unit/shard_archive_test.cpp); this proves every tool that reads a backup goes
// through it. Each case is a whole portable backup — the fixture portable-db's manifest and meta,
// its shard 10, and a shard 9 archive built here byte by byte (USTAR headers, zlib gzip) holding
// one hostile entry after a genuine TSM file:
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
// Duplicate entry names are legal (influxd's -start/-end export writes them, FORMATS.md §4.4): the
// later copy must win whole, never merged with the tail of a longer earlier copy.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ifx/format/archive/shard_archive.hpp"
#include "support/child_process.hpp"
#include "support/influxd.hpp"
#include "support/paths.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ifx::test::InfluxdServer;
using ifx::test::ProcessExit;
using ifx::test::tool;

#define EXPECT_HAS(text, needle) EXPECT_NE((text).find(needle), std::string::npos) << "expected \"" << (needle) << "\" in:\n" << (text)

constexpr const char* kTsmName = "plain/autogen/9/000000001-000000001.tsm";
constexpr long kMemoryBoundKiB = 200 * 1024;  // the bomb inflates to 256 MiB, the big entry claims 10 GB

// --- A USTAR encoder of our own (FORMATS.md §4.1), so the hostile bytes are exactly ours. -------

std::string octal(std::uint64_t v, std::size_t digits) { return fmt::format("{:0{}o}", v, digits) + '\0'; }

std::string ustar_header(const std::string& name, std::uint64_t size, char type = '0', const std::string& link = "") {
  std::string h(512, '\0');
  auto put = [&](std::size_t off, const std::string& v) { h.replace(off, v.size(), v); };
  put(0, name.substr(0, 100));
  put(100, octal(0644, 7));
  put(108, octal(0, 7));
  put(116, octal(0, 7));
  // Sizes past 8 GiB do not fit 11 octal digits: base-256 as GNU tar and Go write them.
  if (size >= (1ull << 33)) {
    std::string b(12, '\0');
    b[0] = static_cast<char>(0x80);
    for (int i = 11; i >= 4; --i) b[i] = static_cast<char>((size >> (8 * (11 - i))) & 0xff);
    put(124, b);
  } else {
    put(124, octal(size, 11));
  }
  put(136, octal(1700000000, 11));
  h[156] = type;
  put(157, link);
  put(257, std::string("ustar\0" "00", 8));
  put(148, std::string(8, ' '));
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  put(148, fmt::format("{:06o}", sum) + std::string("\0 ", 2));
  return h;
}

std::string entry(const std::string& name, const std::string& data, char type = '0', const std::string& link = "") {
  std::string padded = data;
  padded.resize((data.size() + 511) / 512 * 512, '\0');
  return ustar_header(name, data.size(), type, link) + padded;
}

const std::string kEndOfArchive(1024, '\0');

// One gzip member (zlib, windowBits 31) of `pieces` fed in order; `zeros` more zero bytes
// after them are streamed in 1 MiB steps (the bomb is never held whole).
std::string gzip(const std::vector<std::string>& pieces, std::uint64_t zeros = 0, const std::string& tail = "") {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY);
  std::string out;
  std::string buf(1 << 16, '\0');
  auto feed = [&](const char* p, std::size_t n, int flush) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(p));
    z.avail_in = static_cast<uInt>(n);
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf.data());
      z.avail_out = static_cast<uInt>(buf.size());
      deflate(&z, flush);
      out.append(buf.data(), buf.size() - z.avail_out);
    } while (z.avail_out == 0 || (flush == Z_FINISH && z.avail_in > 0));
  };
  for (const auto& p : pieces) feed(p.data(), p.size(), Z_NO_FLUSH);
  const std::string mib(1 << 20, '\0');
  for (std::uint64_t done = 0; done < zeros; done += mib.size())
    feed(mib.data(), static_cast<std::size_t>(std::min<std::uint64_t>(mib.size(), zeros - done)), Z_NO_FLUSH);
  feed(tail.data(), tail.size(), Z_FINISH);
  deflateEnd(&z);
  return out;
}

// The first TSM file of the fixture's shard 9: genuine content to put before the hostile entry.
std::string genuine_tsm() {
  fs::path archive;
  for (const auto& e : fs::directory_iterator(ifx::test::fixture("portable-db")))
    if (e.path().filename().string().ends_with(".s9.tar.gz")) archive = e.path();
  auto r = ifx::ShardArchiveReader::open(archive);
  if (!r) throw std::runtime_error(r.error().describe());
  ifx::ArchiveEntry e;
  while (auto more = r->next(e)) {
    if (!*more) break;
    if (!e.name.ends_with(".tsm")) continue;
    std::string data;
    std::vector<std::uint8_t> buf(1 << 16);
    while (auto n = r->read(buf)) {
      if (*n == 0) break;
      data.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    return data;
  }
  throw std::runtime_error("no TSM file in the fixture's shard 9");
}

struct Case {
  std::string label;
  std::string says;          // what every refusal must mention (the entry name, or the bomb)
  std::string archive;       // the .tar.gz bytes of shard 9
  std::uint64_t tar_size;    // the manifest's size (uncompressed tar bytes)
  bool check_memory = false;
};

// A whole portable backup in `dir` with `archive` as shard 9.
void write_backup(const fs::path& dir, const Case& c) {
  fs::create_directories(dir);
  std::string base;
  for (const auto& e : fs::directory_iterator(ifx::test::fixture("portable-db"))) {
    const std::string n = e.path().filename().string();
    if (n.ends_with(".manifest")) base = n.substr(0, n.size() - 9);
    if (!n.ends_with(".s9.tar.gz")) fs::copy_file(e.path(), dir / n);
  }
  ifx::test::write_file(dir / (base + ".s9.tar.gz"), c.archive);
  json m = json::parse(ifx::test::read_file(dir / (base + ".manifest")));
  for (auto& f : m["files"])
    if (f["shardID"] == 9) f["size"] = c.tar_size;
  ifx::test::write_file(dir / (base + ".manifest"), m.dump(2));
}

std::vector<Case> hostile_cases(const std::string& abs_escape) {
  const std::string tsm = genuine_tsm();
  const std::string good = entry(kTsmName, tsm);
  std::vector<Case> out;
  auto add = [&](std::string label, const std::string& name, const std::string& hostile) {
    const std::string tar = good + hostile + kEndOfArchive;
    out.push_back({std::move(label), name, gzip({tar}), tar.size()});
  };
  add("dotdot", "../escape-dotdot", entry("../escape-dotdot", "evil"));
  add("dotdot-inside", "plain/autogen/9/../../../escape-inside", entry("plain/autogen/9/../../../escape-inside", "evil"));
  add("absolute", abs_escape, entry(abs_escape, "evil"));
  add("symlink", "plain/autogen/9/escape-link", entry("plain/autogen/9/escape-link", "", '2', "/etc/passwd"));
  add("hardlink", "plain/autogen/9/escape-hard", entry("plain/autogen/9/escape-hard", "", '1', "/etc/passwd"));
  add("chardev", "plain/autogen/9/escape-dev", entry("plain/autogen/9/escape-dev", "", '3'));
  add("fifo", "plain/autogen/9/escape-fifo", entry("plain/autogen/9/escape-fifo", "", '6'));
  add("other-db", "other/autogen/9/000000002-000000001.tsm", entry("other/autogen/9/000000002-000000001.tsm", tsm));
  add("other-rp", "plain/other/9/000000002-000000001.tsm", entry("plain/other/9/000000002-000000001.tsm", tsm));
  add("other-shard", "plain/autogen/10/000000002-000000001.tsm", entry("plain/autogen/10/000000002-000000001.tsm", tsm));
  {  // 10 GB declared, a few KB present
    const std::string name = "plain/autogen/9/000000002-000000001.tsm";
    const std::string tar = good + ustar_header(name, 10'000'000'000ull) + tsm;
    out.push_back({"ten-gb-declared", name, gzip({tar}), 10'000'000'000ull + tar.size(), true});
  }
  {  // 256 MiB of zeros in one gzip member
    const std::uint64_t n = 256ull << 20;
    const std::string name = "plain/autogen/9/000000002-000000001.tsm";
    std::string pad(static_cast<std::size_t>((512 - n % 512) % 512), '\0');
    const std::string head = good + ustar_header(name, n);
    out.push_back({"gzip-bomb", "decompression", gzip({head}, n, pad + kEndOfArchive),
                   head.size() + n + pad.size() + kEndOfArchive.size(), true});
  }
  return out;
}

class HostileBackups : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = InfluxdServer::start().release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static InfluxdServer* server_;
};
InfluxdServer* HostileBackups::server_ = nullptr;

std::set<std::string> database_names(InfluxdServer& srv) {
  std::set<std::string> out;
  for (const auto& s : srv.series("SHOW DATABASES"))
    for (const auto& row : s.value("values", nlohmann::json::array())) out.insert(row[0].get<std::string>());
  return out;
}

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
  std::printf("[hostile] %zu hostile backups x 7 tool runs = %d refusals checked; peak memory on the bomb and "
              "the 10 GB entry %ld KiB\n", cases.size(), runs, peak_kib);
}

TEST_F(HostileBackups, DuplicateNamesLetTheLaterCopyWinWhole) {
  ifx::test::ScratchDir scratch("ifx-hostile-dup");
  const std::string tsm = genuine_tsm();
  // The earlier copy is longer: a writer that does not truncate would leave its tail behind.
  const std::string tar = entry(kTsmName, std::string(tsm.size() + 5000, 'x')) + entry(kTsmName, tsm) + kEndOfArchive;
  const Case c{"duplicate", kTsmName, gzip({tar}), tar.size()};
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
