#include "ifx-convert/target_writer.hpp"

#include <algorithm>
#include <thread>

#include "ifx/format/meta/meta_envelope.hpp"

namespace ifx::convert::detail {

Result<TargetWriter> TargetWriter::create(const Options& o, const std::filesystem::path& dir, std::string base) {
  TargetWriter w;
  if (o.to == TargetFormat::legacy) {
    auto legacy = LegacyBackupWriter::create(dir);
    if (!legacy) return std::unexpected(std::move(legacy.error()));
    w.legacy_.emplace(std::move(*legacy));
    return w;
  }
  PortableBackupWriterOptions po;
  po.compression = o.compression;
  po.level = o.level;
  po.threads = static_cast<int>(o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency()));
  po.created_by = "ifx-convert";
  auto portable = PortableBackupWriter::create(dir, std::move(base), po);
  if (!portable) return std::unexpected(std::move(portable.error()));
  w.portable_.emplace(std::move(*portable));
  return w;
}

Result<std::string> TargetWriter::write_meta(const std::string& meta_blob) {
  if (portable_) {
    if (auto r = portable_->write_meta(meta_blob); !r) return std::unexpected(std::move(r.error()));
    return portable_->meta_file_name();
  }
  // The node JSON of the source (legacy) is not kept by the backup model; OSS writes `null` (§2.3).
  const std::string bytes = meta::write_legacy_meta(meta_blob);
  return legacy_->write_meta({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
}

Result<ShardArchiveWriter> TargetWriter::open_shard(const std::string& db, const std::string& rp, std::uint64_t id) {
  if (portable_) return portable_->open_shard(id);
  return legacy_->open_shard(db, rp, id);
}

void TargetWriter::add_shard(const std::string& db, const std::string& rp, std::uint64_t id, std::uint64_t tar_bytes,
                             const ShardArchiveWriter& finished) {
  if (portable_) portable_->add_shard(db, rp, id, tar_bytes, finished);
}

Result<std::string> TargetWriter::finish(const nlohmann::ordered_json& extra) {
  if (!portable_) return std::string();
  // The scope is passed in `extra` (it may be null: unknown), which overrides the writer's own key.
  auto path = portable_->finish(BackupScope{}, extra);
  if (!path) return std::unexpected(std::move(path.error()));
  return path->filename().string();
}

}  // namespace ifx::convert::detail
