// The completeness report: per database / retention policy what was in scope and what was
// written, as a table for people and as the --json summary (schema in backup.hpp and the README).
#include <fmt/format.h>

#include "common/human.hpp"
#include "common/json_output.hpp"
#include "ifx-backup/steps.hpp"

namespace ifx::backup {
namespace detail {

std::vector<ScopeSummary> summarize_scopes(const std::vector<ShardReport>& shards) {
  std::vector<ScopeSummary> out;
  for (const auto& r : shards) {
    auto it = std::find_if(out.begin(), out.end(), [&](const ScopeSummary& s) {
      return s.database == r.database && s.retention_policy == r.retention_policy;
    });
    if (it == out.end()) it = out.insert(out.end(), ScopeSummary{r.database, r.retention_policy});
    ++it->shards;
    if (r.status == ShardStatus::written || r.status == ShardStatus::adopted) ++it->written;
    if (r.status == ShardStatus::reused) ++it->reused;
    if (r.status == ShardStatus::skipped) ++it->skipped;
    it->file_bytes += r.file_bytes;
  }
  return out;
}

}  // namespace detail

namespace {

nlohmann::ordered_json time_or_null(const std::optional<net::WireTime>& t) {
  if (!t) return nullptr;
  return t->rfc3339();
}

// --offline: what the shard's WAL added; null for a backup of a running server.
nlohmann::ordered_json wal_json(const ShardReport& r) {
  if (!r.from_disk) return nullptr;
  const auto& d = *r.from_disk;
  return {
      {"segments", d.wal_segments},
      {"points", d.wal_points},
      {"tsm_file", d.wal_tsm_file.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(d.wal_tsm_file)},
      {"deletes", d.wal_deletes},
      {"tail_bytes_dropped", d.wal_tail_bytes},
      {"left_out", d.left_out},
      {"deletions_applied", d.deletions_applied}};
}

nlohmann::ordered_json losses_json(const ShardReport& r) {
  auto a = nlohmann::ordered_json::array();
  for (const auto& e : r.losses) a.push_back(cli::error_json(e));
  return a;
}

}  // namespace

nlohmann::ordered_json to_json(const Summary& s) {
  const Options& o = s.options;
  nlohmann::ordered_json shards = nlohmann::ordered_json::array();
  for (const auto& r : s.shards)
    shards.push_back({{"database", r.database},
                      {"retention_policy", r.retention_policy},
                      {"shard", r.shard_id},
                      {"status", to_string(r.status)},
                      {"file", r.file.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.file)},
                      {"tar_bytes", r.tar_bytes},
                      {"file_bytes", r.file_bytes},
                      {"received_bytes", r.received_bytes},
                      {"reused_from",
                       r.reused_from.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.reused_from)},
                      {"points", r.points ? nlohmann::ordered_json(*r.points) : nlohmann::ordered_json(nullptr)},
                      {"error", r.error ? cli::error_json(*r.error) : nlohmann::ordered_json(nullptr)},
                      {"wal", wal_json(r)},
                      {"losses", losses_json(r)},
                      {"points_lost", r.points_lost ? nlohmann::ordered_json(*r.points_lost) : nullptr}});
  nlohmann::ordered_json scopes = nlohmann::ordered_json::array();
  for (const auto& sc : s.scopes)
    scopes.push_back({{"database", sc.database},
                      {"retention_policy", sc.retention_policy},
                      {"shards", sc.shards},
                      {"written", sc.written},
                      {"reused", sc.reused},
                      {"skipped", sc.skipped},
                      {"file_bytes", sc.file_bytes}});
  auto opt = [](const auto& v) -> nlohmann::ordered_json {
    if (v) return *v;
    return nullptr;
  };
  return {
      {"backup_dir", s.snapshot.empty() ? o.dir.string() : s.snapshot},
      {"backup_path", s.snapshot.empty() ? o.dir.string() : s.snapshot},
      {"format", s.format},
      {"host", source_label(o)},
      {"offline", offline_dirs_json(o)},
      {"base", s.base.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s.base)},
      {"meta", {{"file", s.meta_file}, {"bytes", s.meta_bytes}}},
      {"manifest", s.manifest_file.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s.manifest_file)},
      {"compression", o.portable ? std::string(ifx::to_string(o.compression)) : std::string("none")},
      {"scope",
       {{"database", opt(o.database)},
        {"retention_policy", opt(o.retention_policy)},
        {"shard", opt(o.shard)},
        {"start", time_or_null(o.start)},
        {"end", time_or_null(o.end)},
        {"since", time_or_null(o.since)}}},
      {"repository", o.repo.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(o.repo.string())},
      {"snapshot", s.snapshot.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s.snapshot)},
      {"server_time", opt(s.server_time_ns)},
      {"shards", shards},
      {"scopes", scopes},
      {"removed", s.removed},
      {"notes", s.notes},
      {"complete", s.complete()},
      {"elapsed_ms", s.elapsed.count()}};
}

std::string to_text(const Summary& s) {
  const std::string source = s.options.offline
                                 ? fmt::format("the directories of a stopped server ({})", s.options.data_dir.string())
                                 : s.options.host;
  const std::string where = writes_stream(s.options) ? std::string("to stdout (a stream)")
                                                     : "in " + s.options.dir.string();
  std::string out = s.snapshot.empty() ? fmt::format("{} backup of {} {}", s.format, source, where)
                                       : fmt::format("snapshot of {} in {}", source, s.snapshot);
  if (!s.base.empty()) out += fmt::format(" (base {})", s.base);
  out += fmt::format("\nmeta store: {} ({} blob)\n", s.meta_file, cli::format_bytes(s.meta_bytes));
  if (!s.scopes.empty()) {
    cli::Table t({"database", "retention policy", "shards", "written", "reused", "skipped", "size"},
                 {false, false, true, true, true, true, true});
    for (const auto& sc : s.scopes)
      t.add_row({sc.database, sc.retention_policy, std::to_string(sc.shards), std::to_string(sc.written),
                 std::to_string(sc.reused), std::to_string(sc.skipped), cli::format_bytes(sc.file_bytes)});
    out += t.render();
  } else {
    out += "no shard in scope\n";
  }
  for (const auto& r : s.shards) {
    if (r.status == ShardStatus::adopted)
      out += fmt::format("shard {} ({}/{}): kept {} from the interrupted run\n", r.shard_id, r.database,
                         r.retention_policy, r.file);
    if (r.error)
      out += fmt::format("shard {} ({}/{}) {}: {}\n", r.shard_id, r.database, r.retention_policy, to_string(r.status),
                         r.error->describe());
    for (const auto& e : r.losses)
      out += fmt::format("shard {} ({}/{}) LOST: {}\n", r.shard_id, r.database, r.retention_policy, e.describe());
  }
  for (const auto& n : s.removed) out += fmt::format("removed {} (left by the interrupted run)\n", n);
  for (const auto& n : s.notes) out += "note: " + n + "\n";
  if (!s.manifest_file.empty()) out += fmt::format("manifest: {}\n", s.manifest_file);
  out += s.complete() ? fmt::format("backup complete: {} shard{}, {:.1f} s\n", s.shards.size(),
                                    s.shards.size() == 1 ? "" : "s", s.elapsed.count() / 1000.0)
                      : "backup PARTIAL: shards were skipped or data lost (listed above; exit code 3)\n";
  return out;
}

}  // namespace ifx::backup
