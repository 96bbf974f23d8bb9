// --repo: a shard the server proves unchanged since the newest snapshot that holds it is not
// fetched again; the new snapshot shares that snapshot's archive (a hard link: the same bytes,
// the same SHA-256 and size in the new manifest).
//
// Why the test below is a proof and not a guess. Every run does, in this order:
//   (a) asks influxd for every shard whose cache holds points (SHOW STATS 'tsm1_cache'
//       memBytes) with Since = the end of time: an empty answer, but influxd's shard backup
//       first flushes the shard's cache into a TSM file, so the points it held are on disk, in
//       files older than T, from now on (a shard the next run would otherwise find changed);
//   (b) reads the server's clock, T (SHOW DIAGNOSTICS, to the nanosecond), and records it in the
//       manifest ("server_time");
//   (c) probes each shard it has an earlier archive of (below), then takes every other shard.
// So every file of a snapshot was on the server before that snapshot's T, and the snapshot took
// each shard after its T: whatever changes a shard later is written after T.
// Now let E be the newest snapshot holding a shard, T_E its recorded time, N_E the number of TSM
// files of its archive of the shard.
//  1. influxd changes a shard only by writing files: new points are flushed from the cache into
//     a new TSM file (the probe's backup flushes the cache first, so unflushed points become one
//     too), DELETE and DROP SERIES write tombstone files, a compaction writes new TSM files. Each
//     such file gets the server's time as its mtime: after T_E when it happens after E took the
//     shard.
//  2. The probe is influxd's own shard backup with Since = T_E: it answers every file of the
//     shard whose mtime is after T_E (pkg/tar SinceFilterTarFile, nanosecond mtimes). An answer
//     holding no entry means no file was written since E took the shard, up to the probe.
//  3. Files only disappear in a compaction (FileStore.Replace), which writes the files replacing
//     them, except when everything they held was deleted: then their tombstones go with them and
//     nothing new appears. The number of TSM files, read after every probe (SHOW STATS
//     'tsm1_filestore' numFiles, live) and equal to N_E, rules that out: with no file added since
//     T_E (2), an equal count means no file was removed either.
//  4. Hence the shard's files at the probe are E's files, byte for byte: sharing them is exact.
// Assumptions, each checked where it can be: the server's clock does not run backwards (T must
// be later than T_E, else the shard is fetched); it is the same server (its meta store's cluster
// ID and the shard's group bounds equal E's); E's archive is intact (checked when written, and
// ifx-verify checks its recorded SHA-256). A probe that fails, or an answer that is not an empty
// tar, means "changed": the shard is fetched. Writes that reach a shard between (a) and its
// fetch leave a file newer than T in the snapshot: the next run then fetches that shard once
// more, which costs time, never correctness.
#include <fmt/format.h>

#include <algorithm>

#include "ifx-backup/steps.hpp"
#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/io/link_or_copy.hpp"
#include "ifx/net/http/influx_http.hpp"
#include "ifx/format/io/file_size.hpp"
#include "ifx/format/meta/meta_store.hpp"
#include "ifx/format/parallel_for.hpp"

namespace ifx::backup::detail {
namespace fs = std::filesystem;
namespace {

std::optional<std::int64_t> int_key(const nlohmann::ordered_json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

bool same_group(const meta::MetaData& a, const meta::MetaData& b, std::uint64_t shard_id) {
  auto la = meta::find_shard(a, shard_id);
  auto lb = meta::find_shard(b, shard_id);
  return la && lb && la->database->name == lb->database->name &&
         la->retention_policy->name == lb->retention_policy->name &&
         la->shard_group->start_ns == lb->shard_group->start_ns && la->shard_group->end_ns == lb->shard_group->end_ns;
}

// The newest earlier archive of a planned shard, shared when its probe and file count agree.
struct Candidate {
  std::size_t plan_index = 0;
  SnapshotArchive earlier;
  std::int64_t server_time_ns = 0;  // T_E
  std::uint64_t tsm_files = 0;      // N_E
  std::string sha256;
};

// influxd's shard backup with Since: false when the answer is an empty tar (only zero blocks),
// true when it holds an entry or the request failed. The transfer stops at the first byte of an
// entry: a changed shard is fetched whole anyway.
bool written_since(net::SnapshotClient& client, std::uint64_t shard_id, std::int64_t since_ns,
                   std::atomic<std::uint64_t>& received) {
  bool entry_seen = false;
  auto n = client.backup_shard(shard_id, net::WireTime::from_unix_ns(since_ns),
                               [&](std::span<const std::uint8_t> bytes) -> Result<void> {
                                 received += bytes.size();
                                 if (std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; }))
                                   return {};
                                 entry_seen = true;
                                 return fail(ErrorCode::cancelled, "the shard has files written since");
                               });
  return !n || entry_seen;
}

}  // namespace

ReuseOutcome reuse_unchanged(const Options& o, Repository& repo, const meta::MetaData& meta,
                             const std::vector<PlannedShard>& plan, net::SnapshotClient& client, BackupWriter& writer,
                             std::atomic<std::uint64_t>& received) {
  ReuseOutcome out;
  out.fetch.assign(plan.size(), true);
  auto http = net::connect_influx_http(o.http_url, o.host, o.client.read_timeout);
  if (!http) {
    out.notes.push_back(
        fmt::format("every shard was fetched: proving a shard unchanged takes the server's HTTP "
                    "API ({}; --http URL names it)",
                    http.error().message));
    return out;
  }

  // The earlier archive of each shard that may be shared, when there is one.
  std::vector<std::optional<Candidate>> candidates(plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const PlannedShard& s = plan[i];
    auto earlier = repo.newest_archive_of(s.database, s.retention_policy, s.shard_id, o.compression);
    if (!earlier || !*earlier) continue;
    auto manifest = repo.manifest((*earlier)->snapshot);
    if (!manifest) continue;
    const auto server_time = int_key((*manifest)->extra, "server_time");
    const auto tsm_files = int_key((*earlier)->entry.extra, "tsm_files");
    const auto sha = (*earlier)->entry.extra.find("sha256");
    if (!server_time || !tsm_files || *tsm_files < 0 || sha == (*earlier)->entry.extra.end() || !sha->is_string())
      continue;
    auto then = repo.meta_store((*earlier)->snapshot);
    if (!then || (*then)->cluster_id != meta.cluster_id || !same_group(**then, meta, s.shard_id)) continue;
    std::string sha256 = sha->get<std::string>();  // before the entry it points into moves
    candidates[i] = Candidate{i, std::move(**earlier), *server_time, static_cast<std::uint64_t>(*tsm_files),
                              std::move(sha256)};
  }

  // (a) Every shard's cache flushed before T: the shards whose cache holds points (all of them
  // when the server does not say). A shard whose cache was empty when asked and is written to
  // before T keeps those points in its cache past T; they reach a file newer than T, in this
  // snapshot or the next, which then sees the shard changed and fetches it again: a cost, never
  // a wrong answer. Requests go out -j at a time (influxd serves each on its own connection).
  const auto cached = http->cache_bytes();
  auto holds_points = [&](std::uint64_t id) {
    if (!cached) return true;
    const auto it = cached->find(id);
    return it == cached->end() || it->second > 0;
  };
  std::vector<std::uint64_t> to_flush;
  for (const auto& s : plan)
    if (holds_points(s.shard_id)) to_flush.push_back(s.shard_id);
  parallel_for(to_flush.size(), o.jobs,
               [&](std::size_t i) { (void)written_since(client, to_flush[i], net::kExportMaxUnixNs, received); });

  // (b) T.
  auto now = http->server_time_ns();
  if (!now) {
    out.notes.push_back(
        fmt::format("every shard was fetched: the server's clock could not be read ({})", now.error().message));
    return out;
  }
  out.server_time_ns = *now;

  // (c) The probes, then the live file counts (point 3).
  std::size_t clock_behind = 0;
  std::vector<const Candidate*> probed;
  for (const auto& c : candidates) {
    if (!c) continue;
    if (c->server_time_ns >= *now) ++clock_behind;
    else probed.push_back(&*c);
  }
  std::vector<char> changed(probed.size(), 1);
  parallel_for(probed.size(), o.jobs, [&](std::size_t i) {
    changed[i] = written_since(client, plan[probed[i]->plan_index].shard_id, probed[i]->server_time_ns, received);
  });
  std::vector<const Candidate*> unchanged;
  for (std::size_t i = 0; i < probed.size(); ++i)
    if (!changed[i]) unchanged.push_back(probed[i]);
  if (clock_behind)
    out.notes.push_back(
        fmt::format("{} shard{} fetched because the server's clock reads earlier than when the "
                    "snapshot holding {} was made",
                    clock_behind, clock_behind == 1 ? " was" : "s were", clock_behind == 1 ? "it" : "them"));
  if (unchanged.empty()) return out;
  auto counts = http->tsm_file_counts();
  if (!counts) {
    out.notes.push_back(fmt::format("every shard was fetched: the server's file counts could not be read ({})",
                                    counts.error().message));
    return out;
  }

  bool copied = false;
  for (const Candidate* c : unchanged) {
    const PlannedShard& s = plan[c->plan_index];
    auto count = counts->find(s.shard_id);
    if (count == counts->end() || count->second != c->tsm_files) continue;
    const std::string name = writer.shard_file_name(s.database, s.retention_policy, s.shard_id);
    std::error_code ec;
    fs::remove(writer.dir() / name, ec);  // a resumed run's leftover is replaced by the shared one
    auto linked = link_or_copy(c->earlier.path, writer.dir() / name);
    if (!linked) {
      out.notes.push_back(fmt::format("shard {} was fetched: {}", s.shard_id, linked.error().describe()));
      continue;
    }
    copied = copied || *linked == LinkKind::copy;
    const auto tar_bytes = static_cast<std::uint64_t>(c->earlier.entry.size);
    if (auto r = writer.adopt_shard(
            s.database, s.retention_policy, s.shard_id, tar_bytes,
            {{"sha256", c->sha256}, {"tsm_files", c->tsm_files}, {"reused_from", c->earlier.snapshot.base}});
        !r) {
      fs::remove(writer.dir() / name, ec);
      out.notes.push_back(fmt::format("shard {} was fetched: {}", s.shard_id, r.error().describe()));
      continue;
    }
    ShardReport report;
    report.database = s.database;
    report.retention_policy = s.retention_policy;
    report.shard_id = s.shard_id;
    report.status = ShardStatus::reused;
    report.file = name;
    report.tar_bytes = tar_bytes;
    report.file_bytes = file_size_or_zero(writer.dir() / name);
    report.tsm_files = c->tsm_files;
    report.reused_from = c->earlier.snapshot.base;
    out.reports.emplace(c->plan_index, std::move(report));
    out.fetch[c->plan_index] = false;
  }
  if (copied)
    out.notes.push_back("the repository's file system cannot hard-link: unchanged archives were copied, not shared");
  return out;
}

}  // namespace ifx::backup::detail
