// ifx-inspect's two outputs: the JSON schema documented in the README, and tables for people.
#include <fmt/format.h>

#include "common/human.hpp"
#include "common/json_output.hpp"
#include "ifx-inspect/inspect.hpp"
#include "ifx/format/text/go_duration.hpp"
#include "ifx/format/text/rfc3339.hpp"

namespace ifx::inspect {
namespace {

using json = nlohmann::ordered_json;

bool db_selected(const Options& o, const meta::DatabaseInfo& db) { return !o.database || *o.database == db.name; }
bool rp_selected(const Options& o, const meta::RetentionPolicyInfo& rp) {
  return !o.retention_policy || *o.retention_policy == rp.name;
}
bool shard_selected(const Options& o, std::uint64_t id) { return !o.shard || *o.shard == id; }

json measurement_json(const MeasurementStats& m) {
  json fields = json::object();
  for (const auto& [k, t] : m.fields) fields[k] = std::string(tsm::block_type_name(t));
  return json{{"name", m.name},   {"series", m.series},     {"points", m.points},    {"values", m.values},
              {"fields", fields}, {"min_time", m.min_time}, {"max_time", m.max_time}};
}

json shard_json(const Report& r, std::uint64_t id) {
  json s{{"id", id}};
  const ShardInBackup* in = r.set.find_shard(id);
  s["in_backup"] = in != nullptr;
  json files = json::array();
  if (in)
    for (const auto& a : in->archives) files.push_back(a.file_name);
  s["files"] = files;
  auto it = r.shards.find(id);
  if (it == r.shards.end()) return s;
  const ShardResult& res = it->second;
  if (res.scan) {
    s["archive_bytes"] = res.scan->archive_bytes;
    s["tar_bytes"] = res.scan->tar_bytes;
    s["tsm_files"] = res.scan->tsm_files;
    s["tombstones"] = res.scan->tombstones;
    s["entries"] = res.scan->files;
  }
  if (res.stats) {
    json ms = json::array();
    for (const auto& m : res.stats->measurements) ms.push_back(measurement_json(m));
    s["measurements"] = ms;
  }
  s["error"] = res.error ? cli::error_json(*res.error) : json(nullptr);
  return s;
}

struct Totals {
  std::uint64_t databases = 0, retention_policies = 0, shards = 0, shards_in_backup = 0, archives = 0,
                archive_bytes = 0, tar_bytes = 0, tsm_files = 0, tombstones = 0, series = 0, points = 0, values = 0;
};

Totals totals(const Report& r) {
  Totals t;
  const Options& o = r.options;
  for (const auto& db : r.set.meta.databases) {
    if (!db_selected(o, db)) continue;
    ++t.databases;
    for (const auto& rp : db.retention_policies) {
      if (!rp_selected(o, rp)) continue;
      ++t.retention_policies;
      for (const auto& g : rp.shard_groups)
        for (const auto& s : g.shards)
          if (shard_selected(o, s.id)) ++t.shards;
    }
  }
  for (const auto& [id, res] : r.shards) {
    ++t.shards_in_backup;
    if (const auto* in = r.set.find_shard(id)) t.archives += in->archives.size();
    if (res.scan) {
      t.archive_bytes += res.scan->archive_bytes;
      t.tar_bytes += res.scan->tar_bytes;
      t.tsm_files += res.scan->tsm_files;
      t.tombstones += res.scan->tombstones;
    }
    if (res.stats)
      for (const auto& m : res.stats->measurements) {
        t.series += m.series;
        t.points += m.points;
        t.values += m.values;
      }
  }
  return t;
}

}  // namespace

nlohmann::ordered_json to_json(const Report& r) {
  const Options& o = r.options;
  json out{{"format", std::string(to_string(r.set.format))},
           {"backup", r.set.dir.string()},
           {"backup_path", r.set.dir.string()}};
  out["created"] = r.set.created_ns ? json(*r.set.created_ns) : json(nullptr);
  out["meta_file"] = r.set.meta_file;
  out["manifests"] = r.set.manifest_files;

  json dbs = json::array();
  json cqs = json::array();
  for (const auto& db : r.set.meta.databases) {
    if (!db_selected(o, db)) continue;
    json rps = json::array();
    for (const auto& rp : db.retention_policies) {
      if (!rp_selected(o, rp)) continue;
      json groups = json::array();
      for (const auto& g : rp.shard_groups) {
        json shards = json::array();
        for (const auto& s : g.shards)
          if (shard_selected(o, s.id)) shards.push_back(shard_json(r, s.id));
        if (o.shard && shards.empty()) continue;
        groups.push_back(json{{"id", g.id},
                              {"start", g.start_ns},
                              {"end", g.end_ns},
                              {"deleted", g.deleted()},
                              {"deleted_at", g.deleted() ? json(g.deleted_at_ns) : json(nullptr)},
                              {"truncated_at", g.truncated_at_ns ? json(g.truncated_at_ns) : json(nullptr)},
                              {"shards", shards}});
      }
      rps.push_back(json{{"name", rp.name},
                         {"duration_ns", rp.duration_ns},
                         {"shard_group_duration_ns", rp.shard_group_duration_ns},
                         {"replication", rp.replica_n},
                         {"default", rp.name == db.default_retention_policy},
                         {"shard_groups", groups}});
    }
    dbs.push_back(json{
        {"name", db.name}, {"default_retention_policy", db.default_retention_policy}, {"retention_policies", rps}});
    for (const auto& cq : db.continuous_queries)
      cqs.push_back(json{{"database", db.name}, {"name", cq.name}, {"query", cq.query}});
  }
  out["databases"] = dbs;

  json users = json::array();
  for (const auto& u : r.set.meta.users) {  // never the password hash
    json privs = json::object();
    for (const auto& p : u.privileges) privs[p.database] = meta::privilege_name(p.privilege);
    users.push_back(json{{"name", u.name}, {"admin", u.admin}, {"privileges", privs}});
  }
  out["users"] = users;
  out["continuous_queries"] = cqs;

  // Shards whose archives the backup holds but the meta store does not know (under that db/rp).
  json orphans = json::array();
  for (const auto& s : r.set.shards)
    if (!s.in_meta && r.shards.count(s.shard_id)) {
      json j = shard_json(r, s.shard_id);
      j["database"] = s.database;
      j["retention_policy"] = s.retention_policy;
      orphans.push_back(j);
    }
  out["shards_not_in_meta"] = orphans;
  out["unreferenced_files"] = r.set.unreferenced_files;

  Totals t = totals(r);
  json tj{{"databases", t.databases},  {"retention_policies", t.retention_policies},
          {"shards", t.shards},        {"shards_in_backup", t.shards_in_backup},
          {"archives", t.archives},    {"archive_bytes", t.archive_bytes},
          {"tar_bytes", t.tar_bytes},  {"tsm_files", t.tsm_files},
          {"tombstones", t.tombstones}};
  if (o.deep) {
    tj["series"] = t.series;
    tj["points"] = t.points;
    tj["values"] = t.values;
  }
  out["totals"] = tj;
  json errors = json::array();
  for (const auto& e : r.errors) errors.push_back(cli::error_json(e));
  out["errors"] = errors;
  return out;
}

std::string to_text(const Report& r) {
  const Options& o = r.options;
  std::string out = fmt::format("Backup {} ({} format", r.set.dir.string(), to_string(r.set.format));
  if (r.set.created_ns)
    out += (r.set.format == BackupFormat::Portable ? ", taken " : ", meta file modified ") +
           text::format_rfc3339_nano(*r.set.created_ns);
  out += fmt::format(", meta {})\n", r.set.meta_file);
  if (r.set.manifest_files.size() > 1)
    out += fmt::format("  {} manifests, merged as one chain (oldest first)\n", r.set.manifest_files.size());

  for (const auto& db : r.set.meta.databases) {
    if (!db_selected(o, db)) continue;
    out += fmt::format("\nDatabase \"{}\"\n", db.name);
    for (const auto& rp : db.retention_policies) {
      if (!rp_selected(o, rp)) continue;
      out += fmt::format("  RP \"{}\"{}: duration {}, shard groups {}, replication {}\n", rp.name,
                         rp.name == db.default_retention_policy ? " (default)" : "",
                         rp.duration_ns ? text::format_go_duration(rp.duration_ns) : "infinite",
                         text::format_go_duration(rp.shard_group_duration_ns), rp.replica_n);
      cli::Table shards({"group", "start", "end", "shard", "archive", "archive size", "tar size", "tsm", "tombstones"},
                        {true, false, false, true, false, true, true, true, true});
      cli::Table ms({"shard", "measurement", "series", "points", "values", "fields", "min time", "max time"},
                    {true, false, true, true, true, false, false, false});
      for (const auto& g : rp.shard_groups) {
        std::string group = fmt::format("{}", g.id) + (g.deleted() ? " (deleted)" : "");
        if (g.shards.empty() && !o.shard)
          shards.add_row(
              {group, text::format_rfc3339_nano(g.start_ns), text::format_rfc3339_nano(g.end_ns), "-", "(no shards)"});
        for (const auto& s : g.shards) {
          if (!shard_selected(o, s.id)) continue;
          std::vector<std::string> row{group, text::format_rfc3339_nano(g.start_ns),
                                       text::format_rfc3339_nano(g.end_ns), fmt::format("{}", s.id)};
          const ShardInBackup* in = r.set.find_shard(s.id);
          auto it = r.shards.find(s.id);
          if (!in) {
            row.push_back("(not in this backup)");
          } else {
            std::string files;
            for (const auto& a : in->archives) files += (files.empty() ? "" : " + ") + a.file_name;
            row.push_back(files);
            if (it != r.shards.end() && it->second.scan) {
              const auto& sc = *it->second.scan;
              row.push_back(cli::format_bytes(sc.archive_bytes));
              row.push_back(cli::format_bytes(sc.tar_bytes));
              row.push_back(fmt::format("{}", sc.tsm_files));
              row.push_back(fmt::format("{}", sc.tombstones));
            } else if (it != r.shards.end() && it->second.error) {
              row.push_back(fmt::format("UNREADABLE: {}", it->second.error->code));
            }
          }
          shards.add_row(row);
          if (it != r.shards.end() && it->second.stats)
            for (const auto& m : it->second.stats->measurements) {
              std::string fields;
              for (const auto& [k, t] : m.fields)
                fields += (fields.empty() ? "" : ", ") + k + ":" + std::string(tsm::block_type_name(t));
              ms.add_row({fmt::format("{}", s.id), m.name, fmt::format("{}", m.series), fmt::format("{}", m.points),
                          fmt::format("{}", m.values), fields, text::format_rfc3339_nano(m.min_time),
                          text::format_rfc3339_nano(m.max_time)});
            }
        }
      }
      if (!shards.empty()) out += shards.render("    ");
      if (!ms.empty()) out += "\n" + ms.render("    ");
    }
    for (const auto& cq : db.continuous_queries) out += fmt::format("  CQ \"{}\": {}\n", cq.name, cq.query);
  }

  if (!r.set.meta.users.empty()) {
    out += "\nUsers\n";
    cli::Table users({"name", "admin", "privileges"});
    for (const auto& u : r.set.meta.users) {
      std::string privs;
      for (const auto& p : u.privileges)
        privs += (privs.empty() ? "" : ", ") + p.database + ": " + meta::privilege_name(p.privilege);
      users.add_row({u.name, u.admin ? "yes" : "no", privs.empty() ? "-" : privs});
    }
    out += users.render("  ");
  }
  for (const auto& s : r.set.shards)
    if (!s.in_meta && r.shards.count(s.shard_id))
      out += fmt::format("\nShard {} ({}/{}) has archives but the meta store does not list it there\n", s.shard_id,
                         s.database, s.retention_policy);
  if (!r.set.unreferenced_files.empty()) {
    out += "\nFiles no manifest or naming rule accounts for:\n";
    for (const auto& f : r.set.unreferenced_files) out += "  " + f + "\n";
  }

  Totals t = totals(r);
  out += fmt::format(
      "\nTotals: {} databases, {} retention policies, {} shards in the meta ({} in this backup), "
      "{} archives, {} compressed, {} of tar, {} TSM files, {} tombstone files",
      t.databases, t.retention_policies, t.shards, t.shards_in_backup, t.archives, cli::format_bytes(t.archive_bytes),
      cli::format_bytes(t.tar_bytes), t.tsm_files, t.tombstones);
  if (o.deep) out += fmt::format("; {} series, {} points, {} values", t.series, t.points, t.values);
  out += "\n";
  if (!r.errors.empty()) {
    out += fmt::format("\n{} problem(s):\n", r.errors.size());
    for (const auto& e : r.errors) out += fmt::format("  [{}] {}\n", e.code, e.describe());
  }
  return out;
}

}  // namespace ifx::inspect
