#include "ifx/format/backup/backup_writer.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "ifx/format/io/atomic_file.hpp"
#include "ifx/format/io/checksum.hpp"
#include "ifx/format/meta/meta_envelope.hpp"

namespace ifx {
namespace {

Result<void> make_backup_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return {};
  if (std::filesystem::exists(dir, ec)) {
    auto e = fail("io", fmt::format("{} exists and is not a directory", dir.string()));
    e.error().file = dir.string();
    return e;
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    auto e = fail("io", fmt::format("cannot create directory {}: {}", dir.string(), ec.message()));
    e.error().file = dir.string();
    return e;
  }
  ::chmod(dir.c_str(), 0700);  // influxd creates its backup directory 0700 (§2.1)
  auto parent = dir.parent_path();
  return fsync_dir(parent.empty() ? std::filesystem::path(".") : parent);
}

Result<void> write_small_file(const std::filesystem::path& path, std::string_view bytes,
                              AtomicFileOptions options, std::string* sha256 = nullptr) {
  auto file = AtomicFile::create(path, options);
  if (!file) return std::unexpected(file.error());
  if (auto r = file->write({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}); !r)
    return r;
  if (auto r = file->commit(); !r) return r;
  if (sha256) *sha256 = file->sha256_hex();
  return {};
}

}  // namespace

nlohmann::ordered_json scope_to_json(const BackupScope& s) {
  auto opt = [](const auto& v) -> nlohmann::ordered_json {
    if (v) return *v;
    return nullptr;
  };
  return {{"database", opt(s.database)},     {"retention_policy", opt(s.retention_policy)},
          {"shard", opt(s.shard)},           {"start", opt(s.start_ns)},
          {"end", opt(s.end_ns)},            {"since", opt(s.since_ns)}};
}

std::string portable_base_name(std::int64_t unix_ns) {
  std::int64_t secs = unix_ns / 1'000'000'000;
  if (unix_ns < 0 && unix_ns % 1'000'000'000 != 0) --secs;  // floor, as Go's Time.Unix does
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string_view portable_archive_suffix(ArchiveCompression c) {
  return c == ArchiveCompression::zstd ? ".tar.zst" : ".tar.gz";
}

// ---- portable -------------------------------------------------------------------------------

Result<PortableBackupWriter> PortableBackupWriter::create(std::filesystem::path dir,
                                                          std::string base,
                                                          PortableBackupWriterOptions options) {
  if (options.compression == ArchiveCompression::none) {
    return fail("invalid-argument", "a portable backup's shard archives are compressed (§3.3)");
  }
  if (auto r = make_backup_dir(dir); !r) return std::unexpected(r.error());
  PortableBackupWriter w;
  w.dir_ = std::move(dir);
  w.base_ = std::move(base);
  w.options_ = std::move(options);
  std::error_code ec;
  if (std::filesystem::exists(w.dir_ / w.manifest_file_name(), ec)) {
    auto e = fail("io", fmt::format("{} already holds the complete backup {} (its manifest {} "
                                    "exists): choose another directory",
                                    w.dir_.string(), w.base_, w.manifest_file_name()));
    e.error().file = (w.dir_ / w.manifest_file_name()).string();
    return e;
  }
  return w;
}

std::string PortableBackupWriter::meta_file_name() const { return base_ + ".meta"; }
std::string PortableBackupWriter::manifest_file_name() const { return base_ + ".manifest"; }
std::string PortableBackupWriter::shard_file_name(std::uint64_t id) const {
  return fmt::format("{}.s{}{}", base_, id, portable_archive_suffix(options_.compression));
}

Result<void> PortableBackupWriter::write_meta(std::string_view meta_blob) {
  std::string sha;
  if (auto r = write_small_file(dir_ / meta_file_name(), meta::encode_portable_meta(meta_blob),
                                {.mode = 0644, .sha256 = true}, &sha);
      !r)
    return r;
  manifest_.meta.file_name = meta_file_name();
  manifest_.meta.size = static_cast<std::int64_t>(meta_blob.size());  // the blob, not the file (§3.4)
  manifest_.meta.extra = nlohmann::ordered_json::object();
  manifest_.meta.extra["sha256"] = sha;
  meta_written_ = true;
  return {};
}

Result<ShardArchiveWriter> PortableBackupWriter::open_shard(std::uint64_t id) const {
  ShardArchiveWriterOptions o;
  o.compression = options_.compression;
  o.level = options_.level;
  o.threads = options_.threads;
  o.gzip_name = fmt::format("{}.s{}.tar", base_, id);
  o.file = {.mode = 0600, .sha256 = true};
  return ShardArchiveWriter::create(dir_ / shard_file_name(id), o);
}

void PortableBackupWriter::record_shard(std::string_view db, std::string_view rp,
                                        std::uint64_t id, std::uint64_t tar_bytes,
                                        std::string sha256) {
  PortableManifest::ShardFileEntry e;
  e.database = db;
  e.policy = rp;
  e.shard_id = id;
  e.file_name = shard_file_name(id);
  e.size = static_cast<std::int64_t>(tar_bytes);
  e.extra["sha256"] = std::move(sha256);
  manifest_.files.push_back(std::move(e));
}

void PortableBackupWriter::add_shard(std::string_view db, std::string_view rp, std::uint64_t id,
                                     std::uint64_t tar_bytes, const ShardArchiveWriter& finished) {
  record_shard(db, rp, id, tar_bytes, finished.file_sha256());
}

Result<void> PortableBackupWriter::adopt_shard(std::string_view db, std::string_view rp,
                                               std::uint64_t id, std::uint64_t tar_bytes) {
  auto sha = sha256_file(dir_ / shard_file_name(id));
  if (!sha) return std::unexpected(sha.error());
  record_shard(db, rp, id, tar_bytes, std::move(*sha));
  return {};
}

Result<std::filesystem::path> PortableBackupWriter::finish(const BackupScope& scope,
                                                           const nlohmann::ordered_json& extra) {
  if (!meta_written_) return fail("invalid-argument", "the manifest needs the meta file first");
  manifest_.extra = nlohmann::ordered_json::object();
  manifest_.extra["scope"] = scope_to_json(scope);
  if (!options_.created_by.empty()) manifest_.extra["created_by"] = options_.created_by;
  for (const auto& [k, v] : extra.items()) manifest_.extra[k] = v;
  auto path = dir_ / manifest_file_name();
  if (auto r = write_small_file(path, write_manifest(manifest_), {.mode = 0600}); !r)
    return std::unexpected(r.error());
  if (auto r = fsync_dir(dir_); !r) return std::unexpected(r.error());
  return path;
}

// ---- legacy ---------------------------------------------------------------------------------

Result<LegacyBackupWriter> LegacyBackupWriter::create(std::filesystem::path dir) {
  if (auto r = make_backup_dir(dir); !r) return std::unexpected(r.error());
  LegacyBackupWriter w;
  w.dir_ = std::move(dir);
  return w;
}

// §2.2: probe stem.00, stem.01, … (final names only) and take the first free one.
std::string LegacyBackupWriter::next_free(const std::string& stem) const {
  for (unsigned n = 0;; ++n) {
    std::string name = fmt::format("{}.{:02}", stem, n);
    std::error_code ec;
    if (!std::filesystem::exists(dir_ / name, ec)) return name;
  }
}

Result<std::string> LegacyBackupWriter::write_meta(std::span<const std::uint8_t> bytes) {
  std::string name = next_free("meta");
  if (auto r = write_small_file(dir_ / name,
                                {reinterpret_cast<const char*>(bytes.data()), bytes.size()},
                                {.mode = 0644});
      !r)
    return std::unexpected(r.error());
  return name;
}

std::string LegacyBackupWriter::next_shard_file_name(std::string_view db, std::string_view rp,
                                                     std::uint64_t id) const {
  return next_free(fmt::format("{}.{}.{:05}", db, rp, id));
}

Result<ShardArchiveWriter> LegacyBackupWriter::open_shard(std::string_view db, std::string_view rp,
                                                          std::uint64_t id) const {
  ShardArchiveWriterOptions o;
  o.compression = ArchiveCompression::none;
  o.file = {.mode = 0644};
  return ShardArchiveWriter::create(dir_ / next_shard_file_name(db, rp, id), o);
}

}  // namespace ifx
