// One shard of the backup: fetched (type 0, docs/FORMATS.md §4.3), streamed straight into its
// archive (no temp copy: the server's tar goes through unchanged into gzip/zstd/plain, §2.4,
// §3.3), checked as it arrives (stream_check.cpp), recorded. A failed attempt's file is
// discarded before the next one (§1.8: influxd forgets to). With -start/-end the whole shard is fetched into scratch and cut exactly at the
// bounds with libformat's shard rewrite, tombstones applied (§4.4, §4.4.1: influxd's export keeps
// whole blocks and truncates its tar when a TSM file has a tombstone).
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "ifx-backup/steps.hpp"
#include "ifx/format/io/file_size.hpp"
#include "ifx/format/io/scratch_directory.hpp"
#include "ifx/format/shard/shard_files.hpp"
#include "ifx/format/shard/shard_rewrite.hpp"

namespace ifx::backup::detail {
namespace fs = std::filesystem;
namespace {

// §1.7: there is no error channel, so a tar that fails the check is a damaged answer; it gets
// the code of one (retried like a cut connection) and keeps what the check found.
Error damaged_answer(const Error& found, const std::string& host, std::uint64_t shard_id) {
  Error e = found;
  e.code = ErrorCode::net_protocol;
  e.message = fmt::format("shard {} as received from {} is damaged: {}", shard_id, host, found.describe());
  return e;
}

struct Job {
  JobContext& ctx;
  const PlannedShard& shard;
  ShardReport& report;

  std::string host() const { return ctx.client ? ctx.client->host().text() : std::string(); }
  net::ChunkSink counting(ShardArchiveWriter& into, std::uint64_t& got) {
    return [this, &into, &got](std::span<const std::uint8_t> bytes) -> Result<void> {
      got += bytes.size();
      ctx.received += bytes.size();
      return into.write_tar_stream(bytes);
    };
  }

  // --resume: an archive the interrupted run finished is kept when it passes the check.
  bool adopt_existing() {
    if (!ctx.destination.resume) return false;
    BackupWriter& writer = ctx.destination.writer;
    const std::string name = writer.shard_file_name(shard.database, shard.retention_policy, shard.shard_id);
    const fs::path path = writer.dir() / name;
    std::error_code ec;
    if (!fs::exists(path, ec)) return false;
    auto tar = tar_length(path, shard);
    auto checked = tar ? check_archive(writer.dir(), name, shard, *tar, ctx.scratch_root)
                       : Result<check::Checked>(std::unexpected(tar.error()));
    if (checked && writer.adopt_shard(shard.database, shard.retention_policy, shard.shard_id, *tar,
                                      {{"tsm_files", checked->tsm_files}})) {
      report.tsm_files = checked->tsm_files;
      report.status = ShardStatus::adopted;
      report.file = name;
      report.tar_bytes = *tar;
      report.file_bytes = file_size_or_zero(path);
      return true;
    }
    fs::remove(path, ec);  // damaged or cut short: fetched again below
    return false;
  }

  Result<ShardArchiveWriter> open_archive() {
    return ctx.destination.writer.open_shard(shard.database, shard.retention_policy, shard.shard_id);
  }
  // Manifest entries in completion order (with -j 1 influxd's order): restore keys them by ID.
  void record(const ShardArchiveWriter& finished) {
    nlohmann::ordered_json extra = nlohmann::ordered_json::object();
    if (report.tsm_files) extra["tsm_files"] = *report.tsm_files;
    ctx.destination.writer.add_shard(shard.database, shard.retention_policy, shard.shard_id, report.tar_bytes, finished,
                                     extra);
  }

  void record_written(const ShardArchiveWriter& writer, std::uint64_t tar_bytes) {
    report.file = writer.path().filename().string();
    report.tar_bytes = tar_bytes;
    report.file_bytes = file_size_or_zero(writer.path());
  }

  // An archive written here (not the server's stream): finished, read back and checked,
  // recorded; a failed check removes the file.
  Result<void> seal(ShardArchiveWriter& writer) {
    auto tar = writer.finish();
    if (!tar) return std::unexpected(std::move(tar.error()));
    auto c = check_archive(ctx.destination.writer.dir(), writer.path().filename().string(), shard, *tar,
                           ctx.scratch_root);
    if (!c) {
      std::error_code ec;
      fs::remove(writer.path(), ec);
      return std::unexpected(std::move(c.error()));
    }
    record_written(writer, *tar);
    report.tsm_files = c->tsm_files;
    return {};
  }

  // The usual case: the server's tar goes into its archive and, beside it, into the stream
  // check; the archive is committed only when the check passed.
  Result<void> fetch_whole() {
    std::optional<ShardArchiveWriter> writer;
    const net::WireTime since = ctx.options.since.value_or(net::WireTime::zero());
    auto attempt = [&]() -> Result<void> {
      auto w = open_archive();
      if (!w) return std::unexpected(std::move(w.error()));
      writer.emplace(std::move(*w));
      auto check = StreamCheck::start(shard, ctx.scratch_root);
      if (!check) return std::unexpected(std::move(check.error()));
      std::uint64_t got = 0;
      auto sink = counting(*writer, got);
      auto n = ctx.client->backup_shard(shard.shard_id, since,
                                        [&](std::span<const std::uint8_t> bytes) -> Result<void> {
                                          if (auto r = sink(bytes); !r) return r;
                                          return (*check)->feed(bytes);
                                        });
      report.received_bytes += got;
      if (!n) return std::unexpected(std::move(n.error()));  // the check's view of a cut stream adds nothing
      auto c = (*check)->finish();
      if (!c) {
        Error found = std::move(c.error());
        // The check's own trouble (its scratch space full or unwritable) is no fault of the answer.
        if (found.code == ErrorCode::io) {
          found.message += " (the received shard is checked in scratch space: --scratch-dir chooses where)";
          return std::unexpected(std::move(found));
        }
        found.file = writer->path().filename().string();
        return std::unexpected(damaged_answer(found, host(), shard.shard_id));
      }
      auto tar = writer->finish();
      if (!tar) return std::unexpected(std::move(tar.error()));
      record_written(*writer, *tar);
      report.tsm_files = c->tsm_files;
      return {};
    };
    auto discard = [&]() -> Result<void> {
      writer.reset();  // an unfinished writer removes its .pending file
      return {};
    };
    if (auto r = net::run_with_retries(ctx.options.retry, attempt, discard); !r) return r;
    record(*writer);
    return {};
  }

  // -start/-end with a shard group that misses the range: an empty archive, as influxd's export
  // of such a shard gives (§1.6.3), without a request.
  Result<void> write_empty() {
    auto w = open_archive();
    if (!w) return std::unexpected(std::move(w.error()));
    if (auto r = seal(*w); !r) return r;
    report.fetched = false;
    report.points = 0;
    record(*w);
    return {};
  }

  Result<void> fetch_and_cut(const tsm::TimeRange& range) {
    auto scratch = ScratchDirectory::create(ctx.scratch_root, fmt::format("ifx-backup-{}", shard.shard_id));
    if (!scratch) return std::unexpected(std::move(scratch.error()));
    const fs::path received = scratch->path() / "received.tar";
    const ShardExpectation expect{shard.database, shard.retention_policy, shard.shard_id};
    std::optional<UnpackedShard> unpacked;
    auto attempt = [&]() -> Result<void> {
      ShardArchiveWriterOptions wo;
      wo.compression = ArchiveCompression::none;
      wo.file = {.mode = 0600, .durable = false};  // scratch: cut, then removed
      auto raw = ShardArchiveWriter::create(received, wo);
      if (!raw) return std::unexpected(std::move(raw.error()));
      std::uint64_t got = 0;
      auto n = ctx.client->backup_shard(shard.shard_id, net::WireTime::zero(), counting(*raw, got));
      report.received_bytes += got;
      if (!n) return std::unexpected(std::move(n.error()));
      if (auto f = raw->finish(); !f) return std::unexpected(std::move(f.error()));
      auto u = UnpackedShard::unpack_archives({received}, expect, scratch->path());
      std::error_code ec;
      fs::remove(received, ec);  // unpacked now; the scratch space is needed for the rewrite
      if (!u) return std::unexpected(damaged_answer(u.error(), host(), shard.shard_id));
      unpacked.emplace(std::move(*u));
      return {};
    };
    auto discard = [&]() -> Result<void> {
      std::error_code ec;
      fs::remove(received, ec);
      return {};
    };
    if (auto r = net::run_with_retries(ctx.options.retry, attempt, discard); !r) return r;

    auto writer = open_archive();
    if (!writer) return std::unexpected(std::move(writer.error()));
    ShardRewriteOptions ro;
    ro.keep = range;
    auto rewritten = write_rewritten_shard(*unpacked, shard.database, shard.retention_policy, shard.shard_id, *writer,
                                           scratch->path(), ro);
    if (!rewritten) return std::unexpected(std::move(rewritten.error()));
    unpacked.reset();
    if (auto r = seal(*writer); !r) return r;
    report.points = rewritten->points;
    record(*writer);
    return {};
  }

  // --offline: the shard's directories (TSM files, tombstones, the WAL as a new TSM file) into
  // its archive, checked like a received one; with -skip-errors damage is salvaged and listed.
  Result<void> read_from_disk() {
    const ShardOnDisk& on_disk = ctx.offline->shards.at(shard.shard_id);
    auto writer = open_archive();
    if (!writer) return std::unexpected(std::move(writer.error()));
    ShardFromDiskOptions so;
    so.keep = ctx.range;
    so.salvage = ctx.options.skip_errors;
    auto built = write_shard_from_disk(on_disk, *writer, ctx.scratch_root, so);
    if (!built) return std::unexpected(std::move(built.error()));
    report.received_bytes = built->source_bytes;
    ctx.received += built->source_bytes;
    // Every file went in checked (shard_on_disk.hpp), as a received tar is checked on its way in:
    // reading the archive back would check the same bytes twice.
    auto tar = writer->finish();
    if (!tar) return std::unexpected(std::move(tar.error()));
    record_written(*writer, *tar);
    report.tsm_files = built->tsm_files;
    report.points = built->points;
    report.from_disk = ShardReport::FromDisk{built->wal_segments,     built->wal_points,     built->wal_tsm_file,
                                             built->wal_deletes,      built->wal_tail_bytes, built->left_out,
                                             built->deletions_applied};
    report.losses = std::move(built->losses);
    if (!report.losses.empty() && built->points_lost_known) report.points_lost = built->points_lost;
    record(*writer);
    return {};
  }

  void run() {
    if (adopt_existing()) return;
    Result<void> r;
    if (ctx.offline) r = read_from_disk();
    else if (!ctx.range) r = fetch_whole();
    else if (!shard.overlaps_range) r = write_empty();
    else r = fetch_and_cut(*ctx.range);
    if (r) {
      report.status = ShardStatus::written;
      return;
    }
    Error e = std::move(r.error());
    if (e.message.find(fmt::format("shard {}", shard.shard_id)) == std::string::npos)
      e.message = fmt::format("shard {} ({}/{}): {}", shard.shard_id, shard.database, shard.retention_policy,
                              e.message);
    report.error = std::move(e);
    report.file.clear();
    report.status = ctx.options.skip_errors ? ShardStatus::skipped : ShardStatus::failed;
  }
};

}  // namespace

ShardReport run_shard_job(JobContext& ctx, const PlannedShard& shard) {
  ShardReport report;
  report.database = shard.database;
  report.retention_policy = shard.retention_policy;
  report.shard_id = shard.shard_id;
  Job{ctx, shard, report}.run();
  return report;
}

}  // namespace ifx::backup::detail
