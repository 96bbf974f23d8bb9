// ifx-inspect: flags → inspect::run (or list_repository) → text or JSON. Nothing else lives here.
#include <iostream>

#include "common/cli.hpp"
#include "common/json_output.hpp"
#include "ifx-inspect/inspect.hpp"
#include "ifx-inspect/repository_listing.hpp"

int main(int argc, char** argv) {
  ifx::inspect::Options o;
  ifx::cli::Output out("ifx-inspect");
  std::string database, rp;
  std::uint64_t shard = 0;

  CLI::App app{
      "Shows what is inside an InfluxDB 1.x backup (portable or legacy, incremental chains\n"
      "included) without a server: databases, retention policies, shard groups and shards with\n"
      "their archives, users (never password hashes) and continuous queries. With --deep it reads\n"
      "every point and counts, per shard and measurement, series, points (distinct\n"
      "series+timestamp after overwrites and tombstones), values, field types and time range.\n"
      "Given a snapshot repository (ifx-backup --repo), it lists the snapshots: time, host, scope,\n"
      "shards written and reused, size, bytes each added, totals logical and on disk.\n"
      "A backup stream (ifx-backup -portable … -) is read as it comes: - is stdin, a file is a\n"
      "saved stream (backup.tar).\n"
      "Examples:\n"
      "  ifx-inspect /backups/20261202T101938Z --deep -db telegraf\n"
      "  ifx-inspect /backups/repo\n"
      "  ifx-inspect /backups/repo/latest --json\n"
      "Exit codes: 0 readable, 1 unreadable or damaged (what could be read is still shown), 2 usage.",
      "ifx-inspect"};
  app.add_option("backup_dir", o.backup_dir,
                 "Backup directory (portable or legacy), a snapshot repository, a saved backup stream, or - (a "
                 "stream on stdin)")
      ->required();
  app.add_flag("--deep", o.deep, "Read every point: per-measurement series, points, values, fields, times");
  out.add_flags(app, "Print JSON instead of tables");
  app.add_option("--db,--database", database, "Only this database");
  app.add_option("--rp,--retention", rp, "Only this retention policy");
  app.add_option("--shard", shard, "Only this shard ID");
  ifx::cli::add_jobs_option(app, o.jobs, "Shards read in parallel (default: number of cores)");
  app.add_option("--scratch-dir", o.scratch_root,
                 "Where --deep unpacks one shard at a time per job (default: $TMPDIR or /tmp)");

  int code = 0;
  if (!ifx::cli::parse(app, argc, argv, code)) return code;
  if (!database.empty()) o.database = database;
  if (!rp.empty()) o.retention_policy = rp;
  if (app.count("--shard")) o.shard = shard;

  // The JSON names what could not be read ("backup" or "repository") beside the error.
  auto failed = [&](const char* what, const ifx::Error& e) {
    return out.failed(
        ifx::cli::kFailed, e,
        {{what, o.backup_dir.string()}, {"backup_path", o.backup_dir.string()}, {"errors", {ifx::cli::error_json(e)}}});
  };
  // What could be read is shown even when something could not: text on a failure too.
  auto show = [&](const auto& report) {
    const int code = report.ok() ? ifx::cli::kOk : ifx::cli::kFailed;
    if (out.json) return out.done(code, ifx::inspect::to_json(report));
    if (!out.quiet || code != ifx::cli::kOk) std::cout << ifx::inspect::to_text(report);
    return code;
  };
  if (ifx::Repository::is_repository(o.backup_dir)) {
    if (o.deep || o.database || o.retention_policy || o.shard)
      return out.usage(o.backup_dir.string() +
                       " is a snapshot repository: give one of its snapshots (REPO/<base> or REPO/latest) for --deep "
                       "or -db/-rp/-shard");
    auto listing = ifx::inspect::list_repository(o.backup_dir);
    if (!listing) return failed("repository", listing.error());
    return show(*listing);
  }

  auto report = ifx::inspect::run(o);
  if (!report) return failed("backup", report.error());
  return show(*report);
}
