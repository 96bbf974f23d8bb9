#include "common/metrics.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>

namespace ifx::cli {
namespace fs = std::filesystem;

PrometheusLabels metric_labels(const fs::path& repository, std::string_view host) {
  std::error_code ec;
  fs::path p = fs::absolute(repository, ec).lexically_normal();
  if (ec) p = repository.lexically_normal();
  std::string text = p.string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return {{"repository", text}, {"host", std::string(host)}};
}

std::string recorded_host(const PortableManifest& manifest) {
  auto it = manifest.extra.find("host");
  return it != manifest.extra.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void set_repository_metrics(PrometheusTextfile& metrics, PrometheusLabels labels, std::string_view tool,
                            const RepositoryUsage& usage) {
  labels["tool"] = std::string(tool);
  metrics.set_gauge("ifxkit_repository_snapshots", "Complete snapshots in the repository.", labels,
                    static_cast<double>(usage.snapshots.size()));
  constexpr const char* kBytesHelp =
      "Bytes of the repository's snapshots: logical counts every file of every snapshot, on_disk each file "
      "shared by hard link once.";
  labels["kind"] = "logical";
  metrics.set_gauge("ifxkit_repository_bytes", kBytesHelp, labels, static_cast<double>(usage.logical_bytes));
  labels["kind"] = "on_disk";
  metrics.set_gauge("ifxkit_repository_bytes", kBytesHelp, labels, static_cast<double>(usage.on_disk_bytes));
}

void set_last_success(PrometheusTextfile& metrics, const fs::path& file, std::string_view tool, std::string_view name,
                      std::string_view help, const PrometheusLabels& labels, std::optional<double> succeeded_at) {
  if (succeeded_at) return metrics.set_gauge(name, help, labels, *succeeded_at);
  auto previous = read_prometheus_textfile(file);
  if (!previous) {
    std::cerr << tool << ": note: the last success is not carried over: " << previous.error().describe() << "\n";
    return;
  }
  // Matched on the repository alone: a run with another -host (a typo, a moved server) that
  // fails must still carry the repository's last success, or the alert on its age goes silent.
  std::optional<double> last;
  for (const PrometheusSample* s : find_prometheus_samples(*previous, name, {{"repository", labels.at("repository")}}))
    last = std::max(last.value_or(s->value), s->value);
  if (last) metrics.set_gauge(name, help, labels, *last);
}

double unix_seconds_now() {
  using namespace std::chrono;
  return static_cast<double>(duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
}

void write_metrics(const PrometheusTextfile& metrics, const fs::path& file, std::string_view tool) {
  if (auto r = metrics.write(file); !r)
    std::cerr << tool << ": cannot write the metrics: " << r.error().describe() << "\n";
}

}  // namespace ifx::cli
