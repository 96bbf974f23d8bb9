#include "ifx-inspect/repository_listing.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "common/human.hpp"
#include "common/json_output.hpp"
#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/backup/repository_usage.hpp"
#include "ifx/format/text/rfc3339.hpp"

namespace ifx::inspect {

bool RepositoryListing::ok() const {
  return std::none_of(snapshots.begin(), snapshots.end(), [](const SnapshotListing& s) { return s.error; });
}

namespace {

void describe_manifest(const PortableManifest& m, SnapshotListing& out) {
  if (auto it = m.extra.find("host"); it != m.extra.end() && it->is_string()) out.host = it->get<std::string>();
  if (auto scope = recorded_scope({portable_manifest_file(out.snapshot.base)}, {m})) out.scope = scope->scope;
  std::set<std::string> databases;
  std::set<std::tuple<std::string, std::string, std::uint64_t>> shards, reused;
  for (const auto& f : m.files) {
    databases.insert(f.database);
    shards.insert({f.database, f.policy, f.shard_id});
    if (f.extra.contains("reused_from")) reused.insert({f.database, f.policy, f.shard_id});
  }
  out.databases = databases.size();
  out.shards = shards.size();
  out.shards_reused = reused.size();
}

std::string scope_text(const std::optional<BackupScope>& scope) {
  if (!scope) return "-";
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : " ") + part; };
  if (scope->database) add("db " + *scope->database);
  if (scope->retention_policy) add("rp " + *scope->retention_policy);
  if (scope->shard) add(fmt::format("shard {}", *scope->shard));
  if (scope->start_ns || scope->end_ns || scope->since_ns) add("time range");
  return out.empty() ? "all" : out;
}

}  // namespace

Result<RepositoryListing> list_repository(const std::filesystem::path& dir) {
  auto repo = Repository::open(dir, false);
  if (!repo) return std::unexpected(repo.error());
  RepositoryListing listing;
  listing.repository = dir;
  listing.latest = repo->latest_target();
  listing.pending = repo->pending();
  listing.removing = repo->removing();
  const RepositoryUsage usage = repository_usage(repo->snapshots());
  listing.logical_bytes = usage.logical_bytes;
  listing.on_disk_bytes = usage.on_disk_bytes;
  for (std::size_t i = 0; i < repo->snapshots().size(); ++i) {
    SnapshotListing s;
    s.snapshot = repo->snapshots()[i];
    s.logical_bytes = usage.snapshots[i].logical_bytes;
    s.added_bytes = usage.snapshots[i].added_bytes;
    auto manifest = repo->manifest(s.snapshot);
    if (manifest) describe_manifest(**manifest, s);
    else s.error = manifest.error();
    listing.snapshots.push_back(std::move(s));
  }
  return listing;
}

nlohmann::ordered_json to_json(const RepositoryListing& l) {
  using json = nlohmann::ordered_json;
  json snapshots = json::array();
  for (const auto& s : l.snapshots)
    snapshots.push_back({{"snapshot", s.snapshot.base},
                         {"time", text::format_rfc3339_nano(s.snapshot.time_ns)},
                         {"host", s.host},
                         {"scope", s.scope ? scope_to_json(*s.scope) : json(nullptr)},
                         {"databases", s.databases},
                         {"shards", s.shards},
                         {"shards_written", s.shards - s.shards_reused},
                         {"shards_reused", s.shards_reused},
                         {"logical_bytes", s.logical_bytes},
                         {"added_bytes", s.added_bytes},
                         {"error", s.error ? cli::error_json(*s.error) : json(nullptr)}});
  return json{
      {"repository", l.repository.string()},
      {"backup_path", l.repository.string()},
      {"latest", l.latest ? json(*l.latest) : json(nullptr)},
      {"snapshots", snapshots},
      {"pending", l.pending},
      {"removing", l.removing},
      {"totals",
       {{"snapshots", l.snapshots.size()}, {"logical_bytes", l.logical_bytes}, {"on_disk_bytes", l.on_disk_bytes}}}};
}

std::string to_text(const RepositoryListing& l) {
  std::string out = fmt::format("Repository {}\n", l.repository.string());
  out += fmt::format("{:<18} {:<22} {:<12} {:>7} {:>8} {:>7} {:>11} {:>11}\n", "SNAPSHOT", "HOST", "SCOPE", "SHARDS",
                     "WRITTEN", "REUSED", "SIZE", "ADDED");
  for (const auto& s : l.snapshots) {
    if (s.error) {
      out += fmt::format("{:<18} unreadable manifest: {}\n", s.snapshot.base, s.error->describe());
      continue;
    }
    out += fmt::format("{:<18} {:<22} {:<12} {:>7} {:>8} {:>7} {:>11} {:>11}{}\n", s.snapshot.base,
                       s.host.empty() ? "-" : s.host, scope_text(s.scope), s.shards, s.shards - s.shards_reused,
                       s.shards_reused, cli::format_bytes(s.logical_bytes), cli::format_bytes(s.added_bytes),
                       l.latest == s.snapshot.base ? "  (latest)" : "");
  }
  for (const auto& p : l.pending) out += fmt::format("{}.pending: being written, or interrupted (--resume)\n", p);
  for (const auto& r : l.removing)
    out += fmt::format("{}.removing: an interrupted prune's (the next prune ends it)\n", r);
  const double ratio = l.on_disk_bytes ? static_cast<double>(l.logical_bytes) / static_cast<double>(l.on_disk_bytes)
                                       : 0;
  out += fmt::format("{} snapshot{}: {} logical, {} on disk ({:.1f}x shared by hard links)\n", l.snapshots.size(),
                     l.snapshots.size() == 1 ? "" : "s", cli::format_bytes(l.logical_bytes),
                     cli::format_bytes(l.on_disk_bytes), ratio);
  return out;
}

}  // namespace ifx::inspect
