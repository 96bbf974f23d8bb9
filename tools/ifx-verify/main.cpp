// ifx-verify: flags → check::check_backup (or check_repository) per directory → text or JSON, exit
// code. Nothing else lives here.
#include <iostream>

#include "common/cli.hpp"
#include "common/json_output.hpp"
#include "common/metrics.hpp"
#include "ifx-verify/verify.hpp"

int main(int argc, char** argv) {
  ifx::check::BackupCheckOptions o;
  std::vector<std::filesystem::path> dirs;
  ifx::cli::Output out("ifx-verify");
  bool latest_only = false;
  std::string database, rp, max_age;
  std::uint64_t shard = 0;

  CLI::App app{
      "Proves InfluxDB 1.x backups restorable, byte by byte: manifests, meta, every file present and\n"
      "none extra, gzip/zstd streams and trailers, tar headers and entry names, every TSM block's\n"
      "CRC, every block decoded and its time range matched to the index, tombstones. Keeps going\n"
      "after a defect and names each one (file, entry, offset, expected vs found).\n"
      "A snapshot repository (ifx-backup --repo) is checked snapshot by snapshot, each file shared\n"
      "by hard link read once; --max-age and --expect-db apply to its newest snapshot.\n"
      "A backup stream (ifx-backup -portable … -) is checked as it comes: - reads stdin, a file\n"
      "(backup.tar) is read as a saved stream; one shard at a time is spooled to --scratch-dir.\n"
      "Examples:\n"
      "  ifx-verify /backups/20261202T101938Z\n"
      "  restic -r /srv/restic dump latest influx.tar | ifx-verify -\n"
      "  ifx-verify /backups/repo --latest --max-age 26h --expect-db telegraf --json\n"
      "Exit codes: 0 valid, 1 defects found, 2 usage or I/O error.",
      "ifx-verify"};
  app.add_option("backup_dir", dirs,
                 "Backup directories (portable or legacy), snapshot repositories, backup streams saved as a file, "
                 "or - (a stream on stdin)")
      ->required();
  app.add_flag("--latest", latest_only, "In a repository, check only the newest snapshot");
  out.add_flags(app, "Print JSON; several directories give an array of documents");
  app.add_flag("--quick", o.quick, "Structure and CRCs only: do not decode TSM blocks");
  app.add_option("--db,--database", database, "Only this database");
  app.add_option("--rp,--retention", rp, "Only this retention policy");
  app.add_option("--shard", shard, "Only this shard ID");
  app.add_option("--max-age", max_age, "Fail when the newest backup is older than this (e.g. 26h, 90m, 2d)");
  app.add_option("--expect-db", o.expect_databases,
                 "Fail unless this database is in the backup with data "
                 "(repeatable)");
  app.add_flag("--expect-complete", o.expect_complete,
               "Fail when a legacy backup holds some but not all live shards of a database (by default a "
               "warning: legacy backups record no scope, so a lost archive is not otherwise a defect)");
  ifx::cli::add_jobs_option(app, o.jobs, "Shards checked in parallel (default: number of cores)");
  app.add_option("--scratch-dir", o.scratch_root,
                 "Where one shard per job is spooled while checked (default: $TMPDIR or /tmp)");
  std::filesystem::path metrics_file;
  app.add_option("--metrics", metrics_file, ifx::cli::kMetricsFlagHelp)->type_name("FILE");

  int code = 0;
  if (!ifx::cli::parse(app, argc, argv, code)) return code;
  if (!database.empty()) o.database = database;
  if (!rp.empty()) o.retention_policy = rp;
  if (app.count("--shard")) o.shard = shard;
  if (!max_age.empty()) {
    auto d = ifx::cli::parse_duration_flag(max_age);
    if (!d) return out.failed(ifx::cli::kUsage, d.error());
    o.max_age_ns = *d;
  }

  int exit_code = ifx::cli::kOk;
  nlohmann::ordered_json outputs = nlohmann::ordered_json::array();
  // One directory's outcome: its report, or the error that kept it from being checked (listed
  // under `what`, "backup" or "repository"), each a document of its own (envelope included).
  // False on a usage error: the run stops.
  auto take = [&](const auto& report, const char* what, const std::filesystem::path& dir) {
    if (!report) {
      if (report.error().code == ifx::ErrorCode::usage) return false;
      ifx::cli::print_error(out.tool(), report.error());
      exit_code = ifx::cli::kUsage;
      outputs.push_back(ifx::cli::with_envelope(out.tool(), ifx::cli::kUsage, report.error(),
                                                {{"valid", false},
                                                 {what, dir.string()},
                                                 {"backup_path", dir.string()},
                                                 {"checked", nullptr},
                                                 {"defects", {ifx::cli::error_json(report.error())}}}));
      return true;
    }
    const int code = ifx::verify::exit_code(*report);
    exit_code = std::max(exit_code, code);
    if (out.json)
      outputs.push_back(ifx::cli::with_envelope(out.tool(), code, std::nullopt, ifx::verify::to_json(*report)));
    else if (!out.quiet || code != ifx::cli::kOk) std::cout << ifx::verify::to_text(*report) << std::flush;
    return true;
  };
  ifx::verify::Metrics metrics;
  for (const auto& dir : dirs) {
    o.backup_dir = dir;
    const auto started = std::chrono::steady_clock::now();
    if (ifx::Repository::is_repository(dir)) {
      auto report = ifx::check::check_repository({dir, o, latest_only});
      metrics.add(dir, report, started);
      if (!take(report, "repository", dir)) return out.failed(ifx::cli::kUsage, report.error());
    } else {
      auto report = ifx::check::check_backup(o);
      metrics.add(dir, report, started);
      if (!take(report, "backup", dir)) return out.failed(ifx::cli::kUsage, report.error());
    }
  }
  if (!metrics_file.empty()) metrics.write(metrics_file);
  // One directory: its document; several: an array of them (the process exits with the worst).
  if (out.json) ifx::cli::print_json(outputs.size() == 1 ? outputs[0] : outputs);
  return exit_code;
}
