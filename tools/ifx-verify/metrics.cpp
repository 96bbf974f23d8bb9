// --metrics FILE: the verdict of each check, for node_exporter's textfile collector (the series
// are listed in docs/nightly.md).
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "common/metrics.hpp"
#include "ifx-verify/verify.hpp"
#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/backup/repository.hpp"

namespace ifx::verify {
namespace {

namespace fs = std::filesystem;

// The repository a backup directory belongs to, so the series join ifx-backup's: the directory
// itself when it is a repository, its parent when it is a snapshot of one (`REPO/latest`
// included), else the directory (a backup outside any repository).
fs::path repository_of(const fs::path& dir) {
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  if (!Repository::is_repository(p) && Repository::is_repository(p.parent_path())) return p.parent_path();
  return dir;
}

std::int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Metrics::add(const fs::path& dir, const Result<check::BackupCheckReport>& outcome,
                  std::chrono::steady_clock::time_point started) {
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  checks_.push_back({dir, outcome && outcome->valid(),
                     outcome ? outcome->defects.size() : 1,  // the error, as --json lists it
                     took.count(), outcome && outcome->options.now_ns ? *outcome->options.now_ns : wall_clock_ns()});
}

void Metrics::add(const fs::path& dir, const Result<check::RepositoryCheckReport>& outcome,
                  std::chrono::steady_clock::time_point started) {
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  const bool any = outcome && !outcome->snapshots.empty();
  checks_.push_back({any ? outcome->snapshots.back().snapshot.dir : dir, outcome && outcome->valid(),
                     outcome ? outcome->defect_count() : 1, took.count(),
                     outcome && outcome->options.backup.now_ns ? *outcome->options.backup.now_ns : wall_clock_ns()});
}

void Metrics::write(const fs::path& file) const {
  struct Series {
    bool valid = true;
    std::uint64_t defects = 0;
    double seconds = 0;
    std::optional<double> backup_age_seconds;  // of the newest backup checked
  };
  std::map<PrometheusLabels, Series> series;
  for (const Check& c : checks_) {
    // The host and the backup's time come from the directory's manifests and meta, read again:
    // cheap beside the check, and the report does not carry them.
    std::string host;
    std::optional<double> age;
    if (auto set = open_backup_set(c.dir)) {
      if (!set->manifests.empty()) host = cli::recorded_host(set->manifests.back());
      if (set->created_ns) age = std::round(static_cast<double>(c.ended_ns - *set->created_ns) / 1e9);
    }
    Series& s = series[cli::metric_labels(repository_of(c.dir), host)];
    s.valid = s.valid && c.valid;
    s.defects += c.defects;
    s.seconds += c.seconds;
    if (age) s.backup_age_seconds = s.backup_age_seconds ? std::min(*s.backup_age_seconds, *age) : *age;
  }
  PrometheusTextfile metrics;
  const double now = cli::unix_seconds_now();
  for (const auto& [labels, s] : series) {
    metrics.set_gauge("ifxkit_verify_valid", "1 when the last check found no defect, else 0.", labels, s.valid ? 1 : 0);
    metrics.set_gauge("ifxkit_verify_defects", "Defects the last check found.", labels, static_cast<double>(s.defects));
    metrics.set_gauge("ifxkit_verify_last_run_timestamp_seconds", "When the last check ended (Unix seconds).", labels,
                      now);
    metrics.set_gauge("ifxkit_verify_duration_seconds", "How long the last check took.", labels, s.seconds);
    if (s.backup_age_seconds)
      metrics.set_gauge("ifxkit_verify_backup_age_seconds",
                        "Age of the newest backup checked when its check ended (seconds).", labels,
                        *s.backup_age_seconds);
  }
  cli::write_metrics(metrics, file, "ifx-verify");
}

}  // namespace ifx::verify
