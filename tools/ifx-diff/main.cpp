// ifx-diff: flags → diff::run → text or JSON, exit code. Nothing else lives here.
#include <iostream>

#include "common/cli.hpp"
#include "common/json_output.hpp"
#include "ifx-diff/diff.hpp"

int main(int argc, char** argv) {
  ifx::diff::Options o;
  ifx::cli::Output out("ifx-diff");

  CLI::App app{
      "Compares two InfluxDB 1.x backups (portable or legacy directories, snapshots of an\n"
      "ifx-backup --repo repository, REPO/latest, or a repository itself for its latest snapshot):\n"
      "databases, retention policies and shards added, removed or changed. A shard is the same when\n"
      "both manifests record the same SHA-256 for its archives or they are one file (hard-linked\n"
      "snapshots), else when its unpacked TSM and tombstone files hash the same, whatever the\n"
      "compression. --deep compares the points of each measurement of the shards that differ.\n"
      "Examples:\n"
      "  ifx-diff /backups/monday /backups/tuesday\n"
      "  ifx-diff --deep -db telegraf /backups/repo/20260601T010000Z /backups/repo/latest\n"
      "  ifx-diff --json /backups/legacy-copy /backups/repo\n"
      "Exit codes: 0 the same, 1 different, 2 usage (or a -db/-rp/-shard neither backup holds),\n"
      "3 a backup or one of its shards could not be read.",
      "ifx-diff"};
  app.add_option("old", o.old_backup, "The older backup (directory, snapshot, REPO/latest or REPO)")->required();
  app.add_option("new", o.new_backup, "The newer backup (directory, snapshot, REPO/latest or REPO)")->required();
  app.add_flag("--deep", o.deep, "Per measurement: series, points and whether values differ, for shards that differ");
  out.add_flags(app, "Print one JSON document");
  app.add_option("--db,--database", o.database, "Only this database");
  app.add_option("--rp,--retention", o.retention_policy, "Only this retention policy");
  app.add_option("--shard", o.shard, "Only this shard ID");
  ifx::cli::add_jobs_option(app, o.jobs, "Shards compared at once (default: number of cores)");
  app.add_option("--scratch-dir", o.scratch_root,
                 "Where --deep unpacks one shard at a time per job (default: $TMPDIR or /tmp)");

  int code = 0;
  if (!ifx::cli::parse(app, argc, argv, code)) return code;

  auto report = ifx::diff::run(o);
  if (!report) {
    const bool usage = report.error().code == ifx::ErrorCode::not_in_backup;
    return out.failed(usage ? ifx::cli::kUsage : ifx::diff::kExitUnreadable, report.error(),
                      {{"old", {{"path", o.old_backup.string()}}}, {"new", {{"path", o.new_backup.string()}}}});
  }
  code = ifx::diff::exit_code(*report);
  if (out.json) return out.done(code, ifx::diff::to_json(*report));
  if (!out.quiet || code != ifx::cli::kOk) std::cout << ifx::diff::to_text(*report);
  return code;
}
