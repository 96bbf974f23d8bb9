// ifxkit's manifests record each file's SHA-256 as an extra key "sha256" of the meta entry and of
// every files[] entry (influxd ignores unknown keys, docs/FORMATS.md §3.4). When present, the file on
// disk must still hash to it: anything that changed the bytes after the backup wrote them (bit
// rot, a partial copy, an edit) is "sha256-mismatch", even where the format checks would pass.
#include <fmt/format.h>

#include "ifx/format/check/backup_check.hpp"
#include "ifx/format/check/read_once.hpp"
#include "ifx/format/io/checksum.hpp"

namespace ifx::check {
namespace fs = std::filesystem;
namespace {

void compare(const BackupSet& set, const std::string& manifest, const std::string& file,
             const nlohmann::ordered_json& extra, ReadOnce* read_once, DefectSink& sink) {
  auto it = extra.find("sha256");
  if (it == extra.end() || !it->is_string() || file.empty() || file.find('/') != std::string::npos) return;
  std::error_code ec;
  if (!fs::exists(set.dir / file, ec)) return;  // file-missing is reported elsewhere
  const auto identity = read_once ? identity_of(set.dir / file) : std::nullopt;
  std::optional<std::string> known = identity ? read_once->sha256(*identity) : std::nullopt;
  Result<std::string> actual = known ? Result<std::string>(*known) : sha256_file(set.dir / file);
  if (actual && identity && !known) read_once->remember_sha256(*identity, *actual);
  if (known) read_once->count_skipped(1, identity->size);
  if (!actual) {
    Error e = std::move(actual.error());
    e.file = file;
    sink.add(std::move(e));
    return;
  }
  const std::string recorded = it->get<std::string>();
  if (*actual != recorded)
    sink.add(defect(ErrorCode::sha256_mismatch, file, "", std::nullopt,
                    fmt::format("{} records SHA-256 {} for {}, but the file hashes to {}: its bytes changed "
                                "after the backup wrote them",
                                manifest, recorded, file, *actual)));
}

}  // namespace

void check_recorded_sha256(const BackupSet& set, const BackupCheckOptions& o, DefectSink& sink) {
  for (std::size_t i = 0; i < set.manifests.size(); ++i) {
    const PortableManifest& m = set.manifests[i];
    compare(set, set.manifest_files[i], m.meta.file_name, m.meta.extra, o.read_once, sink);
    for (const auto& f : m.files)
      if (o.selects(f.database, f.policy, f.shard_id))
        compare(set, set.manifest_files[i], f.file_name, f.extra, o.read_once, sink);
  }
}

}  // namespace ifx::check
