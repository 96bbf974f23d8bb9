// -portable / -online into a running influxd (docs/FORMATS.md §1.9: type 6, then one type 7 per
// shard), with what influxd's own restore lacks: the target checked before anything changes,
// every file of a shard applied, the data proven queryable, and a rollback. The last two need
// the HTTP API; without it (not found at the default address) the restore still runs over the
// RPC alone, as influxd's does, and says what it could not do.
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "ifx-restore/stage.hpp"
#include "ifx-restore/steps.hpp"
#include "ifx/format/io/file_size.hpp"
#include "ifx/format/meta/meta_store.hpp"
#include "common/scratch_budget.hpp"
#include "ifx/format/io/scratch_directory.hpp"
#include "ifx/format/shard/shard_files.hpp"
#include "ifx/format/text/influxql.hpp"
#include "ifx/net/snapshot/snapshot_client.hpp"

namespace ifx::restore {
namespace fs = std::filesystem;
namespace {

// --timeout applies to the RPC as well: a stalled upload then fails (and is retried, then
// rolled back) in bounded time instead of after 120 s per attempt.
net::ClientOptions client_options(const Options& o) {
  net::ClientOptions c;
  if (o.net_timeout) {
    c.read_timeout = *o.net_timeout;
    c.connect_timeout = std::min(c.connect_timeout, *o.net_timeout);
  }
  return c;
}

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

// -newduration: the restored RPs get the new duration in the blob the server imports.
Result<std::string> meta_blob_for_import(const Options& o, const RestorePlan& plan) {
  if (!o.new_duration_ns) return plan.set.meta_blob;
  meta::MetaData m = plan.set.meta;
  for (auto& db : m.databases) {
    const DatabasePlan* dp = find_database_plan(plan, db.name);
    if (!dp) continue;
    for (auto& rp : db.retention_policies)
      for (const auto& r : dp->retention_policies)
        if (r.source == rp.name) {
          if (*o.new_duration_ns != 0 && *o.new_duration_ns < rp.shard_group_duration_ns)
            return fail(ErrorCode::usage,
                        fmt::format("-newduration {} ns is shorter than the shard group duration of \"{}\" "
                                    "({} ns); InfluxDB refuses such a retention policy",
                                    *o.new_duration_ns, rp.name, rp.shard_group_duration_ns));
          rp.duration_ns = *o.new_duration_ns;
        }
  }
  return meta::encode_meta_data(m);
}

// A file read in chunks as the upload's byte source.
class FileSource {
 public:
  explicit FileSource(const fs::path& p) : path_(p), f_(std::fopen(p.c_str(), "rb")) {}
  ~FileSource() {
    if (f_) std::fclose(f_);
  }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  bool ok() const { return f_ != nullptr; }
  void rewind() {
    if (f_) std::rewind(f_);
  }
  net::ChunkSource source() {
    return [this](std::span<std::uint8_t> out) -> Result<std::size_t> {
      std::size_t n = std::fread(out.data(), 1, out.size(), f_);
      if (n == 0 && std::ferror(f_)) return fail(ErrorCode::io, fmt::format("cannot read {}", path_.string()));
      return n;
    };
  }

 private:
  fs::path path_;
  std::FILE* f_;
};

// Drops the databases this run created (those absent before it and present now).
// A rollback comes right after a failure, when the server may still be busy with it: influxd's
// DROP DATABASE waits for a shard whose upload handler is stuck on a stalled connection, and a
// restarting server refuses connections for a moment. Transport failures are therefore retried
// for a bounded time (0.5 + 1 + 2 + 4 s) before the user is told to drop by hand.
template <class F>
auto with_rollback_retries(const Options& o, F&& step) -> decltype(step()) {
  auto r = step();
  auto wait = std::chrono::milliseconds(500);
  for (int attempt = 1; attempt < 5 && !r && r.error().code == ErrorCode::http_unreachable; ++attempt, wait *= 2) {
    say(o, fmt::format("rolling back: the server did not answer ({}); trying again in {} ms", r.error().message,
                       wait.count()));
    std::this_thread::sleep_for(wait);
    r = step();
  }
  return r;
}

// The databases the server has: over HTTP when there is one, else from the meta store the
// snapshotter serves (what `influxd backup` fetches first, §1.5).
Result<std::set<std::string>> server_databases(const Options& o, const InfluxHttp* http) {
  if (http) {
    auto names = http->databases();
    if (!names) return std::unexpected(names.error());
    return as_set(*names);
  }
  auto client = net::SnapshotClient::create(o.host, client_options(o));
  if (!client) return std::unexpected(client.error());
  auto served = client->backup_meta();
  if (!served) return std::unexpected(served.error());
  auto data = meta::decode_meta_data(served->blob);
  if (!data) return std::unexpected(data.error());
  std::set<std::string> out;
  for (const auto& d : data->databases) out.insert(d.name);
  return out;
}

std::string created_list(const std::set<std::string>& existed_before, const RestorePlan& plan) {
  std::string s;
  for (const auto& d : plan.databases)
    if (!existed_before.count(d.target)) s += (s.empty() ? "\"" : ", \"") + d.target + "\"";
  return s;
}

std::string roll_back(const Options& o, const InfluxHttp& http, const std::set<std::string>& existed_before,
                      const RestorePlan& plan, Report& report) {
  auto now = with_rollback_retries(o, [&] { return http.databases(); });
  if (!now)
    return fmt::format("could not check what to roll back ({}); drop these databases if they exist: {}",
                       now.error().message, created_list(existed_before, plan));
  std::vector<std::string> dropped, failed;
  for (const auto& d : plan.databases) {
    if (existed_before.count(d.target) || std::find(now->begin(), now->end(), d.target) == now->end()) continue;
    say(o, fmt::format("rolling back: dropping database \"{}\" which this run created", d.target));
    const std::string drop = "DROP DATABASE " + text::quote_influxql_ident(d.target);
    if (auto r = with_rollback_retries(o, [&] { return http.query(drop); }); r) dropped.push_back(d.target);
    else failed.push_back(d.target + " (" + r.error().message + ")");
  }
  for (auto& d : report.databases) d.created = false;
  std::string out;
  if (!dropped.empty())
    out += fmt::format("rolled back: dropped database(s) {} that this run created", fmt::join(dropped, ", "));
  if (!failed.empty())
    out += fmt::format("{}could not drop {}: drop them by hand", out.empty() ? "" : "; ", fmt::join(failed, ", "));
  if (out.empty()) out = "nothing on the server needed rolling back";
  return out;
}

// One shard: staged (decompressed, renamed, tombstones applied) and uploaded, with retries.
Result<ShardOutcome> stage_and_upload(const RestorePlan& plan, const ShardPlan& sp, const ShardTarget& t,
                                      net::SnapshotClient& client, const fs::path& scratch,
                                      const std::function<void(const std::string&)>& tell,
                                      const std::atomic<bool>& stop) {
  const ShardInBackup& s = plan.set.shards[sp.index];
  auto staged = stage_shard(plan.set, s, t, scratch);
  if (!staged) return std::unexpected(staged.error());
  tell(fmt::format("uploading shard {} → {} ({}/{}, {} archive(s), {} bytes)", s.shard_id, t.shard_id, t.database,
                   t.retention_policy, staged->archives, staged->bytes));
  FileSource file(staged->tar);
  if (!file.ok()) return fail(ErrorCode::io, fmt::format("cannot read the staged tar {}", staged->tar.string()));
  // Re-sending the whole tar is safe: the server overlays the same files again (§4.5).
  net::RetryPolicy retry;
  retry.attempts = 5;
  retry.on_retry = [&](int n, const Error& e, std::chrono::milliseconds wait) {
    tell(fmt::format("upload of shard {} failed (attempt {}: {}); retrying in {} ms", t.shard_id, n, e.message,
                     wait.count()));
  };
  auto sent = net::with_retries<std::uint64_t>(
      retry, [&] { return client.upload_shard(t.shard_id, file.source()); },
      [&]() -> Result<void> {
        // Another shard failed for good: the restore is over, do not keep retrying this one.
        if (stop) return fail(ErrorCode::cancelled, "stopped: another shard's upload failed");
        file.rewind();
        return {};
      });
  if (!sent) return std::unexpected(sent.error());
  ShardOutcome out;
  out.source_database = s.database;
  out.source_retention_policy = s.retention_policy;
  out.source_id = s.shard_id;
  out.database = t.database;
  out.retention_policy = t.retention_policy;
  out.id = t.shard_id;
  out.archives = staged->archives;
  out.tsm_files = staged->tsm_files;
  out.bytes = staged->bytes;
  out.tombstones = staged->tombstones;
  out.tombstones_applied = staged->tombstones_applied;
  out.status = "restored";
  return out;
}

// What staging a shard writes in scratch space, about: its tar (the manifest's size, or the file's
// for a plain legacy tar and where the manifest says nothing).
std::uint64_t staged_size_estimate(const BackupSet& set, const ShardInBackup& s) {
  std::uint64_t bytes = 0;
  for (const auto& a : s.archives) bytes += a.manifest_size.value_or(file_size_or_zero(set.dir / a.file_name));
  return bytes;
}

// Shards go up `o.jobs` at a time, one connection each. The server answers an upload only once it
// has written and reopened the shard (§4.5), so one connection leaves it idle while the client
// stages the next shard and the client idle while the server works; influxd's own restore gets
// its overlap by not waiting for that answer at all (and so never learns of a failure).
Result<void> upload_all(const Options& o, RestorePlan& plan, const net::ShardIdMap& ids, Report& report,
                        const fs::path& scratch) {
  struct Job {
    const ShardPlan* plan;
    ShardTarget target;
  };
  std::vector<Job> jobs;
  for (const auto& sp : plan.shards) {
    const ShardInBackup& s = plan.set.shards[sp.index];
    auto it = ids.find(s.shard_id);
    if (it == ids.end()) {
      report.notes.push_back(
          fmt::format("shard {} ({}/{}): the server's import did not map it to a new shard; "
                      "skipped",
                      s.shard_id, s.database, s.retention_policy));
      continue;
    }
    jobs.push_back({&sp, {sp.target_database, sp.target_retention_policy, it->second}});
  }

  std::mutex mu;  // guards everything below it, and the progress output
  std::size_t next = 0, done = 0;
  std::optional<Error> failure;   // the first one: the other workers stop after their current shard
  std::atomic<bool> stop{false};  // failure is set (read without the lock between retries)
  std::vector<std::optional<ShardOutcome>> outcomes(jobs.size());
  // The staged tars of the jobs running at once must fit in the scratch space together: a job
  // whose shard would not fit waits for the others' to be removed (-j 4 of large shards would
  // otherwise need four shards' worth of scratch space; a full disk would fail the restore).
  tools::ScratchBudget scratch_space = tools::ScratchBudget::for_directory(scratch);
  auto worker = [&]() {
    auto client = net::SnapshotClient::create(o.host, client_options(o));
    std::unique_lock lock(mu);
    if (!client) {
      if (!failure) failure = client.error();
      stop = true;
      return;
    }
    while (!failure && next < jobs.size()) {
      const std::size_t i = next++;
      lock.unlock();
      auto tell = [&](const std::string& line) {
        std::lock_guard g(mu);
        say(o, fmt::format("{} [{}/{}]", line, i + 1, jobs.size()));
      };
      const std::uint64_t need = staged_size_estimate(plan.set, plan.set.shards[jobs[i].plan->index]);
      if (!scratch_space.reserve(need, [&] { return stop.load(); })) {
        lock.lock();
        return;  // another shard failed for good
      }
      auto out = [&] {
        tools::ScratchBudget::Hold held(scratch_space, need);
        return stage_and_upload(plan, *jobs[i].plan, jobs[i].target, *client, scratch, tell, stop);
      }();
      lock.lock();
      if (!out) {
        if (!failure) failure = std::move(out.error());
        stop = true;
        return;
      }
      outcomes[i] = std::move(*out);
      ++done;
      if (o.after_shard_upload)
        if (auto r = o.after_shard_upload(done); !r && !failure) {
          failure = std::move(r.error());
          stop = true;
        }
    }
  };
  const std::size_t workers = std::clamp<std::size_t>(o.jobs, 1, std::max<std::size_t>(jobs.size(), 1));
  std::vector<std::thread> threads;
  for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (failure) return std::unexpected(std::move(*failure));

  for (auto& out : outcomes) {
    if (!out) continue;
    if (out->tombstones && !out->tombstones_applied)
      report.notes.push_back(
          fmt::format("shard {}: holds tombstones that this build cannot apply yet; influxd drops "
                      "them on upload, so points deleted before the backup are back",
                      out->source_id));
    report.shards.push_back(std::move(*out));
  }
  return {};
}

}  // namespace

Result<void> run_online(const Options& o, RestorePlan& plan, const InfluxHttp* http, Report& report) {
  auto before = server_databases(o, http);
  if (!before) return std::unexpected(before.error());
  const std::set<std::string> existed = std::move(*before);
  std::vector<std::string> clashes;
  for (const auto& d : plan.databases)
    if (existed.count(d.target)) clashes.push_back(d.target);
  if (!clashes.empty()) {
    std::string what = clashes.size() == 1
                           ? fmt::format("database \"{}\" already exists", clashes[0])
                           : fmt::format("databases \"{}\" already exist", fmt::join(clashes, "\", \""));
    std::string hint =
        o.new_retention_policy
            ? " (the server's meta import cannot add a retention policy to an existing database, docs/FORMATS.md §5.3)"
            : "";
    return fail(ErrorCode::target_exists,
                fmt::format("{} on {}{}: restore under another name with -newdb NAME, or write the backup's points "
                            "into it with --merge. Nothing was changed.",
                            what, http ? http->endpoint().url() : o.host, hint));
  }
  for (const auto& d : plan.databases) report.databases.push_back(planned_database(plan, d, false));
  if (o.dry_run) {
    record_planned_shards(plan, false, report);
    return {};
  }

  auto blob = meta_blob_for_import(o, plan);
  if (!blob) return std::unexpected(blob.error());
  auto client = net::SnapshotClient::create(o.host, client_options(o));
  if (!client) return std::unexpected(client.error());
  say(o, fmt::format("importing the meta store ({} database(s)) into {}", plan.databases.size(), o.host));
  const std::string rrp = o.new_retention_policy.value_or(o.retention_policy.value_or(""));
  auto ids = client->import_meta(*blob, o.database.value_or(""), o.new_database.value_or(""),
                                 o.retention_policy.value_or(""), rrp);
  auto failed_after_change = [&](const Error& e) {
    Error out = e;
    out.code = ErrorCode::restore_failed;
    if (http)
      out.message = fmt::format("{} [{}]; {}. Running the same command again starts over.", e.message, e.code,
                                roll_back(o, *http, existed, plan, report));
    else
      out.message = fmt::format(
          "{} [{}]; without the HTTP API nothing could be rolled back: drop {} (DROP DATABASE), "
          "then run the same command again (with --http URL a failure is rolled back)",
          e.message, e.code, created_list(existed, plan));
    return std::unexpected(std::move(out));
  };
  if (!ids) {
    if (ids.error().code == ErrorCode::meta_not_changed)  // someone created the database meanwhile
      return fail(ErrorCode::target_exists,
                  fmt::format("the server refused the meta import: {}. Nothing was changed.", ids.error().message));
    return failed_after_change(ids.error());  // a cut connection may still have committed it
  }
  for (auto& d : report.databases) d.created = true;

  auto scratch = ScratchDirectory::create(o.scratch_root.empty() ? default_scratch_root() : o.scratch_root,
                                          "ifx-restore");
  if (!scratch) return failed_after_change(scratch.error());
  if (auto r = upload_all(o, plan, *ids, report, scratch->path()); !r) return failed_after_change(r.error());
  if (!http) return {};  // --cqs, --users and --count need it: refused before this point
  if (auto r = wait_until_queryable(o, plan, *http, report, true); !r) return failed_after_change(r.error());
  if (o.cqs)
    if (auto r = restore_continuous_queries(o, plan, *http, report); !r) return failed_after_change(r.error());
  if (o.users)
    if (auto r = restore_user_grants(o, plan, *http, report); !r) return failed_after_change(r.error());
  return {};
}

}  // namespace ifx::restore
