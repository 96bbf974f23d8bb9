// Writing a backup directory in the layouts influxd 1.6.7 writes (docs/FORMATS.md §2 legacy, §3
// portable), behind one interface for every tool that produces one (ifx-backup, ifx-convert).
// Every file goes through AtomicFile (NAME.pending, fsync, rename); the portable manifest is
// written last, so a directory whose manifest exists is complete, and a crash leaves only
// .pending files or complete archives. File names come from backup/file_names.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/format/backup/backup_scope.hpp"
#include "ifx/format/backup/backup_set.hpp"
#include "ifx/format/backup/manifest.hpp"
#include "ifx/format/error.hpp"

namespace ifx {

// A backup directory being written. Shards may be written by several threads at once: open_shard
// and add_shard are safe to call concurrently.
class BackupWriter {
 public:
  virtual ~BackupWriter() = default;
  BackupWriter(BackupWriter&&) = default;
  BackupWriter& operator=(BackupWriter&&) = default;

  virtual BackupFormat format() const = 0;
  const std::filesystem::path& dir() const { return dir_; }

  // The meta store: portable `<base>.meta` (PortableData around the blob, §3.2; `node_json` is
  // not kept), legacy the next free `meta.NN` (the type-1 stream: blob and node JSON, §2.3).
  // Returns the file name.
  virtual Result<std::string> write_meta(std::string_view meta_blob, std::string_view node_json = "null\n") = 0;

  // The name the shard's archive gets (legacy: the next free increment, §2.2).
  virtual std::string shard_file_name(std::string_view db, std::string_view rp, std::uint64_t id) const = 0;
  // An archive writer for that name: portable gzip/zstd with the gzip FNAME of §3.3 and the file's
  // SHA-256 computed while writing; legacy a plain tar. Every file of the backup is written with
  // kBackupFileMode (0600), where influxd leaves its meta and legacy files 0644 under umask 022.
  virtual Result<ShardArchiveWriter> open_shard(std::string_view db, std::string_view rp, std::uint64_t id) = 0;
  // Records a finished archive (`tar_bytes` = ShardArchiveWriter::finish()'s result). Portable:
  // the manifest entry with the SHA-256 and `extra`'s keys (e.g. "tsm_files"), in call order.
  virtual void add_shard(std::string_view db, std::string_view rp, std::uint64_t id, std::uint64_t tar_bytes,
                         const ShardArchiveWriter& finished,
                         const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) = 0;
  // Records an archive already complete on disk under shard_file_name() (a resumed run kept it
  // after checking it, or a snapshot shares it with an earlier one); its SHA-256 is `extra`'s
  // "sha256" when given (the same bytes were hashed before), else computed from the file. Legacy
  // backups keep no record: "invalid-argument".
  virtual Result<void> adopt_shard(std::string_view db, std::string_view rp, std::uint64_t id, std::uint64_t tar_bytes,
                                   const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) = 0;

  // Completes the backup. Portable: writes `<base>.manifest` (Go's MarshalIndent
  // layout, §3.4) with the extra keys "scope" (null when unknown), "created_by" and `extra`'s,
  // then fsyncs the directory; returns the manifest's file name. Legacy: fsyncs, returns "".
  virtual Result<std::string> finish(const std::optional<BackupScope>& scope,
                                     const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) = 0;

 protected:
  explicit BackupWriter(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

struct BackupWriterOptions {
  BackupFormat format = BackupFormat::Portable;
  // Portable only: `base` names every file (file_names.hpp: portable_base_name of the start, or
  // the base of the interrupted run a resumed one continues), the archives' compression.
  std::string base;
  ArchiveCompression compression = ArchiveCompression::gzip;
  int level = ShardArchiveWriterOptions::kDefaultLevel;  // unless set: the compressor's default
  int threads = 1;                                       // compression threads per archive (gzip: independent members)
  std::string created_by;                                // e.g. "ifx-backup 0.2.0", recorded as extra key "created_by"
};

// Creates `dir` (0700, like influxd) when missing. Portable: refuses a directory that already
// holds `<base>.manifest` (that backup is complete) and a plain-tar compression.
Result<std::unique_ptr<BackupWriter>> create_backup_writer(std::filesystem::path dir, BackupWriterOptions options);

class PortableBackupWriter final : public BackupWriter {
 public:
  static Result<PortableBackupWriter> create(std::filesystem::path dir, BackupWriterOptions options);

  BackupFormat format() const override { return BackupFormat::Portable; }
  const std::string& base() const { return options_.base; }
  Result<std::string> write_meta(std::string_view meta_blob, std::string_view node_json = "null\n") override;
  std::string shard_file_name(std::string_view db, std::string_view rp, std::uint64_t id) const override;
  Result<ShardArchiveWriter> open_shard(std::string_view db, std::string_view rp, std::uint64_t id) override;
  void add_shard(std::string_view db, std::string_view rp, std::uint64_t id, std::uint64_t tar_bytes,
                 const ShardArchiveWriter& finished,
                 const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) override;
  Result<void> adopt_shard(std::string_view db, std::string_view rp, std::uint64_t id, std::uint64_t tar_bytes,
                           const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) override;
  Result<std::string> finish(const std::optional<BackupScope>& scope,
                             const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) override;

  const PortableManifest& manifest() const { return manifest_; }

 private:
  PortableBackupWriter(std::filesystem::path dir, BackupWriterOptions options)
      : BackupWriter(std::move(dir)), options_(std::move(options)) {}
  void record_shard(std::string_view db, std::string_view rp, std::uint64_t id, std::uint64_t tar_bytes,
                    std::string sha256, const nlohmann::ordered_json& extra);
  BackupWriterOptions options_;
  std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();  // guards manifest_ (movable)
  PortableManifest manifest_;
  bool meta_written_ = false;
};

// Legacy layout (§2): `meta.NN` and `<db>.<rp>.<%05d id>.<NN>` raw tars, NN the first number
// whose final name does not exist yet (§2.2), so a second run (or a -since run) adds increments.
class LegacyBackupWriter final : public BackupWriter {
 public:
  static Result<LegacyBackupWriter> create(std::filesystem::path dir);

  BackupFormat format() const override { return BackupFormat::Legacy; }
  Result<std::string> write_meta(std::string_view meta_blob, std::string_view node_json = "null\n") override;
  std::string shard_file_name(std::string_view db, std::string_view rp, std::uint64_t id) const override;
  Result<ShardArchiveWriter> open_shard(std::string_view db, std::string_view rp, std::uint64_t id) override;
  void add_shard(std::string_view, std::string_view, std::uint64_t, std::uint64_t, const ShardArchiveWriter&,
                 const nlohmann::ordered_json& = nlohmann::ordered_json::object()) override {}
  Result<void> adopt_shard(std::string_view db, std::string_view rp, std::uint64_t id, std::uint64_t tar_bytes,
                           const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) override;
  Result<std::string> finish(const std::optional<BackupScope>& scope,
                             const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) override;

 private:
  explicit LegacyBackupWriter(std::filesystem::path dir) : BackupWriter(std::move(dir)) {}
  // §2.2: stem.00, stem.01, … (final names only): the first that does not exist.
  std::string next_free(const std::string& stem) const;
};

}  // namespace ifx
