// ifx-restore's operation: flags checked, the backup opened and planned, verified before the
// server is touched, then the online, --merge or offline restore.
#include "ifx-restore/restore.hpp"

#include <chrono>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/human.hpp"
#include "ifx-restore/steps.hpp"
#include "ifx/format/check/backup_check.hpp"

namespace ifx::restore {

std::string_view to_string(Mode m) {
  switch (m) {
    case Mode::Portable:
      return "portable";
    case Mode::Online:
      return "online";
    case Mode::Offline:
      return "offline";
  }
  return "?";
}

void say(const Options& o, const std::string& line) {
  if (o.progress) o.progress(line);
}

Result<InfluxHttp> connect_http(const Options& o) {
  return net::connect_influx_http(o.http_url, o.host, o.net_timeout);
}

namespace {

// Verification before any change: the first defect is the refusal's message, with its
// file, entry and offset. Files nothing accounts for do not stop a restore; they are noted.
Result<void> verify_backup(const Options& o, Report& report) {
  if (o.verify == VerifyLevel::None) {
    report.verified = "skipped";
    return {};
  }
  check::BackupCheckOptions vo;
  vo.backup_dir = o.backup_dir;
  vo.quick = o.verify == VerifyLevel::Quick;
  vo.database = o.database;
  vo.retention_policy = o.retention_policy;
  vo.shard = o.shard;
  vo.scratch_root = o.scratch_root;
  say(o, fmt::format("verifying {} ({})", o.backup_dir.string(), vo.quick ? "quick: structure and CRCs" : "full"));
  auto v = check::check_backup(vo);
  if (!v) return std::unexpected(v.error());
  std::vector<Error> defects;
  for (auto& d : v->defects) {
    if (d.code == ErrorCode::file_unexpected) report.notes.push_back("backup: " + d.describe());
    else defects.push_back(d);
  }
  for (const auto& w : v->warnings) report.notes.push_back("backup: " + w);
  if (!defects.empty()) {
    Error first = defects.front();
    first.message = fmt::format(
        "{} — the backup is damaged ({} defect{}; `ifx-verify {}` lists them all), so "
        "nothing was restored and nothing on the server changed",
        first.message, defects.size(), defects.size() == 1 ? "" : "s", o.backup_dir.string());
    first.message = fmt::format("{}: {}", first.code, first.message);
    first.code = ErrorCode::backup_damaged;
    return std::unexpected(std::move(first));
  }
  report.verified = vo.quick ? "quick" : "full";
  return {};
}

// Whether an online restore may go on without the HTTP API that `failure` says cannot be used
// (nothing answers, it needs credentials, it speaks HTTPS or is not InfluxDB): only when the user
// did not name one (--http) nor give credentials that were refused, and asked for nothing that
// needs it. influxd's own restore uses the RPC alone, so scripts pass only -host, whose port says
// nothing about the HTTP port, and no credentials, which the RPC does not take; refusing them
// would break `influxd restore` command lines that work.
bool can_go_without_http(const Options& o, const Error& failure) {
  HttpEndpoint guessed = net::http_endpoint_for_rpc_host(o.host);
  net::apply_env_credentials(guessed);
  const bool credentials_refused = failure.code == ErrorCode::http_auth &&
                                   (!guessed.username.empty() || !guessed.password.empty());
  return !credentials_refused && !o.http_url && !o.merge && !o.cqs && !o.users && !o.count_values;
}

// What the user is told when the restore goes on without the HTTP API.
std::string rpc_alone_note(const Options& o, const Error& failure) {
  const std::string url = net::http_endpoint_for_rpc_host(o.host).url();
  std::string why;
  if (failure.code == ErrorCode::http_auth) why = fmt::format("the HTTP API at {} needs credentials", url);
  else if (failure.code == ErrorCode::http_unreachable)
    why = fmt::format("no HTTP API answered at {} (the default for -host {})", url, o.host);
  else
    why = fmt::format("the HTTP API at {} (the default for -host {}) cannot be used ({})", url, o.host,
                      failure.message);
  return fmt::format(
      "{}, so the restore runs over the RPC alone, as influxd restore does: the target is checked in "
      "the server's meta store, but the restore does not wait for the data to answer queries and cannot "
      "roll back a failure (pass --http URL{} for both)",
      why, failure.code == ErrorCode::http_auth ? " and INFLUX_USERNAME/INFLUX_PASSWORD of an admin" : "");
}

// The InfluxDB 1.8 documentation's legacy restore into a temporary database (`influxd restore -db
// X -newdb Y DIR`) names neither -online nor a directory, and assumes a running server: a legacy
// backup given neither -portable/-online nor -metadir/-datadir is restored online. The note says
// so; nothing when the mode was given or implied by the directories (or the backup is portable,
// which keeps the usage error asking for a mode).
Result<std::optional<std::string>> infer_online_mode(Options& o) {
  if (o.mode != Mode::Offline || !o.meta_dir.empty() || !o.data_dir.empty()) return std::nullopt;
  auto set = open_backup_set(o.backup_dir);
  if (!set) return std::unexpected(set.error());
  if (set->format != BackupFormat::Legacy) return std::nullopt;
  o.mode = Mode::Online;
  return fmt::format(
      "neither -portable/-online nor -metadir/-datadir was given: this legacy backup is restored into the "
      "running influxd at {}, as -online does (give -metadir/-datadir to restore into a stopped server's "
      "directories instead)",
      o.host);
}

Result<void> run_mode(const Options& o, RestorePlan& plan, Report& report) {
  if (o.mode == Mode::Offline) return run_offline(o, plan, report);
  auto http = connect_http(o);
  if (http) return o.merge ? run_merge(o, plan, *http, report) : run_online(o, plan, &*http, report);
  if (!can_go_without_http(o, http.error())) return std::unexpected(http.error());
  report.notes.push_back(rpc_alone_note(o, http.error()));
  say(o, report.notes.back());
  return run_online(o, plan, nullptr, report);
}

}  // namespace

Result<Report> run(const Options& given) {
  const auto t0 = std::chrono::steady_clock::now();
  Options o = given;
  auto inferred = infer_online_mode(o);
  if (!inferred) return std::unexpected(inferred.error());
  if (*inferred) say(o, "note: " + **inferred);
  // A failure of an inferred online restore repeats why it went online: the user asked for no server.
  auto failed = [&](Error e) {
    if (*inferred) e.message = fmt::format("{} (note: {})", e.message, **inferred);
    return std::unexpected(std::move(e));
  };
  if (auto r = check_flags(o); !r) return failed(r.error());
  Report report;
  report.mode = o.mode;
  report.backup_dir = o.backup_dir.string();
  report.dry_run = o.dry_run;
  auto plan = make_plan(o);
  if (!plan) return failed(plan.error());
  report.format = std::string(ifx::to_string(plan->set.format));
  if (*inferred) report.notes.push_back(**inferred);
  report.notes.insert(report.notes.end(), plan->notes.begin(), plan->notes.end());
  if (auto r = verify_backup(o, report); !r) return failed(r.error());

  if (auto done = run_mode(o, *plan, report); !done) return failed(done.error());
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

nlohmann::ordered_json to_json(const Report& r) {
  using json = nlohmann::ordered_json;
  json dbs = json::array();
  for (const auto& d : r.databases) {
    json rps = json::array();
    for (const auto& rp : d.retention_policies) {
      json ms = json::array();
      for (const auto& m : rp.measurements) ms.push_back({{"measurement", m.measurement}, {"values", m.values}});
      rps.push_back({{"name", rp.name},
                     {"shards", rp.shards},
                     {"values", r.counted ? json(rp.values) : json(nullptr)},
                     {"measurements", ms}});
    }
    dbs.push_back({{"source", d.source}, {"target", d.target}, {"created", d.created}, {"retention_policies", rps}});
  }
  json shards = json::array();
  for (const auto& s : r.shards)
    shards.push_back(
        {{"source",
          {{"database", s.source_database}, {"retention_policy", s.source_retention_policy}, {"id", s.source_id}}},
         {"target",
          {{"database", s.database},
           {"retention_policy", s.retention_policy},
           {"id", s.id},
           {"ids", s.merged_into.empty() && s.id ? std::vector<std::uint64_t>{s.id} : s.merged_into}}},
         {"archives", s.archives},
         {"tsm_files", s.tsm_files},
         {"bytes", s.bytes},
         {"tombstones", s.tombstones},
         {"tombstones_applied", s.tombstones_applied},
         {"status", s.status}});
  return json{{"mode", to_string(r.mode)},
              {"backup", r.backup_dir},
              {"backup_path", r.backup_dir},
              {"format", r.format},
              {"verified", r.verified},
              {"dry_run", r.dry_run},
              {"databases", dbs},
              {"shards", shards},
              {"points_written", r.values_written},
              {"values_written", r.values_written},
              {"users", r.users},
              {"continuous_queries", r.continuous_queries},
              {"moved_aside", r.moved_aside},
              {"notes", r.notes},
              {"seconds", r.seconds},
              {"elapsed_ms", static_cast<std::int64_t>(r.seconds * 1000)}};
}

std::string to_text(const Report& r) {
  std::string out = fmt::format("{} {} restore of {} ({} backup, verified: {})\n", r.dry_run ? "Planned" : "Finished",
                                to_string(r.mode), r.backup_dir, r.format, r.verified);
  // The values column only when --count counted them on the server.
  cli::Table dbs = r.counted
                       ? cli::Table({"database", "from", "retention policy", "shards", "values"},
                                    {false, false, false, true, true})
                       : cli::Table({"database", "from", "retention policy", "shards"}, {false, false, false, true});
  for (const auto& d : r.databases)
    for (const auto& rp : d.retention_policies) {
      std::vector<std::string> row{d.target, d.source == d.target ? "" : d.source, rp.name, std::to_string(rp.shards)};
      if (r.counted) row.push_back(std::to_string(rp.values));
      dbs.add_row(row);
    }
  if (!dbs.empty()) out += dbs.render("  ");
  cli::Table shards({"shard", "→", "database/rp", "archives", "tsm", "size", "status"},
                    {true, true, false, true, true, true, false});
  // The server's shard IDs: a merged shard may have gone into several; "-" where the server has
  // not given one yet (a dry run).
  auto target_ids = [](const ShardOutcome& s) {
    if (!s.merged_into.empty()) return fmt::format("{}", fmt::join(s.merged_into, ","));
    return s.id ? std::to_string(s.id) : std::string("-");
  };
  for (const auto& s : r.shards)
    shards.add_row({std::to_string(s.source_id), target_ids(s), s.database + "/" + s.retention_policy,
                    std::to_string(s.archives), std::to_string(s.tsm_files), cli::format_bytes(s.bytes), s.status});
  if (!shards.empty()) out += "\n" + shards.render("  ");
  if (r.values_written)
    out += fmt::format("\nValues written over HTTP: {} (one line per field value)\n", r.values_written);
  for (const auto& u : r.users) out += "user: " + u + "\n";
  for (const auto& c : r.continuous_queries) out += "continuous query: " + c + "\n";
  for (const auto& m : r.moved_aside) out += "moved aside: " + m + "\n";
  for (const auto& n : r.notes) out += "note: " + n + "\n";
  if (!r.dry_run) out += fmt::format("Done in {:.2f} s.\n", r.seconds);
  return out;
}

}  // namespace ifx::restore
