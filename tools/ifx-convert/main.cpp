// ifx-convert: flags → convert::run → text or JSON, exit code. Nothing else lives here.

#include <algorithm>
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "common/cli.hpp"
#include "common/human.hpp"
#include "common/status_line.hpp"
#include "common/json_output.hpp"
#include "ifx-convert/convert.hpp"

namespace {

constexpr const char* kTool = "ifx-convert";

}  // namespace

int main(int argc, char** argv) {
  ifx::convert::Options o;
  std::string to = "portable", compress = "gzip", database, rp;
  std::uint64_t shard = 0;
  ifx::cli::Output out(kTool);

  CLI::App app{
      "Converts an InfluxDB 1.x backup into one that a stock influxd restores: legacy (with .NN\n"
      "increments) -> portable (the default: `influxd restore -portable`), or portable (chains and zstd\n"
      "included) -> legacy (`--to legacy`, for OSS 1.0-1.4: `influxd restore -online` or the offline\n"
      "restore). Each shard's increments are merged into one archive. The source is verified as it is\n"
      "read; a damaged source is refused unless --skip-errors, which leaves the damaged shard out.\n"
      "Writes DEST_DIR.pending and renames it to DEST_DIR at the end.\n"
      "Exit codes: 0 converted, 1 refused or failed, 2 usage, 3 converted with shards skipped.",
      kTool};
  app.add_option("source_dir", o.source_dir, "Backup directory to convert (portable or legacy)")->required();
  app.add_option("dest_dir", o.dest_dir, "New directory for the converted backup")->required();
  app.add_option("--to", to, "Target format (default portable)")->check(CLI::IsMember({"portable", "legacy"}));
  app.add_option("--db,--database", database, "Only shards of this database (the meta store is always whole)");
  app.add_option("--rp,--retention", rp, "Only shards of this retention policy");
  app.add_option("--shard", shard, "Only this shard ID");
  app.add_flag("--skip-errors", o.skip_errors, "Leave damaged shards out (and say so, exit 3) instead of refusing");
  app.add_flag("--force", o.force, "Replace a non-empty DEST_DIR once the conversion is complete");
  app.add_option("--compress", compress, "Portable archives: gzip (influxd's, default) or zstd (ifxkit only)")
      ->check(CLI::IsMember({"gzip", "zstd"}));
  app.add_option(
      "--level", o.level,
      "Compression level: gzip 1-12 (libdeflate on every chunk; default ISA-L level 1 with hardly compressible "
      "chunks stored, fast), zstd -7..22 (default -1)");
  app.add_option("--threads", o.threads, "Compression threads (default: number of cores)");
  app.add_flag("--quick", o.quick, "Check CRCs only while reading, do not decode TSM blocks");
  app.add_option("--scratch-dir", o.scratch_root, "Where one shard is spooled while checked (default $TMPDIR or /tmp)");
  out.add_flags(app, "Print a JSON summary");

  int code = 0;
  if (!ifx::cli::parse(app, argc, argv, code)) return code;
  o.to = to == "legacy" ? ifx::convert::TargetFormat::legacy : ifx::convert::TargetFormat::portable;
  o.compression = compress == "zstd" ? ifx::ArchiveCompression::zstd : ifx::ArchiveCompression::gzip;
  if (!database.empty()) o.database = database;
  if (!rp.empty()) o.retention_policy = rp;
  if (app.count("--shard")) o.shard = shard;
  ifx::cli::StatusLine progress;
  o.progress = [&](const ifx::convert::Progress& p) {
    if (out.quiet) return;
    progress.update(
        fmt::format("{}: shard {}/{}, read {} of {}", kTool, std::min(p.shards_done + 1, p.shards_total),
                    p.shards_total, ifx::cli::format_bytes(p.bytes_read), ifx::cli::format_bytes(p.bytes_total)),
        p.shards_done == p.shards_total);
  };

  auto report = ifx::convert::run(o);
  progress.end();
  if (!report) return out.failed(ifx::cli::failure_exit_code(report.error()), report.error(), {{"converted", false}});
  code = report->exit_code();
  if (out.json) out.done(code, ifx::convert::to_json(*report));
  else if (!out.quiet || code != ifx::cli::kOk) std::cout << ifx::convert::to_text(*report) << std::flush;
  for (const auto& s : report->skipped)  // said on stderr too, where scripts look for trouble
    std::cerr << fmt::format("{}: skipped damaged shard {} ({}/{}): {}\n", kTool, s.shard_id, s.database,
                             s.retention_policy, s.defects.front().describe());
  return code;
}
