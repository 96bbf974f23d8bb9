// Parsers of the snapshotter's small responses (docs/FORMATS.md §1.6). The tar streams of types 0
// and 5 are not parsed here: they go to a sink as they arrive and libformat's shard archive
// reader owns them.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ifx/format/error.hpp"
#include "ifx/format/meta/meta_envelope.hpp"

namespace ifx::net {

// Magic of the meta-update answer (§1.6.4): u64 BE 0x59590101.
inline constexpr std::uint64_t kMetaUpdateMagic = 0x59590101;

// §1.6.1: the type-1 stream is byte for byte a legacy meta.NN file, so libformat parses it
// (ifx::meta::parse_legacy_meta). Failures keep that parser's "meta-invalid" code and offset.
Result<meta::LegacyMeta> parse_meta_backup_response(std::span<const std::uint8_t> bytes);

// One element of an info answer's Paths, split on '/' (§1.6.2).
struct ShardPath {
  std::string database;
  std::string retention_policy;
  std::uint64_t shard_id = 0;

  std::string text() const;  // "db/rp/id"
  bool operator==(const ShardPath&) const = default;
};

// Splits "db/rp/id" into exactly three non-empty parts with a decimal id (fits 64 bits);
// otherwise "net-protocol".
Result<ShardPath> parse_shard_path(std::string_view path);

// §1.6.2: `{"Paths":[...]}` followed by '\n' (the newline is optional here). `null` Paths → empty.
// Not JSON, not an object, Paths not an array of strings, a bad path: "net-protocol".
Result<std::vector<ShardPath>> parse_info_response(std::string_view bytes);

// Old shard ID → new shard ID, as the server renumbered them (§5.3).
using ShardIdMap = std::map<std::uint64_t, std::uint64_t>;

// §1.6.4: magic, pair count P, P pairs, length exactly 16 + 16·P. Short, bad magic or length
// mismatch: "net-protocol" with the offset. P = 0: "meta-not-changed" (the server refused the
// import; the message lists the likely causes). A repeated old ID: "net-protocol".
Result<ShardIdMap> parse_meta_update_response(std::span<const std::uint8_t> bytes);

}  // namespace ifx::net
