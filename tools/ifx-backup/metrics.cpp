// --metrics FILE: what a run did, for node_exporter's textfile collector (the series are listed
// in docs/nightly.md). Written after a failure too, with success 0 and the time it took, so
// that a night that failed is seen as one, not as a file gone quiet.
#include "common/metrics.hpp"
#include "ifx-backup/backup.hpp"

namespace ifx::backup {

void write_metrics(const std::filesystem::path& file, const Options& options, const Result<Summary>& outcome,
                   std::chrono::duration<double> elapsed) {
  const bool in_repository = !options.repo.empty();
  const PrometheusLabels labels = cli::metric_labels(in_repository ? options.repo : options.dir, source_label(options));
  // A partial backup (-skip-errors left shards out) is not a success: the last success stays.
  const bool success = outcome && outcome->exit_code() == 0;
  PrometheusTextfile metrics;
  cli::set_last_success(metrics, file, "ifx-backup", "ifxkit_backup_last_success_timestamp_seconds",
                        "When the last complete backup ended (Unix seconds); a failed run leaves it as it was.", labels,
                        success ? std::optional(cli::unix_seconds_now()) : std::nullopt);
  metrics.set_gauge("ifxkit_backup_success", "1 when the last backup completed with every shard, else 0.", labels,
                    success ? 1 : 0);
  metrics.set_gauge("ifxkit_backup_duration_seconds", "How long the last backup ran, failed or not.", labels,
                    elapsed.count());
  if (outcome) {
    std::uint64_t received = 0, written = 0, reused = 0, written_shards = 0, reused_shards = 0, skipped_shards = 0;
    for (const auto& r : outcome->shards) {
      received += r.received_bytes;
      if (r.status == ShardStatus::written || r.status == ShardStatus::adopted)
        written += r.file_bytes, ++written_shards;
      if (r.status == ShardStatus::reused) reused += r.file_bytes, ++reused_shards;
      if (r.status == ShardStatus::skipped) ++skipped_shards;
    }
    // One gauge per kind of bytes and per shard status, beside the labels of every series.
    auto set = [&](const char* name, const char* help, const char* label, const char* value, std::uint64_t n) {
      PrometheusLabels l = labels;
      l[label] = value;
      metrics.set_gauge(name, help, l, static_cast<double>(n));
    };
    constexpr const char* kBytes = "ifxkit_backup_bytes";
    constexpr const char* kBytesHelp =
        "Bytes of the last backup's shards: received from the server, written into archives, reused (archives "
        "shared with an earlier snapshot).";
    set(kBytes, kBytesHelp, "kind", "received", received);
    set(kBytes, kBytesHelp, "kind", "written", written);
    set(kBytes, kBytesHelp, "kind", "reused", reused);
    constexpr const char* kShards = "ifxkit_backup_shards";
    constexpr const char* kShardsHelp = "Shards of the last backup by what happened to them.";
    set(kShards, kShardsHelp, "status", "written", written_shards);
    set(kShards, kShardsHelp, "status", "reused", reused_shards);
    set(kShards, kShardsHelp, "status", "skipped", skipped_shards);
    if (in_repository) {
      if (auto repo = Repository::open(options.repo, false))
        cli::set_repository_metrics(metrics, labels, "ifx-backup", repository_usage(repo->snapshots()));
    }
  }
  cli::write_metrics(metrics, file, "ifx-backup");
}

}  // namespace ifx::backup
