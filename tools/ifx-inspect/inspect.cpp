#include "ifx-inspect/inspect.hpp"

#include "ifx/format/backup/backup_stream.hpp"

#include <atomic>
#include <mutex>
#include <thread>

namespace ifx::inspect {

namespace {

bool selected(const Options& o, const std::string& db, const std::string& rp, std::uint64_t shard) {
  return (!o.database || *o.database == db) && (!o.retention_policy || *o.retention_policy == rp) &&
         (!o.shard || *o.shard == shard);
}

ShardResult read_shard(const Options& o, const BackupSet& set, const ShardInBackup& shard) {
  ShardResult r;
  if (!o.deep) {
    auto scan = scan_shard(set, shard);
    if (scan) r.scan = std::move(*scan);
    else r.error = std::move(scan.error());
    return r;
  }
  auto unpacked = UnpackedShard::unpack(set, shard, o.scratch_root.empty() ? default_scratch_root() : o.scratch_root);
  if (!unpacked) {
    r.error = std::move(unpacked.error());
    return r;
  }
  r.scan = unpacked->scan();
  auto stats = measure_shard(*unpacked);
  if (stats) r.stats = std::move(*stats);
  else r.error = std::move(stats.error());
  return r;
}

// A backup stream (docs/FORMATS.md §3.13, "-" or a saved file): read once, each selected shard's
// archive unpacked from its spooled copy as it comes (one at a time), the rest only hashed.
Result<Report> run_on_stream(const Options& options) {
  const std::filesystem::path scratch = options.scratch_root.empty() ? default_scratch_root() : options.scratch_root;
  std::map<std::uint64_t, ShardResult> shards;
  BackupStreamVisitor visitor;
  visitor.wanted = [&](const ShardExpectation& where) {
    return !where.db || selected(options, *where.db, *where.rp, *where.shard_id);
  };
  visitor.on_shard_archive = [&](const std::string&, const ShardExpectation& where,
                                 const std::filesystem::path& path) -> std::optional<std::uint64_t> {
    ShardResult& r = shards[*where.shard_id];
    auto unpacked = UnpackedShard::unpack_archives({path}, where, scratch);
    if (!unpacked) {
      r.error = std::move(unpacked.error());
      return std::nullopt;
    }
    r.scan = unpacked->scan();
    if (options.deep) {
      auto stats = measure_shard(*unpacked);
      if (stats) r.stats = std::move(*stats);
      else r.error = std::move(stats.error());
    }
    return r.scan->tar_bytes;
  };
  auto read = read_backup_stream(options.backup_dir, scratch, visitor);
  if (!read) return std::unexpected(std::move(read.error()));
  if (read->set.meta_file.empty() || read->set.manifest_files.empty()) {
    // Nothing to describe without the meta and the manifest: the first thing wrong says why.
    if (!read->defects.empty()) return std::unexpected(read->defects.front());
    return fail(ErrorCode::tar_truncated, read->stream + ": no backup in the stream");
  }
  Report report{options, std::move(read->set), {}, std::move(read->defects)};
  for (auto& [id, r] : shards) {
    const ShardInBackup* in = report.set.find_shard(id);
    if (in && !selected(options, in->database, in->retention_policy, id)) continue;
    if (r.error) report.errors.push_back(*r.error);
    report.shards[id] = std::move(r);
  }
  return report;
}

}  // namespace

Result<Report> run(const Options& options) {
  std::error_code ec;
  if (options.backup_dir == "-" || std::filesystem::is_regular_file(options.backup_dir, ec))
    return run_on_stream(options);
  auto set = open_backup_set(options.backup_dir);
  if (!set) return std::unexpected(std::move(set.error()));
  Report report{options, std::move(*set), {}, {}};
  report.errors = report.set.problems;

  std::vector<const ShardInBackup*> todo;
  for (const auto& s : report.set.shards)
    if (selected(options, s.database, s.retention_policy, s.shard_id)) todo.push_back(&s);

  std::vector<ShardResult> results(todo.size());
  unsigned jobs = options.jobs ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, std::max<std::size_t>(1, todo.size()));
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < todo.size();) results[i] = read_shard(options, report.set, *todo[i]);
  };
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < jobs; ++i) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();

  for (std::size_t i = 0; i < todo.size(); ++i) {
    if (results[i].error) report.errors.push_back(*results[i].error);
    report.shards[todo[i]->shard_id] = std::move(results[i]);
  }
  return report;
}

}  // namespace ifx::inspect
