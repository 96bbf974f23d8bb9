// --metrics FILE: what a prune did and what the repository holds after it, for node_exporter's
// textfile collector (the series are listed in docs/nightly.md).
#include "common/metrics.hpp"
#include "ifx-prune/prune.hpp"
#include "ifx/format/backup/repository.hpp"

#include <iostream>

namespace ifx::prune {

void write_metrics(const std::filesystem::path& file, const Options& options, const Result<Report>& outcome) {
  if (options.dry_run) {
    // A dry run changes nothing: its counts would read as a prune that happened.
    std::cerr << "ifx-prune: note: --dry-run writes no metrics\n";
    return;
  }
  // The repository as it is now (after the prune, or as a failed one left it), read for the
  // labels (the host its newest snapshot records) and its size. A repository that cannot be
  // opened still gets its series, the last success carried over.
  auto repo = Repository::open(options.repo, false);
  std::string host;
  if (repo && !repo->snapshots().empty()) {
    if (auto manifest = repo->manifest(repo->snapshots().back())) host = cli::recorded_host(**manifest);
  }
  const PrometheusLabels labels = cli::metric_labels(options.repo, host);
  PrometheusTextfile metrics;
  cli::set_last_success(metrics, file, "ifx-prune", "ifxkit_prune_last_success_timestamp_seconds",
                        "When the last prune ended without an error (Unix seconds); a failed run leaves it as it was.",
                        labels, outcome ? std::optional(cli::unix_seconds_now()) : std::nullopt);
  if (outcome) {
    constexpr const char* kSnapshotsHelp = "Snapshots the last prune kept and removed.";
    PrometheusLabels l = labels;
    l["action"] = "kept";
    metrics.set_gauge("ifxkit_prune_snapshots", kSnapshotsHelp, l,
                      static_cast<double>(outcome->snapshots.size() - outcome->removed()));
    l["action"] = "removed";
    metrics.set_gauge("ifxkit_prune_snapshots", kSnapshotsHelp, l, static_cast<double>(outcome->removed()));
    metrics.set_gauge("ifxkit_prune_bytes_freed", "Bytes the last prune gave back to the file system.", labels,
                      static_cast<double>(outcome->freed_bytes));
    if (repo) cli::set_repository_metrics(metrics, labels, "ifx-prune", repository_usage(repo->snapshots()));
  }
  cli::write_metrics(metrics, file, "ifx-prune");
}

}  // namespace ifx::prune
