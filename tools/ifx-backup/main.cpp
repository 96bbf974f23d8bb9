// ifx-backup: flags → backup::run → completeness report (text or JSON) → exit code.
#include <unistd.h>

#include <csignal>

#include <iostream>

#include <fmt/format.h>

#include "common/cli.hpp"
#include "common/human.hpp"
#include "common/metrics.hpp"
#include "ifx-backup/backup.hpp"

namespace {

constexpr const char* kTool = "ifx-backup";

// Progress on stderr: "auto" rewrites one line when stderr is a terminal, "plain" prints a line
// per finished shard, "none" nothing.
class ProgressDisplay {
 public:
  explicit ProgressDisplay(const std::string& mode)
      : line_(mode == "auto" ? ::isatty(2) == 1 : false), plain_(mode == "plain") {}
  void operator()(const ifx::backup::Progress& p) {
    using namespace std::chrono;
    if (plain_ && p.finished) {
      const auto& r = *p.finished;
      std::cerr << fmt::format("{}: shard {}/{}: {} ({}/{}) {}{}\n", kTool, p.shards_done, p.shards_total, r.shard_id,
                               r.database, r.retention_policy, to_string(r.status), r.file.empty() ? "" : " " + r.file);
      return;
    }
    if (!line_) return;
    const double secs = std::max(0.001, p.elapsed.count() / 1000.0);
    const double rate = p.bytes / secs;
    std::string eta = "?";
    if (p.shards_done > 0 && p.shards_done < p.shards_total)
      eta = fmt::format("{:.0f} s", secs / p.shards_done * (p.shards_total - p.shards_done));
    else if (p.shards_done == p.shards_total) eta = "0 s";
    std::cerr << fmt::format("\r{}: shards {}/{}, {} received, {}/s, ETA {}   ", kTool, p.shards_done, p.shards_total,
                             ifx::cli::format_bytes(p.bytes), ifx::cli::format_bytes(static_cast<std::uint64_t>(rate)),
                             eta)
              << std::flush;
    shown_ = true;
  }
  void end() {
    if (shown_) std::cerr << "\n";
  }

 private:
  bool line_;
  bool plain_;
  bool shown_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  ifx::backup::Options o;
  std::string database, rp, since, start, end, compress = "gzip", progress_mode = "auto", http_url;
  std::uint64_t shard = 0;
  ifx::cli::Output out(kTool);

  CLI::App app{
      "Backs up an InfluxDB 1.x server through its snapshotter port (8088), in the layouts influxd\n"
      "writes: legacy (default: meta.NN and <db>.<rp>.<id>.<NN>) or -portable (<base>.meta,\n"
      "<base>.sN.tar.gz, <base>.manifest). Takes `influxd backup`'s command lines unchanged\n"
      "(-db/-database, -rp/-retention, -shard, -since, -start, -end or -stop, -host, -portable).\n"
      "Unlike influxd: shards stream straight into their archives, -j at a time; every archive is\n"
      "checked (tar complete, every TSM block's CRC) before it counts; a failed transfer is retried\n"
      "from scratch; -start/-end keep exactly the points in range (influxd keeps whole shards or\n"
      "blocks); the manifest records the scope and each file's SHA-256 (influxd ignores both).\n"
      "A legacy backup without -db holds the meta store only, as influxd's does.\n"
      "--repo REPO keeps nightly snapshots: each REPO/<base>/ is a complete portable backup, and a\n"
      "shard the server proves unchanged since an earlier snapshot is shared with it, not fetched.\n"
      "Exit codes: 0 complete, 1 failed (an interrupted portable backup continues with --resume),\n"
      "2 usage, 3 partial (-skip-errors left shards out; listed in the report), 4 the repository\n"
      "is locked by another run.",
      kTool};
  app.add_option("backup_dir", o.dir,
                 "Backup directory (created 0700 when missing), or - for stdout: the backup as one tar stream for "
                 "restic, rclone, age or ssh (with -portable); not with --repo");
  app.add_option("--repo", o.repo,
                 "Write a snapshot into this repository (REPO/<base>/, REPO/latest): a complete portable backup "
                 "that shares the archives of shards the server proves unchanged since an earlier snapshot");
  app.add_option("--http", http_url,
                 "The server's HTTP API, which proves shards unchanged for --repo (its clock and file counts; "
                 "default: the -host address with port 8086; without it every shard is fetched)");
  double lock_wait_seconds = 0;
  app.add_option("--lock-wait", lock_wait_seconds,
                 "Seconds to wait for a repository another run holds (default 0: exit code 4 at once)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--portable", o.portable, "Portable format (influxd 1.5+ and Enterprise restore it)");
  app.add_option("--host", o.host, "Snapshotter address host:port (default localhost:8088)");
  // The InfluxDB 1.8 documentation writes `influxd backup -online` in two of its restore examples,
  // where `influxd restore -online` is meant: a backup run there would quietly add an increment to
  // the directory the user wants to restore from.
  bool online_typo = false;
  app.add_flag("--online", online_typo, "Refused, with a pointer to ifx-restore (a restore flag)");
  app.add_flag("--offline", o.offline,
               "Back up a stopped server from its directories (-metadir, -datadir, -waldir) instead of a running "
               "one: its WAL's points included, damage salvaged with -skip-errors; needs -portable");
  app.add_option("--metadir", o.meta_dir, "--offline: the server's meta directory (holds meta.db)");
  app.add_option("--datadir", o.data_dir, "--offline: the server's data directory (<db>/<rp>/<shard>/)");
  app.add_option("--waldir", o.wal_dir,
                 "--offline: the server's WAL directory (default: wal beside -datadir, when it exists)");
  app.add_option("--db,--database", database, "Only this database");
  app.add_option("--rp,--retention", rp, "Only this retention policy (needs -db, or -shard)");
  app.add_option("--shard", shard, "Only this shard ID");
  app.add_option("--since", since, "Incremental: only files changed after this RFC 3339 time");
  app.add_option("--start", start, "Only points at or after this RFC 3339 time (exact, not whole shards)");
  app.add_option("--end,--stop", end, "Only points at or before this RFC 3339 time (exact)");
  app.add_flag("--skip-errors", o.skip_errors, "Leave out a shard that keeps failing and go on (exit code 3)");
  ifx::cli::add_jobs_option(app, o.jobs, "Shards fetched at once, one connection each (default 2)");
  app.add_option("--compress", compress,
                 "Portable shard archives: gzip (default, .tar.gz), zstd (.tar.zst: faster and smaller) or "
                 "none (.tar: the server's tar unchanged, so a deduplicating store such as restic keeps an "
                 "unchanged shard once across nights). Every ifxkit tool reads all three and ifx-convert turns "
                 "the last two back into gzip, but influxd restore CANNOT read zstd or none (it opens every archive as "
                 "gzip: \"gzip: invalid header\")")
      ->check(CLI::IsMember({"gzip", "zstd", "none"}));
  app.add_option("--compress-level", o.compress_level,
                 "gzip 1-12 (libdeflate on every chunk; default: ISA-L level 1, chunks that shrink by less "
                 "than 5% stored: several times faster, about as small as influxd's own archives), "
                 "zstd -7..22 (default -1: TSM blocks are compressed already; 1 saves ~1.4% for twice the CPU)");
  app.add_flag("--resume", o.resume,
               "Continue the interrupted portable backup in the directory: keep its checked archives, "
               "fetch the rest, write the manifest (give the same flags as the first run)");
  app.add_option("--retries", o.retry.attempts,
                 "Attempts per shard before it counts as failed (default 10, waits 0.5 s doubling to 8 s)");
  out.add_flags(app, "Print the summary as JSON");
  app.add_option("--progress", progress_mode, "auto (a line on a terminal), plain (a line per shard), none")
      ->check(CLI::IsMember({"auto", "plain", "none"}));
  // Without it a stalled server (or a black-holed route) holds each attempt for the default
  // 120 s read timeout, times --retries: say how long silence may last before an attempt fails.
  double timeout_seconds = 0;
  app.add_option("--timeout", timeout_seconds,
                 "Seconds without a byte from the server (or a connect that long) before an attempt fails "
                 "(default: connect 10, read 120)")
      ->check(CLI::PositiveNumber);
  app.add_option("--scratch-dir", o.scratch_root,
                 "Where archives are checked and -start/-end shards cut (default: $TMPDIR or /tmp)");
  std::filesystem::path metrics_file;
  app.add_option("--metrics", metrics_file, ifx::cli::kMetricsFlagHelp)->type_name("FILE");

  int code = 0;
  if (!ifx::cli::parse(app, argc, argv, code)) return code;
  if (online_typo)
    return out.usage(
        "-online is a flag of ifx-restore (influxd restore -online): to restore a backup into a running server, run "
        "`ifx-restore -portable -host HOST:8088 DIR` (nothing was written)");
  // The InfluxDB 1.8 documentation writes `influxd backup … -datadir D -metadir M` once, in an
  // offline restore example: without --offline they keep meaning nothing to a backup, as there.
  if (!o.offline && (!o.meta_dir.empty() || !o.data_dir.empty() || !o.wal_dir.empty())) {
    out.note("note: without --offline a backup reads the server at " + o.host +
             " and ignores -metadir/-datadir/-waldir (flags of an offline restore; add --offline to back up a "
             "stopped server's directories)");
    o.meta_dir.clear();
    o.data_dir.clear();
    o.wal_dir.clear();
  }
  if (o.offline && app.count("--host"))
    return out.usage("--offline reads directories, not a server: -host does not apply");
  if (o.dir.empty() == o.repo.empty()) return out.usage("give a backup directory, or --repo REPO (one of the two)");
  if (!http_url.empty()) o.http_url = http_url;
  o.lock_wait = std::chrono::milliseconds(static_cast<std::int64_t>(lock_wait_seconds * 1000));
  if (timeout_seconds > 0) {
    const auto t = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_seconds * 1000));
    o.client.read_timeout = t;
    o.client.connect_timeout = std::min(o.client.connect_timeout, t);
  }
  if (!database.empty()) o.database = database;
  if (!rp.empty()) o.retention_policy = rp;
  if (app.count("--shard")) o.shard = shard;
  for (auto [flag, text, into] : {std::tuple{"-since", &since, &o.since}, std::tuple{"-start", &start, &o.start},
                                  std::tuple{"-end", &end, &o.end}}) {
    if (text->empty()) continue;
    auto t = ifx::cli::parse_time_flag(flag, *text);
    if (!t) return out.failed(ifx::cli::kUsage, t.error());
    *into = ifx::net::WireTime::from(*t);
  }
  if (compress == "zstd") o.compression = ifx::ArchiveCompression::zstd;
  if (compress == "none") o.compression = ifx::ArchiveCompression::none;
  if (!o.portable) {
    if (app.count("--compress"))
      return out.usage("--compress applies to -portable backups (legacy shard files are plain tars)");
    o.compression = ifx::ArchiveCompression::none;
  }

  // DIR "-": stdout carries the backup; the report goes to stderr with the progress, and a reader
  // that goes away must end the run with a message, not a silent SIGPIPE.
  const bool streaming = ifx::backup::writes_stream(o);
  if (streaming) {
    if (::isatty(STDOUT_FILENO) == 1)
      return out.usage(
          "refusing to write a backup stream to a terminal: pipe it (| restic backup --stdin …) or redirect it (> "
          "backup.tar)");
    std::signal(SIGPIPE, SIG_IGN);
  }
  std::ostream& report = streaming ? std::cerr : std::cout;
  out.json_out = &report;
  // --verbose: a line per shard off a terminal too (unless --progress none); --quiet: nothing.
  if (out.quiet) progress_mode = "none";
  else if (out.verbose && progress_mode == "auto" && ::isatty(STDERR_FILENO) != 1) progress_mode = "plain";
  ProgressDisplay display(progress_mode);
  const auto started = std::chrono::steady_clock::now();
  auto summary = ifx::backup::run(o, [&](const ifx::backup::Progress& p) { display(p); });
  display.end();
  if (!metrics_file.empty())
    ifx::backup::write_metrics(metrics_file, o, summary, std::chrono::steady_clock::now() - started);
  if (!summary) return out.failed(ifx::cli::failure_exit_code(summary.error()), summary.error());
  code = summary->exit_code();
  if (out.json) return out.done(code, ifx::backup::to_json(*summary));
  if (!out.quiet || code != ifx::cli::kOk) report << ifx::backup::to_text(*summary) << std::flush;
  return code;
}
