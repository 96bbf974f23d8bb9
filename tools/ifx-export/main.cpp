// ifx-export: flags → exporter::run into stdout or a file (optionally gzipped) → exit code.

#include <algorithm>
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "common/cli.hpp"
#include "common/human.hpp"
#include "common/status_line.hpp"
#include "common/json_output.hpp"
#include "ifx-export/export.hpp"

namespace {

constexpr const char* kTool = "ifx-export";

}  // namespace

int main(int argc, char** argv) {
  ifx::exporter::Options o;
  std::string database, rp, start, end, compress, out_file = "-";
  std::uint64_t shard = 0;
  ifx::cli::Output out(kTool);

  CLI::App app{
      "Writes the points of an InfluxDB 1.x backup (portable or legacy, incremental chains included)\n"
      "as line protocol, read straight from the backup without a server: overwritten points resolved\n"
      "(the newest TSM file wins), deleted points left out (tombstones), -start/-end exact to the\n"
      "nanosecond. Default: one line per series and timestamp with all its fields; --per-field: one\n"
      "line per field value, as influx_inspect export. --header adds the framing that\n"
      "`influx -import -path=FILE [-compressed]` loads.\n"
      "Exit codes: 0 exported, 1 the backup is unreadable or damaged (the output file is not\n"
      "created), 2 usage.",
      kTool};
  app.add_option("backup_dir", o.backup_dir, "Backup directory (portable or legacy)")->required();
  app.add_option("--db,--database", database, "Only this database");
  app.add_option("--rp,--retention", rp, "Only this retention policy");
  app.add_option("--shard", shard, "Only this shard ID");
  app.add_option("--start", start, "Only points at or after this RFC 3339 time (fractions to the ns)");
  app.add_option("--end,--stop", end, "Only points at or before this RFC 3339 time");
  app.add_flag("--per-field", o.per_field, "One line per field value (as influx_inspect export)");
  app.add_flag("--header", o.header, "Add # DDL / # DML / # CONTEXT-… framing for influx -import");
  app.add_option("--compress", compress, "Compress the output: gzip")->check(CLI::IsMember({"gzip"}));
  app.add_option("--out", out_file, "Output file, or - for stdout (default)");
  out.add_flags(app, "With --out FILE: print a JSON summary on stdout");
  app.add_option("--scratch-dir", o.scratch_root, "Where one shard at a time is unpacked (default: $TMPDIR or /tmp)");

  int code = 0;
  if (!ifx::cli::parse(app, argc, argv, code)) return code;
  if (!database.empty()) o.database = database;
  if (!rp.empty()) o.retention_policy = rp;
  if (app.count("--shard")) o.shard = shard;
  if (!start.empty()) {
    auto t = ifx::cli::parse_time_flag("-start", start);
    if (!t) return out.failed(ifx::cli::kUsage, t.error());
    o.start_ns = t->unix_ns;
  }
  if (!end.empty()) {
    auto t = ifx::cli::parse_time_flag("-end", end);
    if (!t) return out.failed(ifx::cli::kUsage, t.error());
    o.end_ns = t->unix_ns;
  }
  if (out.json && out_file == "-") return out.usage("--json prints its summary on stdout, so it needs --out FILE");

  ifx::cli::StatusLine progress(std::chrono::seconds(1));
  auto summary = ifx::exporter::export_to(o, out_file, compress == "gzip", [&](const ifx::exporter::Progress& p) {
    if (!out.quiet)
      progress.update(fmt::format("{}: shard {}/{}, {} values, {} of line protocol", kTool,
                                  std::min(p.shards_done + 1, p.shards_total), p.shards_total, p.values,
                                  ifx::cli::format_bytes(p.bytes)));
  });
  progress.end();
  if (!summary) return out.failed(ifx::cli::failure_exit_code(summary.error()), summary.error());
  for (const auto& w : summary->warnings) out.note("warning: " + w);
  return out.done(ifx::cli::kOk, ifx::exporter::to_json(*summary));
}
