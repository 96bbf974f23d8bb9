#include "ifx-inspect/inspect.hpp"

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

}  // namespace

Result<Report> run(const Options& options) {
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
