// The portable backup's `<base>.manifest` (docs/FORMATS.md §3.4) and the loading of several
// manifests from one directory (§3.6).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx/format/error.hpp"

namespace ifx {

struct PortableManifest {
  struct MetaEntry {
    std::string file_name;  // "<base>.meta", no directory
    std::int64_t size = 0;  // length of the raw meta blob, not of the .meta file (§3.4)
    nlohmann::ordered_json extra = nlohmann::ordered_json::object();  // unknown keys, in order
  };
  struct ShardFileEntry {
    std::string database;
    std::string policy;
    std::uint64_t shard_id = 0;
    std::string file_name;           // "<base>.s<id>.tar.gz"
    std::int64_t size = 0;           // uncompressed tar bytes
    std::int64_t last_modified = 0;  // OSS: 0; Enterprise: incremental selection (§3.6)
    nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  };

  MetaEntry meta;
  bool limited = false;               // OSS always false
  std::vector<ShardFileEntry> files;  // written as `null` when empty, as Go does for a nil slice
  // Enterprise limited-backup keys; like Go's `omitempty`, "" / 0 means absent.
  std::string database;
  std::string policy;
  std::uint64_t shard_id = 0;  // spelled "shard_id" in JSON
  // Every unknown top-level key with its value, in file order; written after the standard keys.
  // (ordered_json rather than json so the original key order survives a rewrite.)
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

// Parses manifest JSON as Go's encoding/json would decode it into backup_util.Manifest: keys are
// matched case-insensitively (Go's folding, incl. U+017F ſ ~ s and U+212A K ~ k), a later
// duplicate key wins, `null` leaves a value at its default (and empties `files`), invalid UTF-8
// in strings becomes U+FFFD. Unknown keys are kept in `extra`. Errors are "manifest-invalid":
// not JSON (with the byte offset), trailing data after the object, or a wrong type, named by path:
// `files[2].shardID: expected an unsigned integer, found "abc"`.
Result<PortableManifest> parse_manifest(std::string_view text);
// Reads and parses a manifest file (a few KiB); errors carry the path.
Result<PortableManifest> read_manifest_file(const std::filesystem::path& path);

// Exactly what Go's json.MarshalIndent(m, "", "  ") gives for the manifest (no trailing newline),
// followed by the `extra` keys: Go's string escaping (<, >, & as \u003c \u003e \u0026, U+2028/9
// escaped, invalid UTF-8 as \ufffd) and number formatting.
std::string write_manifest(const PortableManifest& m);

// ---------------------------------------------------------------------------------------------
// docs/FORMATS.md §3.6: several manifests in one directory.

struct ChainedShardFile {
  std::string manifest;  // name of the manifest that lists this file
  PortableManifest::ShardFileEntry entry;
};

struct ShardFileChain {
  // Every existing file of the shard, oldest manifest first (manifest names ascending as byte
  // strings, then the order inside a manifest); a file name listed twice appears once, at its
  // first (oldest) position. Restoring the shard means applying these in order (§3.6, §3.8).
  std::vector<ChainedShardFile> files;
  // The one entry `influxd restore -portable` (LoadIncremental) would restore: index into files.
  std::size_t influxd_choice = 0;
};

struct ManifestChain {
  // From the newest manifest whose meta.fileName is non-empty (as LoadIncremental); nullopt when
  // none has one.
  std::optional<PortableManifest::MetaEntry> meta;
  std::string meta_manifest;  // name of the manifest that provided `meta`
  std::map<std::uint64_t, ShardFileChain> shards;
  // Entries skipped because `exists(file_name)` was false (LoadIncremental skips them silently).
  std::vector<ChainedShardFile> missing;
};

// `manifests`: (file name, parsed manifest) in any order; `exists`: whether a file name (relative
// to the backup directory) exists. Pure: no filesystem access of its own.
ManifestChain merge_manifest_chain(std::vector<std::pair<std::string, PortableManifest>> manifests,
                                   const std::function<bool(const std::string&)>& exists);

}  // namespace ifx
