// What a backup was asked to hold, as its manifests record it (docs/FORMATS.md §3.4). ifxkit
// writes the extra key
//   "scope": {"database": s|null, "retention_policy": s|null, "shard": n|null,
//             "start": ns|null, "end": ns|null, "since": ns|null}
// (influxd's restore ignores unknown keys); InfluxDB Enterprise writes `limited` with `database`,
// `policy` and `shard_id`. influxd OSS records nothing: its `-db` backups still carry the whole
// meta store, so a shard of the meta without an archive is not a defect there. This is the one
// place that writes and reads that key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx/format/backup/manifest.hpp"

namespace ifx {

struct BackupScope {
  std::optional<std::string> database;
  std::optional<std::string> retention_policy;
  std::optional<std::uint64_t> shard;
  std::optional<std::int64_t> start_ns, end_ns, since_ns;

  // The shard lies inside the database / retention policy / shard filters.
  bool covers(std::string_view db, std::string_view rp, std::uint64_t shard_id) const;
};

nlohmann::ordered_json scope_to_json(const BackupScope& scope);

struct RecordedScope {
  std::string manifest;  // the manifest that records it
  BackupScope scope;
};
// The scope the newest manifest that records one says (ifxkit's "scope" key, else Enterprise's
// `limited`); nullopt when none does. `manifest_files` and `manifests` are parallel, oldest first.
std::optional<RecordedScope> recorded_scope(const std::vector<std::string>& manifest_files,
                                            const std::vector<PortableManifest>& manifests);

}  // namespace ifx
