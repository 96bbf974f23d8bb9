// The names of a backup directory's files (docs/FORMATS.md §2.1, §2.2, §3.1): every place that
// makes a name or reads one goes through here, so a name rule is written once.
//
//   portable  <base>.meta  <base>.manifest  <base>.s<id>.tar.gz | .tar.zst | .tar (uncompressed)
//             with <base> = 20060102T150405Z, the UTC second the backup started
//   legacy    meta.NN  <db>.<rp>.<id, %05d>.<NN>
//
// A file being written carries `.pending` after its final name (io/atomic_file.hpp); such a name
// parses as none of the above.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ifx/format/archive/shard_archive.hpp"

namespace ifx {

// ---- portable (§3.1) -------------------------------------------------------------------------

// `20060102T150405Z` of a Unix time in ns (UTC; the second is the floor, as Go's Time.Unix).
std::string portable_base_name(std::int64_t unix_ns);
// The time of the base name `name` starts with (`<base>` or `<base>.<anything>`), if it does.
std::optional<std::int64_t> parse_portable_base_time(std::string_view name);
// The base name `name` starts with, if it does.
std::optional<std::string> portable_base_of(std::string_view name);

std::string portable_meta_file(std::string_view base);      // `<base>.meta`
std::string portable_manifest_file(std::string_view base);  // `<base>.manifest`
// `.tar.gz` / `.tar.zst` / `.tar` (none: an uncompressed archive, §3.3).
std::string_view portable_archive_suffix(ArchiveCompression c);
// `<base>.s<id>.tar.gz` / `.tar.zst` / `.tar`.
std::string portable_shard_file(std::string_view base, std::uint64_t id, ArchiveCompression c);
// `<base>.s<id>.tar`: the name the gzip header's FNAME field carries (§3.3), which is also the
// name of the uncompressed archive.
std::string portable_shard_tar_name(std::string_view base, std::uint64_t id);

// influxd's restore reads every `*.manifest` of the directory, whatever its stem (§3.6).
bool is_manifest_file(std::string_view name);

enum class PortableFileKind { meta, manifest, shard_archive };
struct PortableFileName {
  std::string base;
  PortableFileKind kind = PortableFileKind::meta;
  std::uint64_t shard_id = 0;                                 // shard_archive only
  ArchiveCompression compression = ArchiveCompression::gzip;  // shard_archive only
};
// `<base>.meta`, `<base>.manifest` or `<base>.s<id>.tar.gz|.tar.zst|.tar` with a valid base; nullopt for
// anything else (a `.pending` name included).
std::optional<PortableFileName> parse_portable_file(std::string_view name);

// ---- legacy (§2.1, §2.2) ---------------------------------------------------------------------

// `meta.NN`: NN in two digits at least.
std::string legacy_meta_file(std::uint64_t nn);
// NN of a `meta.<digits>` name.
std::optional<std::uint64_t> parse_legacy_meta_file(std::string_view name);

// `<db>.<rp>.<%05d id>`: a shard's files are this stem plus `.<NN>`.
std::string legacy_shard_stem(std::string_view db, std::string_view rp, std::uint64_t id);
// `<stem>.<NN>`, NN in two digits at least (§2.2).
std::string legacy_increment_file(std::string_view stem, std::uint64_t nn);

struct LegacyShardFileName {
  std::string stem;   // `<db>.<rp>.<id digits as written>`
  std::string db_rp;  // `<db>.<rp>`: where to split it takes the meta store (names may hold dots)
  std::uint64_t shard_id = 0;
  std::uint32_t increment = 0;
};
// `<db>.<rp>.<id, 5 digits or more>.<NN, 2 digits or more>`.
std::optional<LegacyShardFileName> parse_legacy_shard_file(std::string_view name);

}  // namespace ifx
