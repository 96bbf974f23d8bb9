// ifx-restore: flags → restore::run → text or JSON, exit code. Nothing else lives here.
#include <unistd.h>

#include <iostream>

#include "common/cli.hpp"
#include "common/json_output.hpp"
#include "ifx-restore/restore.hpp"

int main(int argc, char** argv) {
  ifx::restore::Options o;
  ifx::cli::Output out("ifx-restore");
  bool portable = false, online = false;
  std::string database, new_database, rp, new_rp, http, new_duration, progress = "auto", verify = "full";
  std::uint64_t shard = 0;
  std::string meta_dir, data_dir;
  int wait_seconds = 300;

  CLI::App app{
      "Restores an InfluxDB 1.x backup (portable or legacy, incremental chains merged) into a running\n"
      "influxd (-portable, -online) or into its stopped directories (-metadir/-datadir). A legacy backup\n"
      "given neither is restored into the running influxd, as -online does (with a note). The backup is\n"
      "verified first; an existing target database is refused (use -newdb, or --merge to write the\n"
      "points into it); tombstoned points stay deleted; the command returns once the data answers\n"
      "queries, and a failure midway drops the databases it created.\n"
      "Exit codes: 0 restored, 1 failed (nothing left half-restored), 2 usage.",
      "ifx-restore"};
  app.add_option("backup_dir", o.backup_dir, "Backup directory")->required();
  app.add_flag("--portable", portable, "Restore into a running influxd (any backup format)");
  app.add_flag("--online", online, "Restore a legacy backup into a running influxd (same as -portable here)");
  app.add_option("--host", o.host, "influxd's RPC address (bind-address), default localhost:8088");
  app.add_option(
      "--http", http,
      "InfluxDB's HTTP API, used to check the target, wait for the data and roll back a failure (default: the "
      "-host address with port 8086; when nothing usable answers there, the restore runs over the RPC alone, "
      "as influxd's does)");
  app.add_option("--db,--database", database, "Only this database of the backup");
  app.add_option("--newdb", new_database, "Restore it under this name");
  app.add_option("--rp,--retention", rp, "Only this retention policy (needs -db)");
  app.add_option("--newrp", new_rp, "Restore it under this name");
  app.add_option("--shard", shard, "Only this shard (needs -db and -rp)");
  app.add_option("--newduration", new_duration, "Give the restored retention policies this duration (e.g. 90d, INF)");
  app.add_option("--metadir", meta_dir, "Offline: influxd's meta directory");
  app.add_option("--datadir", data_dir, "Offline: influxd's data directory");
  app.add_flag("--merge", o.merge, "Write the backup's points into existing databases over HTTP");
  app.add_flag("--users", o.users, "Restore users' grants on the restored databases");
  app.add_flag("--cqs", o.cqs, "Restore continuous queries, renames applied inside the query text");
  app.add_flag("--dry-run", o.dry_run, "Verify and show what would be restored; change nothing");
  out.add_flags(app, "Print the summary as JSON");
  app.add_option("--progress", progress, "auto, plain or none")->check(CLI::IsMember({"auto", "plain", "none"}));
  app.add_option("--verify", verify, "Check the backup first: full (default), quick (CRCs only) or none")
      ->check(CLI::IsMember({"full", "quick", "none"}));
  ifx::cli::add_jobs_option(
      app, o.jobs,
      "Shards staged and uploaded at once, one connection each (default 4: the server spends most of an "
      "upload waiting on its disk, so more of them overlap)")
      ->check(CLI::Range(1, 64));
  app.add_option("--scratch-dir", o.scratch_root, "Where shard tars are staged (default: $TMPDIR or /tmp)");
  double timeout_seconds = 0;
  app.add_option("--timeout", timeout_seconds,
                 "Seconds of silence before a network step fails: RPC connect/reads and each HTTP request "
                 "(default: RPC connect 10, read 120; HTTP 60)")
      ->check(CLI::PositiveNumber);
  app.add_option("--wait", wait_seconds, "Seconds to wait for the restored data to answer queries (default 300)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--count", o.count_values,
               "Then count every restored value on the server and print the counts (slow on large databases)");

  int code = 0;
  if (!ifx::cli::parse(app, argc, argv, code)) return code;
  if (portable && online) return out.usage("-portable and -online exclude each other");
  o.mode = portable ? ifx::restore::Mode::Portable : online ? ifx::restore::Mode::Online : ifx::restore::Mode::Offline;
  if (!http.empty()) o.http_url = http;
  if (!database.empty()) o.database = database;
  if (!new_database.empty()) o.new_database = new_database;
  if (!rp.empty()) o.retention_policy = rp;
  if (!new_rp.empty()) o.new_retention_policy = new_rp;
  if (app.count("--shard")) o.shard = shard;
  o.meta_dir = meta_dir;
  o.data_dir = data_dir;
  o.wait_timeout = std::chrono::seconds(wait_seconds);
  if (timeout_seconds > 0) o.net_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_seconds * 1000));
  o.verify = verify == "quick"  ? ifx::restore::VerifyLevel::Quick
             : verify == "none" ? ifx::restore::VerifyLevel::None
                                : ifx::restore::VerifyLevel::Full;
  if (!new_duration.empty()) {
    if (new_duration == "INF" || new_duration == "inf" || new_duration == "0") {
      o.new_duration_ns = 0;
    } else {
      auto d = ifx::cli::parse_duration_flag(new_duration);
      if (!d) return out.failed(ifx::cli::kUsage, d.error());
      o.new_duration_ns = *d;
    }
  }
  // --verbose: the progress lines even off a terminal (unless --progress none); --quiet: none.
  const bool show_progress = !out.quiet &&
                             (progress == "plain" || (progress == "auto" && (out.verbose || ::isatty(STDERR_FILENO))));
  if (show_progress) o.progress = [](const std::string& line) { std::cerr << line << "\n"; };

  auto report = ifx::restore::run(o);
  if (!report) return out.failed(ifx::cli::failure_exit_code(report.error()), report.error(), {{"restored", false}});
  if (out.json) return out.done(ifx::cli::kOk, ifx::restore::to_json(*report));
  if (!out.quiet) std::cout << ifx::restore::to_text(*report) << std::flush;
  return ifx::cli::kOk;
}
