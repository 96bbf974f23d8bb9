// ifx-prune: flags → prune::run → text or JSON, exit code. Nothing else lives here.
#include <iostream>

#include "common/cli.hpp"
#include "common/json_output.hpp"
#include "common/metrics.hpp"
#include "ifx-prune/prune.hpp"

int main(int argc, char** argv) {
  ifx::prune::Options o;
  ifx::cli::Output out("ifx-prune");
  std::string within;
  double lock_wait_seconds = 0;
  unsigned last = 0, hourly = 0, daily = 0, weekly = 0, monthly = 0, yearly = 0;

  CLI::App app{
      "Removes the snapshots of an ifx-backup --repo repository that no retention rule keeps.\n"
      "Rules count calendar units back from now (UTC, or --tz), a unit without a snapshot\n"
      "included: --keep-daily 7 keeps the newest snapshot of each of the last 7 days. A snapshot\n"
      "any rule keeps stays; the newest always stays; no rule removes nothing.\n"
      "Examples:\n"
      "  ifx-prune /backups/repo --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --dry-run\n"
      "  ifx-prune /backups/repo --keep-within 48h --keep-monthly 6 --json\n"
      "Exit codes: 0 done, 1 failed, 2 usage, 4 the repository is locked by another run.",
      "ifx-prune"};
  app.add_option("repository", o.repo, "The repository (ifx-backup --repo REPO)")->required();
  app.add_option("--keep-last", last, "Keep the N newest snapshots");
  app.add_option("--keep-hourly", hourly, "Keep the newest snapshot of each of the last N hours");
  app.add_option("--keep-daily", daily, "Keep the newest snapshot of each of the last N days");
  app.add_option("--keep-weekly", weekly, "Keep the newest snapshot of each of the last N weeks (Monday first)");
  app.add_option("--keep-monthly", monthly, "Keep the newest snapshot of each of the last N months");
  app.add_option("--keep-yearly", yearly, "Keep the newest snapshot of each of the last N years");
  app.add_option("--keep-within", within, "Keep every snapshot made within this long before now (e.g. 48h, 14d)");
  app.add_option("--tz", o.policy.time_zone, "Time zone of the calendar (default UTC), e.g. Europe/Berlin");
  app.add_flag("--dry-run", o.dry_run, "Show what would be removed; remove nothing");
  out.add_flags(app, "Print JSON");
  app.add_option("--lock-wait", lock_wait_seconds,
                 "Seconds to wait for a repository another run holds (default 0: exit code 4 at once)")
      ->check(CLI::NonNegativeNumber);
  std::filesystem::path metrics_file;
  app.add_option("--metrics", metrics_file, ifx::cli::kMetricsFlagHelp)->type_name("FILE");

  int code = 0;
  if (!ifx::cli::parse(app, argc, argv, code)) return code;
  if (app.count("--keep-last")) o.policy.last = last;
  if (app.count("--keep-hourly")) o.policy.hourly = hourly;
  if (app.count("--keep-daily")) o.policy.daily = daily;
  if (app.count("--keep-weekly")) o.policy.weekly = weekly;
  if (app.count("--keep-monthly")) o.policy.monthly = monthly;
  if (app.count("--keep-yearly")) o.policy.yearly = yearly;
  if (!within.empty()) {
    auto d = ifx::cli::parse_duration_flag(within);
    if (!d) return out.failed(ifx::cli::kUsage, d.error());
    o.policy.within_ns = *d;
  }
  o.lock_wait = std::chrono::milliseconds(static_cast<std::int64_t>(lock_wait_seconds * 1000));

  auto report = ifx::prune::run(o);
  if (!metrics_file.empty()) ifx::prune::write_metrics(metrics_file, o, report);
  if (!report)  // an invalid rule (a --tz the zone database lacks) is the command line's fault
    return out.failed(report.error().code == ifx::ErrorCode::invalid_argument
                          ? ifx::cli::kUsage
                          : ifx::cli::failure_exit_code(report.error()),
                      report.error());
  if (out.json) return out.done(ifx::cli::kOk, ifx::prune::to_json(*report));
  if (!out.quiet) std::cout << ifx::prune::to_text(*report);
  return ifx::cli::kOk;
}
