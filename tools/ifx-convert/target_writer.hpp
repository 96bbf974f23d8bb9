// The destination layout behind one interface: portable (PortableBackupWriter, FORMATS.md §3) or
// legacy (LegacyBackupWriter, §2). The conversion loop does not care which.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "ifx-convert/convert.hpp"
#include "ifx/format/backup/backup_writer.hpp"

namespace ifx::convert::detail {

class TargetWriter {
 public:
  // `base` names the portable files (§3.1); unused for legacy.
  static Result<TargetWriter> create(const Options& options, const std::filesystem::path& dir, std::string base);

  // `<base>.meta` (PortableData around the blob, §3.2) or `meta.00` (the blob with the `null`
  // node JSON, §2.3). Returns the file name.
  Result<std::string> write_meta(const std::string& meta_blob);
  // A writer for the shard's archive; its file name is writer.path().filename().
  Result<ShardArchiveWriter> open_shard(const std::string& db, const std::string& rp, std::uint64_t id);
  // Records the finished archive (portable: in the manifest).
  void add_shard(const std::string& db, const std::string& rp, std::uint64_t id, std::uint64_t tar_bytes,
                 const ShardArchiveWriter& finished);
  // Portable: writes the manifest last (§3.4) with `extra` keys; returns its file name. Legacy: "".
  Result<std::string> finish(const nlohmann::ordered_json& extra);

 private:
  TargetWriter() = default;
  std::optional<PortableBackupWriter> portable_;
  std::optional<LegacyBackupWriter> legacy_;
};

}  // namespace ifx::convert::detail
