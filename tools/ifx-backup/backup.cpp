// ifx-backup's operation: meta store first (docs/FORMATS.md §1.9), the shard list decided before any
// file is written, then the shards in parallel (one connection per worker), each checked, and
// for a portable backup the manifest last (§3.1) with the scope and SHA-256 extra keys.
#include "ifx-backup/backup.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/version.hpp"
#include "ifx-backup/steps.hpp"
#include "ifx/format/backup/backup_stream.hpp"
#include "ifx/format/backup/backup_writer.hpp"
#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/io/scratch_directory.hpp"
#include "ifx/format/backup/repository.hpp"
#include "ifx/format/text/rfc3339.hpp"
#include "ifx/format/meta/meta_envelope.hpp"
#include "ifx/format/shard/shard_files.hpp"

namespace ifx::backup {
namespace fs = std::filesystem;
using detail::PlannedShard;

std::string_view to_string(ShardStatus s) {
  switch (s) {
    case ShardStatus::written:
      return "written";
    case ShardStatus::adopted:
      return "adopted";
    case ShardStatus::reused:
      return "reused";
    case ShardStatus::skipped:
      return "skipped";
    case ShardStatus::failed:
      return "failed";
  }
  return "failed";
}

bool writes_stream(const Options& o) { return o.dir == "-"; }

std::string source_label(const Options& o) { return o.offline ? "offline:" + o.data_dir.string() : o.host; }

nlohmann::ordered_json offline_dirs_json(const Options& o) {
  using json = nlohmann::ordered_json;
  if (!o.offline) return nullptr;
  return {{"metadir", o.meta_dir.string()},
          {"datadir", o.data_dir.string()},
          {"waldir", o.wal_dir.empty() ? json(nullptr) : json(o.wal_dir.string())}};
}

bool in_backup(ShardStatus s) {
  return s == ShardStatus::written || s == ShardStatus::adopted || s == ShardStatus::reused;
}

bool Summary::complete() const {
  return std::all_of(shards.begin(), shards.end(),
                     [](const ShardReport& r) { return in_backup(r.status) && r.losses.empty(); });
}

int Summary::exit_code() const {
  if (complete()) return 0;
  bool failed = std::any_of(shards.begin(), shards.end(),
                            [](const ShardReport& r) { return r.status == ShardStatus::failed; });
  return failed ? 1 : 3;
}

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kNotStarted = "not fetched: the backup stopped at an earlier failure";

std::chrono::milliseconds since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
}

std::int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

BackupScope scope_of(const Options& o, const std::vector<PlannedShard>& plan) {
  BackupScope s;
  s.database = o.database;
  s.retention_policy = o.retention_policy;
  if (o.shard) {
    s.shard = o.shard;
    if (!plan.empty()) {  // the meta store's answer, so ifx-verify knows the shard's db/rp
      s.database = plan.front().database;
      s.retention_policy = plan.front().retention_policy;
    }
  }
  if (o.start) s.start_ns = o.start->unix_ns;
  if (o.end) s.end_ns = o.end->unix_ns;
  if (o.since) s.since_ns = o.since->unix_ns;
  return s;
}

int compress_threads(const Options& o) {
  if (o.compress_threads > 0) return o.compress_threads;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<int>(std::max(1u, cores / std::max(1u, o.jobs)));
}

// Runs the jobs on `jobs` workers; the calling thread reports progress (every 250 ms and after
// each shard). After a failure without -skip-errors no new shard is started.
std::vector<ShardReport> run_jobs(const Options& o, const std::vector<PlannedShard>& plan,
                                  const detail::Destination& destination,
                                  const std::optional<net::SnapshotClient>& client,
                                  const detail::OfflineSource* offline, const fs::path& scratch_root,
                                  const ProgressCallback& progress, Clock::time_point t0) {
  std::vector<ShardReport> reports(plan.size());
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::size_t> finished;
  std::size_t done = 0;

  auto worker = [&] {
    detail::JobContext ctx{o, client, offline, destination, scratch_root, detail::keep_range(o), received};
    for (std::size_t i; !stop && (i = next++) < plan.size();) {
      reports[i] = detail::run_shard_job(ctx, plan[i]);
      if (reports[i].status == ShardStatus::failed) stop = true;
      std::lock_guard lock(m);
      finished.push_back(i);
      cv.notify_one();
    }
    std::lock_guard lock(m);
    ++done;
    cv.notify_one();
  };
  const unsigned workers = static_cast<unsigned>(std::min<std::size_t>(o.jobs, std::max<std::size_t>(plan.size(), 1)));
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < workers; ++i) pool.emplace_back(worker);

  Progress p;
  p.shards_total = plan.size();
  std::unique_lock lock(m);
  while (true) {
    cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return !finished.empty() || done == workers; });
    while (!finished.empty()) {
      const std::size_t i = finished.front();
      finished.pop_front();
      ++p.shards_done;
      p.finished = &reports[i];
      p.bytes = received;
      p.elapsed = since(t0);
      lock.unlock();
      if (progress) progress(p);
      lock.lock();
    }
    if (done == workers) break;
    p.finished = nullptr;
    p.bytes = received;
    p.elapsed = since(t0);
    lock.unlock();
    if (progress) progress(p);
    lock.lock();
  }
  lock.unlock();
  for (auto& t : pool) t.join();
  // Shards never started after a failure: still "failed" with no error; name why.
  for (std::size_t i = 0; i < plan.size(); ++i)
    if (reports[i].database.empty()) {
      reports[i].database = plan[i].database;
      reports[i].retention_policy = plan[i].retention_policy;
      reports[i].shard_id = plan[i].shard_id;
      reports[i].status = ShardStatus::failed;
      reports[i].error = Error{ErrorCode::io, kNotStarted, {}, {}, {}};
    }
  return reports;
}

// The error to report: the first shard that really failed (not one left unstarted after it).
Error first_failure(const std::vector<ShardReport>& reports) {
  const ShardReport* unstarted = nullptr;
  for (const auto& r : reports) {
    if (r.status != ShardStatus::failed || !r.error) continue;
    if (r.error->message != kNotStarted) return *r.error;
    if (!unstarted) unstarted = &r;
  }
  return unstarted ? *unstarted->error : Error{ErrorCode::io, "a shard failed", {}, {}, {}};
}

nlohmann::ordered_json skipped_json(const std::vector<ShardReport>& reports) {
  auto a = nlohmann::ordered_json::array();
  for (const auto& r : reports)
    if (r.status == ShardStatus::skipped)
      a.push_back({{"database", r.database},
                   {"policy", r.retention_policy},
                   {"shardID", r.shard_id},
                   {"error", r.error ? r.error->describe() : ""}});
  return a;
}

// --offline: what the WAL added and what the directories held that a backup leaves out, once
// for the whole backup.
void add_offline_notes(Summary& s) {
  std::uint64_t points = 0, shards = 0, tail = 0, tail_shards = 0, deletes = 0, rewritten = 0;
  std::set<std::string> left_out;
  for (const auto& r : s.shards) {
    if (!r.from_disk) continue;
    const auto& d = *r.from_disk;
    if (d.wal_points > 0) points += d.wal_points, ++shards;
    if (d.wal_tail_bytes > 0) tail += d.wal_tail_bytes, ++tail_shards;
    deletes += d.wal_deletes;
    rewritten += d.deletions_applied ? 1 : 0;
    left_out.insert(d.left_out.begin(), d.left_out.end());
  }
  s.notes.push_back(shards == 0 ? std::string("the WAL held no point that was not in a TSM file already")
                                : fmt::format("{} point{} from the WAL of {} shard{} (written to TSM files by no "
                                              "one yet) are in this backup, each shard's in a new TSM file that "
                                              "wins over its older ones{}",
                                              points, points == 1 ? "" : "s", shards, shards == 1 ? "" : "s",
                                              deletes ? fmt::format("; {} deleted ranges applied", deletes) : ""));
  if (rewritten > 0)
    s.notes.push_back(
        fmt::format("{} shard{} had deleted points (tombstones): written as fresh TSM files without "
                    "them, because a restore by influxd drops tombstone files and would bring them back",
                    rewritten, rewritten == 1 ? "" : "s"));
  if (tail > 0)
    s.notes.push_back(
        fmt::format("{} byte{} at the end of the WAL of {} shard{} held no complete entry (a write cut "
                    "short by the stop, never acknowledged) and were dropped, as influxd drops them",
                    tail, tail == 1 ? "" : "s", tail_shards, tail_shards == 1 ? "" : "s"));
  if (!left_out.empty())
    s.notes.push_back(
        fmt::format("left out of every shard, as influxd's own backup leaves them (the server "
                    "rebuilds them): {}",
                    fmt::join(left_out, ", ")));
}

// The first contact fails fast where waiting cannot help: nothing listens there, the name does
// not resolve, or it is the HTTP port. Later failures (a restarting server) are retried.
Result<meta::LegacyMeta> fetch_meta(net::SnapshotClient& client, const net::RetryPolicy& retry) {
  auto first = client.backup_meta();
  if (first) return first;
  const ErrorCode code = first.error().code;
  if (code == ErrorCode::net_refused || code == ErrorCode::net_unreachable || retry.attempts <= 1) return first;
  net::RetryPolicy rest = retry;
  rest.attempts = retry.attempts - 1;
  return net::with_retries<meta::LegacyMeta>(rest, [&] { return client.backup_meta(); });
}

// The backup into options.dir; with `repo`, a snapshot of that repository being written there.
Result<Summary> run_into(const Options& given, Repository* repo, const ProgressCallback& progress) {
  const auto t0 = Clock::now();
  Options options = given;
  if (auto r = detail::check_options(options); !r) return std::unexpected(r.error());
  if (!repo)
    if (auto r = detail::check_target_directory(options); !r) return std::unexpected(r.error());
  std::optional<net::SnapshotClient> client;
  std::optional<detail::OfflineSource> offline;
  meta::LegacyMeta legacy_meta;
  Result<meta::MetaData> meta = meta::MetaData{};
  Result<std::vector<PlannedShard>> plan;
  if (options.offline) {
    auto source = detail::open_offline(options);
    if (!source) return std::unexpected(source.error());
    offline.emplace(std::move(*source));
    legacy_meta.blob = offline->meta_blob;
    legacy_meta.node_json = "null\n";  // what the snapshotter of OSS sends (§1.6.1)
    meta = offline->meta;
    plan = detail::plan_shards(options, offline->source(), *meta);
  } else {
    auto c = net::SnapshotClient::create(options.host, options.client);
    if (!c) return std::unexpected(c.error());
    client.emplace(std::move(*c));
    // §1.9: the meta store first; the shard list is decided before anything is written, so an
    // unknown database leaves no file behind (influxd leaves a meta and an empty manifest).
    auto fetched = fetch_meta(*client, options.retry);
    if (!fetched) return std::unexpected(fetched.error());
    legacy_meta = std::move(*fetched);
    meta = meta::decode_meta_data(legacy_meta.blob);
    if (!meta) {
      Error e = std::move(meta.error());
      e.message = fmt::format("the meta store received from {} does not decode: {}", client->host().text(), e.message);
      return std::unexpected(std::move(e));
    }
    plan = detail::plan_shards(options, detail::server_shards(*client), *meta);
  }
  if (!plan) return std::unexpected(plan.error());

  Summary summary;
  summary.options = options;
  summary.format = options.portable ? "portable" : "legacy";
  summary.meta_bytes = legacy_meta.blob.size();
  const fs::path scratch_root = options.scratch_root.empty() ? default_scratch_root() : options.scratch_root;

  BackupWriterOptions wo;
  wo.format = options.portable ? BackupFormat::Portable : BackupFormat::Legacy;
  wo.compression = options.compression;
  wo.level = options.compress_level;
  wo.threads = compress_threads(options);
  wo.created_by = "ifx-backup " + cli::version_text();
  if (options.portable) {
    if (options.resume) {
      auto b = detail::find_resumable_base(options.dir);
      if (!b) return std::unexpected(b.error());
      wo.base = *b;
      if (wo.base.empty())
        summary.notes.push_back(
            fmt::format("--resume: {} held no interrupted backup (the first run wrote nothing); "
                        "this is a complete new one",
                        options.dir.string()));
    }
    if (wo.base.empty()) wo.base = portable_base_name(options.now_ns.value_or(wall_clock_ns()));
    summary.base = wo.base;
  }
  // DIR "-": the backup goes to stdout as a stream (docs/FORMATS.md §3.13), its files made in
  // scratch space one at a time (the shards in flight) and removed once they are in the stream.
  std::optional<ScratchDirectory> stream_scratch;
  Result<std::unique_ptr<BackupWriter>> writer = std::unique_ptr<BackupWriter>();
  if (writes_stream(options)) {
    auto scratch = ScratchDirectory::create(scratch_root, "ifx-stream");
    if (!scratch) return std::unexpected(scratch.error());
    stream_scratch.emplace(std::move(*scratch));
    writer = create_streaming_backup_writer(stream_scratch->path() / "backup", wo, STDOUT_FILENO, "stdout");
  } else {
    writer = create_backup_writer(options.dir, wo);
  }
  if (!writer) return std::unexpected(writer.error());
  detail::Destination destination{**writer, options.resume};
  if (options.resume) {
    std::set<std::uint64_t> planned;
    for (const auto& p : *plan) planned.insert(p.shard_id);
    summary.removed = detail::clean_resumed_base(options.dir, wo.base, [&](const PortableFileName& name) {
      return planned.count(name.shard_id) && name.compression == options.compression;
    });
  }
  // §2.3: a legacy meta.NN is the type-1 stream verbatim, node JSON included.
  auto meta_file = (*writer)->write_meta(legacy_meta.blob, legacy_meta.node_json);
  if (!meta_file) return std::unexpected(meta_file.error());
  summary.meta_file = *meta_file;

  detail::ReuseOutcome reuse;
  reuse.fetch.assign(plan->size(), true);
  std::atomic<std::uint64_t> probe_bytes{0};
  if (repo) reuse = detail::reuse_unchanged(options, *repo, *meta, *plan, *client, **writer, probe_bytes);
  summary.server_time_ns = reuse.server_time_ns;
  for (auto& n : reuse.notes) summary.notes.push_back(std::move(n));
  std::vector<PlannedShard> to_fetch;
  for (std::size_t i = 0; i < plan->size(); ++i)
    if (reuse.fetch[i]) to_fetch.push_back((*plan)[i]);
  auto fetched = run_jobs(options, to_fetch, destination, client, offline ? &*offline : nullptr, scratch_root, progress,
                          t0);
  for (std::size_t i = 0, f = 0; i < plan->size(); ++i)
    summary.shards.push_back(reuse.fetch[i] ? std::move(fetched[f++]) : std::move(reuse.reports[i]));
  summary.scopes = detail::summarize_scopes(summary.shards);

  if (std::any_of(summary.shards.begin(), summary.shards.end(),
                  [](const ShardReport& r) { return r.status == ShardStatus::failed; })) {
    Error e = first_failure(summary.shards);
    std::size_t good = std::count_if(summary.shards.begin(), summary.shards.end(),
                                     [](const ShardReport& r) { return in_backup(r.status); });
    e.message += options.portable ? fmt::format(
                                        ". The backup in {} is incomplete ({} of {} shards written, no manifest): run "
                                        "the same command with --resume to keep them and fetch the rest, or "
                                        "{}",
                                        options.dir.string(), good, summary.shards.size(),
                                        options.offline ? "--skip-errors to keep what can be read of this shard "
                                                          "and list what was lost"
                                                        : "-skip-errors to leave this shard out")
                                  : fmt::format(
                                        ". The legacy backup in {} is incomplete ({} of {} shards written); run it "
                                        "again, or with -skip-errors to leave this shard out",
                                        options.dir.string(), good, summary.shards.size());
    return std::unexpected(std::move(e));
  }

  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  // The server the backup came from: listings, and the labels of ifx-prune's and ifx-verify's
  // metrics (influxd's restore ignores the key).
  extra["host"] = source_label(options);
  if (options.offline) extra["offline"] = offline_dirs_json(options);
  if (auto skipped = skipped_json(summary.shards); !skipped.empty()) extra["skipped"] = std::move(skipped);
  if (summary.server_time_ns) extra["server_time"] = *summary.server_time_ns;
  auto manifest = (*writer)->finish(scope_of(options, *plan), extra);
  if (!manifest) return std::unexpected(manifest.error());
  summary.manifest_file = *manifest;

  if (!options.portable && !options.database && !options.shard)
    summary.notes.push_back(
        "legacy backup without -db: it holds the meta store only (databases, retention "
        "policies, users), no shard data; add -db NAME, or use -portable for every database");
  if (options.start || options.end)
    summary.notes.push_back(
        "-start/-end: every shard holds exactly the points in range (cut at the bounds, "
        "deletions applied), unlike influxd's export which keeps whole blocks");
  if (offline) {
    for (const auto& n : offline->notes) summary.notes.push_back(n);
    add_offline_notes(summary);
  } else {
    summary.notes.push_back(
        "each shard holds what its snapshot held: influxd writes its cache (the WAL) to TSM "
        "first, so points written after that moment are not in this backup");
  }
  summary.elapsed = since(t0);
  return summary;
}

std::string lock_holder() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("ifx-backup (pid {} on {}, since {})", ::getpid(), host,
                     text::format_rfc3339_nano(wall_clock_ns()));
}

Result<Summary> run_in_repository(const Options& options, const ProgressCallback& progress) {
  if (!options.dir.empty())
    return fail(ErrorCode::usage, "--repo writes a snapshot into the repository: give no backup directory beside it");
  if (!options.portable) return fail(ErrorCode::usage, "--repo keeps portable snapshots: add -portable");
  if (options.offline)
    return fail(ErrorCode::usage,
                "--repo shares unchanged shards, which only a running server can prove: --offline writes a "
                "backup directory");
  if (options.since || options.start || options.end)
    return fail(ErrorCode::usage,
                "--repo snapshots hold whole shards (unchanged ones are shared, so each is complete): "
                "-since/-start/-end do not apply");
  auto opened = Repository::open(options.repo, true);
  if (!opened) return std::unexpected(opened.error());
  auto lock = RepositoryLock::acquire(options.repo, lock_holder(), options.lock_wait);
  if (!lock) return std::unexpected(lock.error());
  auto repo = Repository::open(options.repo, false);  // as it is now that no one else writes it
  if (!repo) return std::unexpected(repo.error());

  std::vector<std::string> notes;
  if (!lock->previous_holder().empty())
    notes.push_back(fmt::format("took over the repository's lock from {}, which ended without releasing it",
                                lock->previous_holder()));
  auto repointed = repo->repoint_latest();  // a run killed between publishing and repointing
  if (!repointed) return std::unexpected(repointed.error());
  if (*repointed) notes.push_back(**repointed);
  Options o = options;
  o.repo.clear();
  std::string base;
  if (options.resume && !repo->pending().empty()) {
    base = repo->pending().back();
  } else {
    // Interrupted snapshots nobody resumes: the lock says no run is writing them any more.
    for (const auto& stale : repo->pending()) {
      std::error_code ec;
      fs::remove_all(repo->pending_dir(stale), ec);
      notes.push_back(fmt::format("removed the interrupted snapshot {} (--resume continues one instead)",
                                  repo->pending_dir(stale).filename().string()));
    }
    base = repo->new_base(options.now_ns.value_or(wall_clock_ns()));
    o.resume = false;
  }
  o.dir = repo->pending_dir(base);
  o.now_ns = *parse_portable_base_time(base);
  auto summary = run_into(o, &*repo, progress);
  if (!summary) return summary;
  auto snapshot = repo->publish(base);
  if (!snapshot) return std::unexpected(snapshot.error());
  summary->options = options;
  summary->snapshot = snapshot->dir.string();
  summary->notes.insert(summary->notes.begin(), notes.begin(), notes.end());
  return summary;
}

}  // namespace

Result<Summary> run(const Options& options, const ProgressCallback& progress) {
  if (!options.repo.empty()) return run_in_repository(options, progress);
  return run_into(options, nullptr, progress);
}

}  // namespace ifx::backup
