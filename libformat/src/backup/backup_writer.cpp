#include "ifx/format/backup/backup_writer.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

#include "ifx/format/backup/file_names.hpp"
#include "ifx/format/io/atomic_file.hpp"
#include "ifx/format/io/checksum.hpp"
#include "ifx/format/meta/meta_envelope.hpp"

namespace ifx {
namespace {

std::unexpected<Error> io_error(const std::filesystem::path& path, std::string message) {
  return fail_in_file(ErrorCode::io, path.string(), std::move(message));
}

Result<void> make_backup_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return {};
  if (std::filesystem::exists(dir, ec))
    return io_error(dir, fmt::format("{} exists and is not a directory", dir.string()));
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error(dir, fmt::format("cannot create directory {}: {}", dir.string(), ec.message()));
  ::chmod(dir.c_str(), 0700);  // influxd creates its backup directory 0700 (§2.1)
  auto parent = dir.parent_path();
  return fsync_dir(parent.empty() ? std::filesystem::path(".") : parent);
}

// Writes a small file whole (meta, manifest); returns its SHA-256 when asked.
Result<std::string> write_small_file(const std::filesystem::path& path, std::string_view bytes,
                                     AtomicFileOptions options) {
  auto file = AtomicFile::create(path, options);
  if (!file) return std::unexpected(file.error());
  if (auto r = file->write({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}); !r)
    return std::unexpected(r.error());
  if (auto r = file->commit(); !r) return std::unexpected(r.error());
  return file->sha256_hex();
}

}  // namespace

Result<std::unique_ptr<BackupWriter>> create_backup_writer(std::filesystem::path dir, BackupWriterOptions options) {
  if (options.format == BackupFormat::Legacy) {
    auto w = LegacyBackupWriter::create(std::move(dir));
    if (!w) return std::unexpected(std::move(w.error()));
    return std::unique_ptr<BackupWriter>(std::make_unique<LegacyBackupWriter>(std::move(*w)));
  }
  auto w = PortableBackupWriter::create(std::move(dir), std::move(options));
  if (!w) return std::unexpected(std::move(w.error()));
  return std::unique_ptr<BackupWriter>(std::make_unique<PortableBackupWriter>(std::move(*w)));
}

// ---- portable (§3) ----------------------------------------------------------------------------

Result<PortableBackupWriter> PortableBackupWriter::create(std::filesystem::path dir, BackupWriterOptions options) {
  if (auto r = make_backup_dir(dir); !r) return std::unexpected(r.error());
  const std::string manifest = portable_manifest_file(options.base);
  std::error_code ec;
  if (std::filesystem::exists(dir / manifest, ec))
    return io_error(dir / manifest, fmt::format("{} already holds the complete backup {} (its manifest {} "
                                                "exists): choose another directory",
                                                dir.string(), options.base, manifest));
  options.format = BackupFormat::Portable;
  return PortableBackupWriter(std::move(dir), std::move(options));
}

std::string PortableBackupWriter::shard_file_name(std::string_view, std::string_view, std::uint64_t id) const {
  return portable_shard_file(options_.base, id, options_.compression);
}

Result<std::string> PortableBackupWriter::write_meta(std::string_view meta_blob, std::string_view) {
  const std::string name = portable_meta_file(options_.base);
  auto sha = write_small_file(dir_ / name, meta::encode_portable_meta(meta_blob),
                              {.mode = kBackupFileMode, .sha256 = true});
  if (!sha) return std::unexpected(sha.error());
  std::lock_guard lock(*mutex_);
  manifest_.meta.file_name = name;
  manifest_.meta.size = static_cast<std::int64_t>(meta_blob.size());  // the blob, not the file (§3.4)
  manifest_.meta.extra = nlohmann::ordered_json::object();
  manifest_.meta.extra["sha256"] = *sha;
  meta_written_ = true;
  return name;
}

Result<ShardArchiveWriter> PortableBackupWriter::open_shard(std::string_view db, std::string_view rp,
                                                            std::uint64_t id) {
  ShardArchiveWriterOptions o;
  o.compression = options_.compression;
  o.level = options_.level;
  o.threads = options_.threads;
  o.gzip_name = portable_shard_tar_name(options_.base, id);
  o.file = {.mode = kBackupFileMode, .sha256 = true};
  return ShardArchiveWriter::create(dir_ / shard_file_name(db, rp, id), o);
}

void PortableBackupWriter::record_shard(std::string_view db, std::string_view rp, std::uint64_t id,
                                        std::uint64_t tar_bytes, std::string sha256,
                                        const nlohmann::ordered_json& extra) {
  PortableManifest::ShardFileEntry e;
  e.database = db;
  e.policy = rp;
  e.shard_id = id;
  e.file_name = shard_file_name(db, rp, id);
  e.size = static_cast<std::int64_t>(tar_bytes);
  e.extra["sha256"] = std::move(sha256);
  for (const auto& [k, v] : extra.items())
    if (k != "sha256") e.extra[k] = v;
  std::lock_guard lock(*mutex_);
  manifest_.files.push_back(std::move(e));
}

void PortableBackupWriter::add_shard(std::string_view db, std::string_view rp, std::uint64_t id,
                                     std::uint64_t tar_bytes, const ShardArchiveWriter& finished,
                                     const nlohmann::ordered_json& extra) {
  record_shard(db, rp, id, tar_bytes, finished.file_sha256(), extra);
}

Result<void> PortableBackupWriter::adopt_shard(std::string_view db, std::string_view rp, std::uint64_t id,
                                               std::uint64_t tar_bytes, const nlohmann::ordered_json& extra) {
  if (auto known = extra.find("sha256"); known != extra.end() && known->is_string()) {
    record_shard(db, rp, id, tar_bytes, known->get<std::string>(), extra);
    return {};
  }
  auto sha = sha256_file(dir_ / shard_file_name(db, rp, id));
  if (!sha) return std::unexpected(sha.error());
  record_shard(db, rp, id, tar_bytes, std::move(*sha), extra);
  return {};
}

Result<std::string> PortableBackupWriter::finish(const std::optional<BackupScope>& scope,
                                                 const nlohmann::ordered_json& extra) {
  std::lock_guard lock(*mutex_);
  if (!meta_written_) return fail(ErrorCode::invalid_argument, "the manifest needs the meta file first");
  manifest_.extra = nlohmann::ordered_json::object();
  manifest_.extra["scope"] = scope ? scope_to_json(*scope) : nlohmann::ordered_json(nullptr);
  if (!options_.created_by.empty()) manifest_.extra["created_by"] = options_.created_by;
  for (const auto& [k, v] : extra.items()) manifest_.extra[k] = v;
  const std::string name = portable_manifest_file(options_.base);
  if (auto r = write_small_file(dir_ / name, write_manifest(manifest_), {.mode = kBackupFileMode}); !r)
    return std::unexpected(r.error());
  if (auto r = fsync_dir(dir_); !r) return std::unexpected(r.error());
  return name;
}

// ---- legacy (§2) ------------------------------------------------------------------------------

Result<LegacyBackupWriter> LegacyBackupWriter::create(std::filesystem::path dir) {
  if (auto r = make_backup_dir(dir); !r) return std::unexpected(r.error());
  return LegacyBackupWriter(std::move(dir));
}

std::string LegacyBackupWriter::next_free(const std::string& stem) const {
  for (unsigned n = 0;; ++n) {
    std::string name = legacy_increment_file(stem, n);
    std::error_code ec;
    if (!std::filesystem::exists(dir_ / name, ec)) return name;
  }
}

Result<std::string> LegacyBackupWriter::write_meta(std::string_view meta_blob, std::string_view node_json) {
  std::string name = next_free("meta");
  if (auto r = write_small_file(dir_ / name, meta::write_legacy_meta(meta_blob, node_json), {.mode = kBackupFileMode});
      !r)
    return std::unexpected(r.error());
  return name;
}

std::string LegacyBackupWriter::shard_file_name(std::string_view db, std::string_view rp, std::uint64_t id) const {
  return next_free(legacy_shard_stem(db, rp, id));
}

Result<ShardArchiveWriter> LegacyBackupWriter::open_shard(std::string_view db, std::string_view rp, std::uint64_t id) {
  ShardArchiveWriterOptions o;
  o.compression = ArchiveCompression::none;
  o.file = {.mode = kBackupFileMode};
  return ShardArchiveWriter::create(dir_ / shard_file_name(db, rp, id), o);
}

Result<void> LegacyBackupWriter::adopt_shard(std::string_view, std::string_view, std::uint64_t id, std::uint64_t,
                                             const nlohmann::ordered_json&) {
  return fail(ErrorCode::invalid_argument,
              fmt::format("shard {}: a legacy backup has no manifest to record a kept archive in", id));
}

Result<std::string> LegacyBackupWriter::finish(const std::optional<BackupScope>&, const nlohmann::ordered_json&) {
  if (auto r = fsync_dir(dir_); !r) return std::unexpected(r.error());
  return std::string();
}

}  // namespace ifx
