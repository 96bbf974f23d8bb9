// ifx-diff's two outputs: one JSON document for scripts (README "ifx-diff"), and for people what
// differs, nested database → retention policy → shard → measurement, then the counts.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/json_output.hpp"
#include "ifx-diff/diff.hpp"
#include "ifx/format/text/rfc3339.hpp"

namespace ifx::diff {
namespace {

using json = nlohmann::ordered_json;

json optional_json(const auto& value) { return value ? json(*value) : json(nullptr); }

json side_json(const Side& s) {
  return json{{"path", s.given.string()},
              {"dir", s.dir.string()},
              {"format", std::string(ifx::to_string(s.set.format))},
              {"created", optional_json(s.set.created_ns)}};
}

json counts_json(const StatusCounts& c) {
  return json{{"added", c.added},
              {"removed", c.removed},
              {"changed", c.changed},
              {"unchanged", c.unchanged},
              {"unreadable", c.unreadable}};
}

json measurement_json(const MeasurementDiff& m) {
  return json{{"name", m.name},
              {"status", std::string(to_string(m.status))},
              {"series", {{"old", m.old_series}, {"new", m.new_series}}},
              {"points", {{"old", m.old_points}, {"new", m.new_points}}},
              {"values_differ", m.values_differ}};
}

json shard_json(const Report& r, const ShardDiff& s) {
  json j{{"database", s.database},
         {"retention_policy", s.retention_policy},
         {"shard", s.shard_id},
         {"status", std::string(to_string(s.status))},
         {"how", s.how == Evidence::none ? json(nullptr) : json(std::string(to_string(s.how)))}};
  if (r.options.deep) {
    json ms = json::array();
    for (const auto& m : s.measurements) ms.push_back(measurement_json(m));
    j["measurements"] = ms;
  }
  j["error"] = s.error ? cli::error_json(*s.error) : json(nullptr);
  j["error_in"] = s.error ? json(s.error_in) : json(nullptr);
  return j;
}

struct Summary {
  StatusCounts databases, retention_policies, shards;
  std::size_t by_inode = 0, by_manifest = 0, by_content = 0;  // unchanged shards, by what decided
};

Summary summarize(const Report& r) {
  Summary s;
  for (const auto& d : r.databases) {
    s.databases.add(d.status);
    for (const auto& rp : d.retention_policies) s.retention_policies.add(rp.status);
  }
  for (const auto& sh : r.shards) {
    s.shards.add(sh.status);
    if (sh.status != Status::unchanged) continue;
    if (sh.how == Evidence::inode) ++s.by_inode;
    if (sh.how == Evidence::manifest) ++s.by_manifest;
    if (sh.how == Evidence::content) ++s.by_content;
  }
  return s;
}

// ---- text ---------------------------------------------------------------------------------------

// The last name of a path, "dir/" and "dir/." included.
std::string last_name(const std::filesystem::path& p) {
  std::filesystem::path n = p.lexically_normal();
  if (!n.has_filename()) n = n.parent_path();
  return n.filename().string();
}

std::string side_text(const Side& s) {
  std::string out = s.given.string();
  if (last_name(s.dir) != last_name(s.given)) out += fmt::format(" → {}", s.dir.string());  // REPO, REPO/latest
  out += fmt::format(" ({}", ifx::to_string(s.set.format));
  if (s.set.created_ns)
    out += fmt::format(", {} {}", s.set.format == BackupFormat::Portable ? "taken" : "meta modified",
                       text::format_rfc3339_nano(*s.set.created_ns));
  return out + ")";
}

std::string signed_change(std::uint64_t was, std::uint64_t is) {
  if (was == is) return fmt::format("{}", is);
  return fmt::format("{} → {} ({}{})", was, is, is > was ? "+" : "-", is > was ? is - was : was - is);
}

std::string measurement_text(const MeasurementDiff& m) {
  std::string out = fmt::format("      measurement \"{}\" {}: points {}, series {}", m.name, to_string(m.status),
                                signed_change(m.old_points, m.new_points), signed_change(m.old_series, m.new_series));
  if (m.status == Status::changed) out += m.values_differ ? ", values differ" : ", values equal";
  return out + "\n";
}

std::string shard_text(const ShardDiff& s) {
  std::string out = fmt::format("    shard {} {}", s.shard_id, to_string(s.status));
  if (s.status == Status::changed) {
    const bool points_equal = !s.measurements.empty() &&
                              std::all_of(s.measurements.begin(), s.measurements.end(),
                                          [](auto& m) { return m.status == Status::unchanged; });
    out += points_equal ? " (files differ, every point the same)" : " (content differs)";
  }
  if (s.error) out += fmt::format(" in the {} backup: [{}] {}", s.error_in, s.error->code, s.error->describe());
  out += "\n";
  for (const auto& m : s.measurements)
    if (m.status != Status::unchanged) out += measurement_text(m);
  return out;
}

std::string differences_text(const std::vector<std::string>& differences) {
  std::string out;
  for (const auto& d : differences) out += (out.empty() ? ": " : ", ") + d;
  return out;
}

std::string count_of(std::size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::size_t shards_of(const Report& r, const std::string& db, const std::string* rp) {
  return static_cast<std::size_t>(std::count_if(r.shards.begin(), r.shards.end(), [&](const ShardDiff& s) {
    return s.database == db && (!rp || s.retention_policy == *rp);
  }));
}

std::string counts_text(const StatusCounts& c) {
  std::string out = fmt::format("{} changed, {} added, {} removed, {} unchanged", c.changed, c.added, c.removed,
                                c.unchanged);
  if (c.unreadable) out += fmt::format(", {} unreadable", c.unreadable);
  return out;
}

// A database or RP that is only in one backup is one line with what it holds; one in both shows
// what differs inside it.
void database_text(const Report& r, const DatabaseDiff& d, std::string& out) {
  if (d.status == Status::unchanged) return;
  if (d.status == Status::added || d.status == Status::removed) {
    out += fmt::format("database \"{}\" {} ({}, {})\n", d.name, to_string(d.status),
                       count_of(d.retention_policies.size(), "retention policy", "retention policies"),
                       count_of(shards_of(r, d.name, nullptr), "shard", "shards"));
    return;
  }
  out += fmt::format("database \"{}\" {}{}\n", d.name, to_string(d.status), differences_text(d.differences));
  for (const auto& rp : d.retention_policies) {
    if (rp.status == Status::unchanged) continue;
    out += fmt::format("  retention policy \"{}\" {}", rp.name, to_string(rp.status));
    if (rp.status == Status::added || rp.status == Status::removed) {
      out += fmt::format(" ({})\n", count_of(shards_of(r, d.name, &rp.name), "shard", "shards"));
      continue;
    }
    out += differences_text(rp.differences) + "\n";
    for (const auto& s : r.shards)
      if (s.database == d.name && s.retention_policy == rp.name && s.status != Status::unchanged) out += shard_text(s);
  }
}

}  // namespace

nlohmann::ordered_json to_json(const Report& r) {
  const Options& o = r.options;
  json dbs = json::array();
  for (const auto& d : r.databases) {
    json rps = json::array();
    for (const auto& rp : d.retention_policies)
      rps.push_back(
          json{{"name", rp.name}, {"status", std::string(to_string(rp.status))}, {"differences", rp.differences}});
    dbs.push_back(json{{"name", d.name},
                       {"status", std::string(to_string(d.status))},
                       {"differences", d.differences},
                       {"retention_policies", rps}});
  }
  json shards = json::array();
  for (const auto& s : r.shards) shards.push_back(shard_json(r, s));
  const Summary sum = summarize(r);
  json shard_counts = counts_json(sum.shards);
  shard_counts["unchanged_by"] = {{"inode", sum.by_inode}, {"manifest", sum.by_manifest}, {"content", sum.by_content}};
  return json{{"tool", "ifx-diff"},
              {"old", side_json(r.old_side)},
              {"new", side_json(r.new_side)},
              {"deep", o.deep},
              {"filters",
               {{"database", optional_json(o.database)},
                {"retention_policy", optional_json(o.retention_policy)},
                {"shard", optional_json(o.shard)}}},
              {"same", r.same()},
              {"complete", r.complete()},
              {"summary",
               {{"databases", counts_json(sum.databases)},
                {"retention_policies", counts_json(sum.retention_policies)},
                {"shards", shard_counts}}},
              {"databases", dbs},
              {"shards", shards},
              {"elapsed_seconds", r.elapsed_seconds},
              {"elapsed_ms", static_cast<std::int64_t>(r.elapsed_seconds * 1000)}};
}

std::string to_text(const Report& r) {
  std::string out = fmt::format("old: {}\nnew: {}\n\n", side_text(r.old_side), side_text(r.new_side));
  const std::size_t header = out.size();
  for (const auto& d : r.databases) database_text(r, d, out);
  // Shards under no compared database/RP: their RP is in neither meta store.
  for (const auto& s : r.shards) {
    const bool listed = std::any_of(r.databases.begin(), r.databases.end(), [&](const DatabaseDiff& d) {
      return d.name == s.database && std::any_of(d.retention_policies.begin(), d.retention_policies.end(),
                                                 [&](auto& rp) { return rp.name == s.retention_policy; });
    });
    if (!listed && s.status != Status::unchanged)
      out += fmt::format("  ({}/{}, not in the meta store)\n", s.database, s.retention_policy) + shard_text(s);
  }
  if (out.size() > header) out += "\n";

  const Summary sum = summarize(r);
  out += fmt::format("databases: {}\nretention policies: {}\nshards: {}", counts_text(sum.databases),
                     counts_text(sum.retention_policies), counts_text(sum.shards));
  std::vector<std::string> by;  // what decided the unchanged shards, where any did
  if (sum.by_inode) by.push_back(fmt::format("{} the same file", sum.by_inode));
  if (sum.by_manifest) by.push_back(fmt::format("{} the same recorded SHA-256", sum.by_manifest));
  if (sum.by_content) by.push_back(fmt::format("{} the same data", sum.by_content));
  if (!by.empty()) out += fmt::format(" ({})", fmt::join(by, ", "));
  out += "\n";
  if (!r.complete()) out += "Some shards could not be read: whether the backups hold the same is not known.\n";
  else out += r.same() ? "The backups hold the same data.\n" : "The backups differ.\n";
  return out;
}

}  // namespace ifx::diff
