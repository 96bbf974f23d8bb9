// --metrics FILE, as ifx-backup, ifx-prune and ifx-verify write it for node_exporter's textfile
// collector (docs/nightly.md lists every series). The file's format, escaping and atomic write
// are libformat's (io/prometheus_textfile.hpp); this is what the tools agree on beyond it: the
// flag's words, the labels every series carries, the repository series two tools write, and how
// a failed run keeps the time of the last success.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "ifx/format/backup/manifest.hpp"
#include "ifx/format/backup/repository.hpp"
#include "ifx/format/backup/repository_usage.hpp"
#include "ifx/format/io/prometheus_textfile.hpp"

namespace ifx::cli {

inline constexpr const char* kMetricsFlagHelp =
    "Write Prometheus metrics to FILE (atomically) for node_exporter's textfile collector";

// The labels of every series: `repository`, the snapshot repository (or the backup directory,
// for a backup outside one), made absolute and lexically normal so that `repo`, `./repo/` and
// `/backups/repo` are one series; and `host`, the influxd address the backup came from ("" when
// nothing records it).
PrometheusLabels metric_labels(const std::filesystem::path& repository, std::string_view host);

// The address the ifx-backup that wrote a manifest read from (its "host" key); "" without one.
std::string recorded_host(const PortableManifest& manifest);

// ifxkit_repository_snapshots and ifxkit_repository_bytes{kind="logical"|"on_disk"}, as they
// stand after this run. ifx-backup and ifx-prune each write them into a file of their own, and
// node_exporter refuses one series found in two files: the `tool` label keeps them apart.
void set_repository_metrics(PrometheusTextfile& metrics, PrometheusLabels labels, std::string_view tool,
                            const RepositoryUsage& usage);

// The gauge `name` (a last-success timestamp) for `labels`: `succeeded_at` when this run
// succeeded; otherwise the newest value `file` already holds for the same repository, when it
// has one. Alerts measure the age of the last success (time() - …), so a failed night must not
// erase it.
void set_last_success(PrometheusTextfile& metrics, const std::filesystem::path& file, std::string_view tool,
                      std::string_view name, std::string_view help, const PrometheusLabels& labels,
                      std::optional<double> succeeded_at);

// Now, in whole seconds since the Unix epoch.
double unix_seconds_now();

// Writes the file. A failure is printed ("<tool>: cannot write the metrics: …") and leaves the
// exit code alone: the backup, prune or check itself is done, and a file left stale shows in
// node_textfile_mtime_seconds and in the last-success alert.
void write_metrics(const PrometheusTextfile& metrics, const std::filesystem::path& file, std::string_view tool);

}  // namespace ifx::cli
