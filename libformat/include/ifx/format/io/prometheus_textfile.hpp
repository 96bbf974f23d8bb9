// Prometheus's text exposition format (version 0.0.4), the file node_exporter's textfile
// collector reads: one owner for its layout, its escaping and its one safe way to be written.
//
//   # HELP ifxkit_backup_success 1 when the last backup completed, else 0.
//   # TYPE ifxkit_backup_success gauge
//   ifxkit_backup_success{host="db1:8088",repository="/backups/repo"} 1
//
// It lives in libformat, beside the atomic writer, and not in tools/common (terminal output of
// the tools): it is a file at rest with a byte layout of its own, which readers in other
// processes (the collector, promtool) parse, and the tools only decide which values go in it.
//
// What the collector needs and this writer guarantees:
//   * Never half a file: the collector reads the directory whenever Prometheus scrapes it, so
//     the file is written as NAME.pending (which its `*.prom` glob skips), fsynced and renamed
//     over NAME (AtomicFile).
//   * Readable by the collector, which runs as another user: mode 0644 whatever the umask.
//   * Stable bytes: families sorted by name, samples by their labels, labels by name.
//   * Only gauges, without timestamps (the collector refuses a file that has them).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ifx/format/error.hpp"

namespace ifx {

// A sample's labels by name: a map, so every sample lists its labels in one order.
using PrometheusLabels = std::map<std::string, std::string>;

struct PrometheusSample {
  std::string name;
  PrometheusLabels labels;
  double value = 0;
};

class PrometheusTextfile {
 public:
  // Sets the gauge `name` with `labels` to `value`; setting the same series again replaces its
  // value. `help` is the family's HELP text (the first one given for a name stays). A metric or
  // label name Prometheus does not accept is left out, and write() fails naming it.
  void set_gauge(std::string_view name, std::string_view help, const PrometheusLabels& labels, double value);

  bool empty() const { return families_.empty(); }
  // The exposition text: per family `# HELP`, `# TYPE name gauge`, then a line per sample.
  std::string render() const;
  // render() written to `path` atomically (`path`.pending, fsync, rename, directory fsync), mode
  // 0644. A `path`.pending that a killed writer left is taken over (see the source); failures
  // are "io" errors naming the path, an invalid name an "invalid-argument" error.
  Result<void> write(const std::filesystem::path& path) const;

 private:
  struct Family {
    std::string help;
    std::map<PrometheusLabels, double> samples;
  };
  std::map<std::string, Family, std::less<>> families_;
  std::optional<Error> invalid_;
};

// A value as Prometheus reads it: integers as integers while a double holds them exactly (byte
// counts, whole-second timestamps), anything else as Go's strconv.FormatFloat(v, 'g', -1, 64),
// the shortest text Go's ParseFloat reads back to the same double (what Prometheus's own Go
// client writes); "+Inf", "-Inf", "NaN".
std::string format_prometheus_value(double v);

// The samples of an exposition file, in file order; comment lines skipped. A missing file has
// none. A line that does not parse is an "invalid-argument" error naming the file and line.
Result<std::vector<PrometheusSample>> read_prometheus_textfile(const std::filesystem::path& path);

// The samples named `name` that carry each of `labels` with its value (other labels may differ).
std::vector<const PrometheusSample*> find_prometheus_samples(const std::vector<PrometheusSample>& samples,
                                                             std::string_view name, const PrometheusLabels& labels);

}  // namespace ifx
