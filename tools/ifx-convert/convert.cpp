// ifx-convert's operation: check the destination, open the source as one model (backup_set.hpp),
// run the directory-level checks, then shard by shard read and check every archive (the shard
// check keeps the merged files) and write the merged shard as one archive of the target layout; the meta first,
// the portable manifest last (docs/FORMATS.md §3.8), all inside DEST.pending, renamed at the end.
#include "ifx-convert/convert.hpp"

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "common/cli.hpp"
#include "ifx-convert/destination.hpp"
#include "ifx-convert/plan.hpp"
#include "ifx/format/io/file_size.hpp"
#include "ifx/format/backup/backup_writer.hpp"
#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/check/backup_check.hpp"
#include "ifx/format/shard/shard_files.hpp"

namespace ifx::convert {
namespace fs = std::filesystem;

std::string_view to_string(TargetFormat f) { return f == TargetFormat::legacy ? "legacy" : "portable"; }

int Report::exit_code() const { return skipped.empty() && tolerated_defects.empty() ? cli::kOk : cli::kPartial; }

namespace {

// The first defect, as the reason the whole conversion is refused.
std::unexpected<Error> refused(Error first, std::size_t total) {
  first.message += total > 1 ? fmt::format(" ({} defects in all: `ifx-verify` lists them)", total) : "";
  first.message += "; the source is damaged, nothing was written (--skip-errors converts the rest)";
  return std::unexpected(std::move(first));
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t directory_bytes(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) total += e.is_regular_file(ec) ? e.file_size(ec) : 0;
  return total;
}

struct Conversion {
  const Options& o;
  const BackupSet& set;
  BackupWriter& target;
  Report& report;
  Progress progress;

  void tell() {
    if (o.progress) o.progress(progress);
  }

  // Reads, checks and writes one shard. An error return aborts the whole conversion; a damaged
  // shard under skip_errors is recorded in report.skipped instead.
  Result<void> shard(const detail::PlannedShard& planned) {
    const ShardInBackup& s = *planned.shard;
    std::vector<Error> defects = planned.defects;
    std::optional<check::ShardCheck> checked;
    if (defects.empty()) {
      check::ShardCheckOptions co;
      co.quick = o.quick;
      co.scratch_root = o.scratch_root;
      co.keep_files = true;
      co.on_archive_read = [&](std::uint64_t bytes) {
        progress.bytes_read += bytes;
        tell();
      };
      checked = check::check_shard(set, s, co);
      report.checked += checked->checked;
      defects = std::move(checked->defects);
    }
    if (!defects.empty()) {
      if (!o.skip_errors) return refused(std::move(defects.front()), defects.size());
      report.skipped.push_back(SkippedShard{s.database, s.retention_policy, s.shard_id, std::move(defects)});
      return {};
    }

    const UnpackedShard& files = *checked->files;
    auto writer = target.open_shard(s.database, s.retention_policy, s.shard_id);
    if (!writer) return std::unexpected(std::move(writer.error()));
    if (auto r = files.write_to(*writer, s.database, s.retention_policy, s.shard_id); !r) return r;
    auto tar_bytes = writer->finish();
    if (!tar_bytes) return std::unexpected(std::move(tar_bytes.error()));
    target.add_shard(s.database, s.retention_policy, s.shard_id, *tar_bytes, *writer);

    ConvertedShard c{s.database,
                     s.retention_policy,
                     s.shard_id,
                     writer->path().filename().string(),
                     static_cast<std::size_t>(checked->checked.archives),
                     files.files().size(),
                     files.scan().tsm_files,
                     files.scan().tombstones,
                     *tar_bytes,
                     file_size_or_zero(writer->path())};
    if (c.tombstones)
      report.warnings.push_back(fmt::format(
          "shard {} ({}/{}) holds {} tombstone file{}: influxd's online restores (-portable, -online) skip "
          ".tombstone entries, so the points they delete come back (docs/FORMATS.md §4.5); the offline legacy "
          "restore and ifx-restore apply them",
          c.shard_id, c.database, c.retention_policy, c.tombstones, c.tombstones == 1 ? "" : "s"));
    report.shards.push_back(std::move(c));
    return {};
  }
};

nlohmann::ordered_json converted_from(const BackupSet& set) {
  nlohmann::ordered_json j = {{"format", to_string(set.format)}, {"meta_file", set.meta_file}};
  if (!set.manifest_files.empty()) j["manifests"] = set.manifest_files;
  return j;
}

}  // namespace

Result<Report> run(const Options& o) {
  const auto started = std::chrono::steady_clock::now();
  if (o.to == TargetFormat::portable && o.compression == ArchiveCompression::none)
    return fail(ErrorCode::usage,
                "a portable backup's shard archives are compressed: choose gzip or zstd (docs/FORMATS.md §3.3)");
  auto dest = detail::Destination::check(o.source_dir, o.dest_dir, o.force);
  if (!dest) return std::unexpected(std::move(dest.error()));

  auto set = open_backup_set(o.source_dir);
  if (!set) {  // no usable meta store: nothing can be converted, --skip-errors or not
    Error& e = set.error();
    if (fs::path(e.file).parent_path() == o.source_dir) e.file = fs::path(e.file).filename().string();
    e.message += "; nothing was written";
    return std::unexpected(std::move(set.error()));
  }

  Report report;
  report.source_dir = o.source_dir;
  report.dest_dir = dest->final_path();
  report.source_format = set->format;
  report.target = o.to;

  // The directory-level checks, filtered as `ifx-verify -db/-rp/-shard` filters them.
  check::BackupCheckOptions vo;
  vo.backup_dir = o.source_dir;
  vo.database = o.database;
  vo.retention_policy = o.retention_policy;
  vo.shard = o.shard;
  check::DefectSink sink(100);
  check::check_backup_level(*set, vo, sink, report.checked);
  sink.finish();
  detail::Plan plan = detail::make_plan(*set, o, std::move(sink.defects()));
  if (!plan.backup_defects.empty()) {
    if (!o.skip_errors) return refused(std::move(plan.backup_defects.front()), plan.backup_defects.size());
    report.tolerated_defects = std::move(plan.backup_defects);
  }
  report.warnings = std::move(plan.warnings);

  if (auto r = dest->create_pending(); !r) return std::unexpected(std::move(r.error()));
  const std::string base = portable_base_name(o.base_time_ns    ? *o.base_time_ns
                                              : set->created_ns ? *set->created_ns
                                                                : now_ns());
  BackupWriterOptions wo;
  wo.format = o.to == TargetFormat::legacy ? BackupFormat::Legacy : BackupFormat::Portable;
  wo.base = base;
  wo.compression = o.compression;
  wo.level = o.level;
  wo.threads = static_cast<int>(o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency()));
  wo.created_by = "ifx-convert";
  auto target = create_backup_writer(dest->pending(), wo);
  if (!target) return std::unexpected(std::move(target.error()));
  // The node JSON of a legacy source is not kept by the backup model; OSS writes `null` (§2.3).
  auto meta_file = (*target)->write_meta(set->meta_blob);
  if (!meta_file) return std::unexpected(std::move(meta_file.error()));
  report.meta_file = *meta_file;

  Conversion conversion{o, *set, **target, report, {}};
  conversion.progress.shards_total = plan.shards.size();
  for (const auto& p : plan.shards) conversion.progress.bytes_total += p.archive_bytes;
  for (const auto& planned : plan.shards) {
    conversion.tell();
    if (auto r = conversion.shard(planned); !r) return std::unexpected(std::move(r.error()));
    ++conversion.progress.shards_done;
  }
  conversion.tell();

  auto manifest = (*target)->finish(detail::converted_scope(*set, o), {{"converted_from", converted_from(*set)}});
  if (!manifest) return std::unexpected(std::move(manifest.error()));
  report.manifest_file = *manifest;
  report.bytes_written = directory_bytes(dest->pending());
  if (auto r = dest->commit(); !r) return std::unexpected(std::move(r.error()));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace ifx::convert
