// Errors are values: every fallible call of the libraries returns ifx::Result<T>, which the
// compiler refuses to let a caller ignore. An Error says which file, which entry inside an
// archive, which byte offset, and what was expected, so a tool can print it as is and ifx-verify
// can report it as a defect. Its code comes from one closed list, IFX_ERROR_CODES below: the
// codes scripts see in `--json` output, documented in docs/error-codes.md (a unit test keeps the
// two lists equal).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace ifx {

// X(identifier, "code as scripts see it"). Grouped by who reports them; the order is the docs'.
#define IFX_ERROR_CODES(X)                               \
  /* a backup's defects (ifx-verify and every reader) */ \
  X(manifest_invalid, "manifest-invalid")                \
  X(file_missing, "file-missing")                        \
  X(file_unexpected, "file-unexpected")                  \
  X(sha256_mismatch, "sha256-mismatch")                  \
  X(size_mismatch, "size-mismatch")                      \
  X(meta_invalid, "meta-invalid")                        \
  X(chain_gap, "chain-gap")                              \
  X(gzip_truncated, "gzip-truncated")                    \
  X(gzip_crc, "gzip-crc")                                \
  X(gzip_invalid, "gzip-invalid")                        \
  X(zstd_invalid, "zstd-invalid")                        \
  X(decompression_bomb, "decompression-bomb")            \
  X(tar_truncated, "tar-truncated")                      \
  X(tar_header, "tar-header")                            \
  X(unsafe_path, "unsafe-path")                          \
  X(tsm_header, "tsm-header")                            \
  X(tsm_index, "tsm-index")                              \
  X(tsm_block_crc, "tsm-block-crc")                      \
  X(tsm_block_decode, "tsm-block-decode")                \
  X(tsm_time_range, "tsm-time-range")                    \
  X(tsm_type_conflict, "tsm-type-conflict")              \
  X(tombstone_invalid, "tombstone-invalid")              \
  X(wal_invalid, "wal-invalid")                          \
  X(shard_not_in_meta, "shard-not-in-meta")              \
  X(shard_missing, "shard-missing")                      \
  X(backup_too_old, "backup-too-old")                    \
  X(db_missing, "db-missing")                            \
  X(db_empty, "db-empty")                                \
  X(latest_invalid, "latest-invalid")                    \
  X(io, "io")                                            \
  /* the snapshotter RPC (libnet/snapshot) */            \
  X(net_refused, "net-refused")                          \
  X(net_unreachable, "net-unreachable")                  \
  X(net_http_port, "net-http-port")                      \
  X(net_reset, "net-reset")                              \
  X(net_io, "net-io")                                    \
  X(net_timeout, "net-timeout")                          \
  X(net_protocol, "net-protocol")                        \
  X(net_no_data, "net-no-data")                          \
  X(meta_not_changed, "meta-not-changed")                \
  /* InfluxDB's HTTP API (libnet/http) */                \
  X(http_unreachable, "http-unreachable")                \
  X(http_status, "http-status")                          \
  X(http_auth, "http-auth")                              \
  X(http_query, "http-query")                            \
  X(http_protocol, "http-protocol")                      \
  /* what the tools decide */                            \
  X(not_in_backup, "not-in-backup")                      \
  X(backup_damaged, "backup-damaged")                    \
  X(target_exists, "target-exists")                      \
  X(server_running, "server-running")                    \
  X(restore_failed, "restore-failed")                    \
  X(repository_locked, "repository-locked")              \
  X(cancelled, "cancelled")                              \
  X(usage, "usage")                                      \
  X(invalid_argument, "invalid-argument")

enum class ErrorCode : std::uint8_t {
#define IFX_ERROR_CODE_ENUMERATOR(id, text) id,
  IFX_ERROR_CODES(IFX_ERROR_CODE_ENUMERATOR)
#undef IFX_ERROR_CODE_ENUMERATOR
};

// "manifest-invalid", "net-timeout", …
std::string_view to_string(ErrorCode code);
// The code a text names, if any.
std::optional<ErrorCode> error_code_from_string(std::string_view text);
// Every code, in the order of the list.
std::span<const ErrorCode> all_error_codes();
// A failure of the snapshotter RPC's connection or answer (net-*): the kind worth retrying.
bool is_network_error(ErrorCode code);

std::ostream& operator<<(std::ostream& out, ErrorCode code);
// nlohmann::json writes a code as its text, never as a number (found by ADL).
template <class Json>
void to_json(Json& j, ErrorCode code) {
  j = std::string(to_string(code));
}

struct Error {
  ErrorCode code = ErrorCode::io;
  std::string message;                  // a sentence a user can act on
  std::string file;                     // backup file (or path) concerned, "" when none
  std::string entry;                    // entry inside an archive, "" when none
  std::optional<std::uint64_t> offset;  // byte offset inside `entry` (or `file`), when known

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

// std::expected whose result must be looked at: dropping one on the floor is a compile error
// (-Werror=unused-result), because an ignored failure is a lost write or an unchecked byte.
template <class T>
class [[nodiscard]] Result : public std::expected<T, Error> {
 public:
  using std::expected<T, Error>::expected;
  // The default constructor is not inherited, and must be user-provided: `return {};`
  // value-initializes, which for a defaulted constructor zeroes the whole object first (the
  // Error inside included) on every call of a hot loop.
  Result() : std::expected<T, Error>() {}
  Result(const std::expected<T, Error>& other) : std::expected<T, Error>(other) {}
  Result(std::expected<T, Error>&& other) : std::expected<T, Error>(std::move(other)) {}
};

inline std::unexpected<Error> fail(ErrorCode code, std::string message,
                                   std::optional<std::uint64_t> offset = std::nullopt) {
  return std::unexpected(Error{code, std::move(message), {}, {}, offset});
}
// The same, naming the file (or directory) concerned.
inline std::unexpected<Error> fail_in_file(ErrorCode code, std::string file, std::string message) {
  return std::unexpected(Error{code, std::move(message), std::move(file), {}, std::nullopt});
}

}  // namespace ifx

template <>
struct fmt::formatter<ifx::ErrorCode> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(ifx::ErrorCode code, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(ifx::to_string(code), ctx);
  }
};
