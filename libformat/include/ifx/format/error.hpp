// Errors are values: every fallible libformat call returns ifx::Result<T>.
// An Error says which file, which entry inside an archive, which byte offset, and what was
// expected, so a tool can print it as is and ifx-verify can report it as a defect.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <utility>

namespace ifx {

struct Error {
  // Stable machine-readable code; ifx-verify's defect codes are these (README lists them):
  // manifest-invalid, file-missing, file-unexpected, size-mismatch, meta-invalid,
  // gzip-truncated, gzip-crc, gzip-invalid, zstd-invalid, decompression-bomb, tar-truncated,
  // tar-header, unsafe-path,
  // tsm-header, tsm-index, tsm-block-crc, tsm-block-decode, tsm-time-range,
  // tombstone-invalid, shard-not-in-meta, shard-missing, io, usage, invalid-argument.
  // libnet and the tools add net-*, http-*, not-in-backup, backup-damaged, target-exists,
  // server-running, restore-failed, sha256-mismatch (README "Error codes of ifx-backup and
  // ifx-restore").
  std::string code;
  std::string message;                 // a sentence a user can act on
  std::string file;                    // backup file (or path) concerned, "" when none
  std::string entry;                   // entry inside an archive, "" when none
  std::optional<std::uint64_t> offset; // byte offset inside `entry` (or `file`), when known

  // "file: entry: offset N: message" with the parts that are known.
  std::string describe() const;

  // Adds context as an error travels outward (only fills what is still empty).
  Error&& in_file(std::string f) && {
    if (file.empty()) file = std::move(f);
    return std::move(*this);
  }
  Error&& in_entry(std::string e) && {
    if (entry.empty()) entry = std::move(e);
    return std::move(*this);
  }
  Error&& at_offset(std::uint64_t base) && {  // offsets inside a block become file offsets
    offset = offset ? *offset + base : base;
    return std::move(*this);
  }
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string code, std::string message,
                                   std::optional<std::uint64_t> offset = std::nullopt) {
  return std::unexpected(Error{std::move(code), std::move(message), {}, {}, offset});
}

}  // namespace ifx
