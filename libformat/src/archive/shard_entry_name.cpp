// Entry-name rules of a shard tar (docs/FORMATS.md §4.1) and compression detection (§2.4, §3.3).
#include "ifx/format/archive/shard_archive.hpp"
#include "ifx/format/text/decimal.hpp"

#include <charconv>
#include <fmt/format.h>

namespace ifx {
namespace {

std::unexpected<Error> unsafe(std::string_view name, std::string_view why) {
  auto e = fail(ErrorCode::unsafe_path, fmt::format("entry name \"{}\" {}; a shard archive entry must be "
                                                    "<db>/<rp>/<shard id>/<file>",
                                                    name, why));
  e.error().entry = std::string(name);
  return e;
}

}  // namespace

std::string_view to_string(ArchiveCompression c) {
  switch (c) {
    case ArchiveCompression::none:
      return "none";
    case ArchiveCompression::gzip:
      return "gzip";
    case ArchiveCompression::zstd:
      return "zstd";
  }
  return "unknown";
}

ArchiveCompression detect_compression(std::span<const std::uint8_t> head) {
  if (head.size() >= 2 && head[0] == 0x1f && head[1] == 0x8b) return ArchiveCompression::gzip;
  if (head.size() >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd) {
    return ArchiveCompression::zstd;
  }
  return ArchiveCompression::none;  // legacy db.rp.NNNNN.NN files are raw tar (§2.4)
}

Result<ShardEntryName> parse_shard_entry_name(std::string_view name) {
  std::string_view parts[4];
  std::size_t count = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = name.find('/', start);
    std::string_view part = name.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (count == 4) return unsafe(name, "has more than four path components");
    if (part.empty()) {
      return unsafe(
          name, start == 0 ? "is an absolute path or starts with an empty component" : "has an empty path component");
    }
    if (part == "." || part == "..") return unsafe(name, fmt::format("contains \"{}\"", part));
    if (part.find('\0') != std::string_view::npos) return unsafe(name, "contains a NUL byte");
    parts[count++] = part;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (count != 4) return unsafe(name, "has fewer than four path components");

  ShardEntryName out;
  std::string_view id = parts[2];
  auto parsed_id = text::parse_decimal<std::uint64_t>(id);
  if (!parsed_id) return unsafe(name, fmt::format("has \"{}\" where a decimal shard id belongs", id));
  out.shard_id = *parsed_id;
  out.db = parts[0];
  out.rp = parts[1];
  out.file = parts[3];
  return out;
}

std::string shard_entry_name(std::string_view db, std::string_view rp, std::uint64_t shard_id, std::string_view file) {
  return fmt::format("{}/{}/{}/{}", db, rp, shard_id, file);
}

}  // namespace ifx
