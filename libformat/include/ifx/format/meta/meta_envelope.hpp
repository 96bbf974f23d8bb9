// The two files that carry a meta.Data blob in a backup:
//  * legacy `meta.NN` (docs/FORMATS.md §2.3), byte for byte the snapshotter's type-1 stream (§1.6.1):
//      00 00 00 00 59 59 01 01 | M (u64 BE) | M-byte blob | N (u64 BE) | N-byte node JSON
//  * portable `<base>.meta` (§3.2): protobuf PortableData { 1: bytes Data, 2: uint64 MaxNodeID }.
// The blob itself is decoded by meta_data.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "ifx/format/error.hpp"

namespace ifx::meta {

inline constexpr std::uint8_t kLegacyMetaMagic[8] = {0x00, 0x00, 0x00, 0x00, 0x59, 0x59, 0x01, 0x01};
// The node JSON is a tiny object (OSS: "null\n"); anything larger is treated as damage so a
// corrupted length cannot make a reader allocate gigabytes.
inline constexpr std::uint64_t kMaxNodeJsonBytes = 1 << 20;

struct LegacyMeta {
  std::string blob;       // the M bytes of meta.Data protobuf
  std::string node_json;  // the N bytes as stored, e.g. "null\n" or "{\"ID\":1}\n"
};

// Checks magic, both lengths and 16 + M + 8 + N == size, and that the node JSON is `null` or a
// JSON object. Every failure is "meta-invalid" with the offset of the offending field and what
// was expected and found.
Result<LegacyMeta> parse_legacy_meta(std::span<const std::uint8_t> bytes);
Result<LegacyMeta> parse_legacy_meta(std::string_view bytes);

// The same checks reading from a file; holds only the blob and the node JSON in memory and
// checks M against the file size before allocating. Errors carry the path (Error::file); I/O
// failures are "io".
Result<LegacyMeta> read_legacy_meta_file(const std::filesystem::path& path);

// The exact bytes of a meta.NN file.
std::string write_legacy_meta(std::string_view blob, std::string_view node_json = "null\n");

// Returns PortableData.Data. Unknown fields are skipped; a missing Data field, a truncated or
// malformed message is "meta-invalid" with the offset. A missing MaxNodeID is accepted (the
// stock restore ignores this wrapper's decode errors, §3.2).
Result<std::string> parse_portable_meta(std::span<const std::uint8_t> bytes);
Result<std::string> parse_portable_meta(std::string_view bytes);

// Exactly `0a <uvarint len(blob)> blob 10 <uvarint max_node_id>` (§3.2; OSS writes 0 → `10 00`).
std::string encode_portable_meta(std::string_view blob, std::uint64_t max_node_id = 0);

}  // namespace ifx::meta
