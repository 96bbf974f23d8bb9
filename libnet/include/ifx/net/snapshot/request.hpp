// Snapshotter RPC requests as they go on the wire (docs/FORMATS.md §1.2–1.4), after the mux byte.
//  * types 0–6: type byte | compact JSON object with all ten keys in Go's order | '\n' |
//    payload (type 6 only, UploadSize bytes)
//  * type 7:    0x07 | new shard ID u64 BE | tar stream (sent separately by the client)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ifx/format/text/rfc3339.hpp"

namespace ifx::net {

// The mux header byte of the snapshotter service (§1.1).
inline constexpr std::uint8_t kSnapshotterMuxByte = 0x03;

// §1.3 request types (the byte the server dispatches on).
enum class RequestType : std::uint8_t {
  ShardBackup = 0,
  MetastoreBackup = 1,
  SeriesFileBackup = 2,  // declared by influxd, never implemented
  DatabaseInfo = 3,
  RetentionPolicyInfo = 4,
  ShardExport = 5,
  MetaStoreUpdate = 6,
  ShardUpdate = 7,
};

// An instant as Go's time.Time travels in the JSON (§1.4). `unix_ns` unset is Go's zero time
// (0001-01-01T00:00:00Z); `utc_offset_seconds` is the zone the user typed, kept for the text
// ("+01:00"); 0 prints "Z".
struct WireTime {
  std::optional<std::int64_t> unix_ns;
  std::int32_t utc_offset_seconds = 0;

  static WireTime zero() { return {}; }
  static WireTime from_unix_ns(std::int64_t ns, std::int32_t offset_seconds = 0) {
    return WireTime{ns, offset_seconds};
  }
  // A time read by text::parse_rfc3339, offset kept.
  static WireTime from(const text::Rfc3339Time& t) { return WireTime{t.unix_ns, t.utc_offset_seconds}; }
  bool is_zero() const { return !unix_ns.has_value(); }

  // As Go's time.Time marshals it: RFC3339Nano in the typed zone (text/rfc3339.hpp), the zero
  // time as "0001-01-01T00:00:00Z".
  std::string rfc3339() const {
    return unix_ns ? text::format_rfc3339_nano(*unix_ns, utc_offset_seconds) : std::string(text::kGoZeroTime);
  }
};

// The widest range an export may ask for: the int64-nanosecond limits rounded inwards to whole
// seconds (§4.4 zero-time caveat, §10.4). The client sends these when the caller gives no bound.
inline constexpr std::int64_t kExportMinUnixNs = -9223372036000000000;  // 1677-09-21T00:12:44Z
inline constexpr std::int64_t kExportMaxUnixNs = 9223372036000000000;   // 2262-04-11T23:47:16Z

// The Go `snapshotter.Request` struct (§1.4). The JSON `Type` is taken from `type`.
struct Request {
  RequestType type = RequestType::MetastoreBackup;
  std::string backup_database;
  std::string restore_database;
  std::string backup_retention_policy;
  std::string restore_retention_policy;
  std::uint64_t shard_id = 0;  // types 0, 5; the new shard ID for type 7
  WireTime since;
  WireTime export_start;
  WireTime export_end;
  // Type 6 only: the meta.Data blob sent after the '\n'; UploadSize is its length (never
  // negative, §1.5). Not owned: it must outlive the call that sends it.
  std::string_view payload;
};

// Type byte + JSON + '\n' (types 0–6), or 0x07 + u64 BE shard id (type 7). No payload.
std::string encode_request_head(const Request& request);

// encode_request_head followed by the payload (type 6). This is what follows the mux byte.
std::string encode_request(const Request& request);

// The compact JSON object alone (types 0–6), exactly as Go encodes it, without the newline.
std::string encode_request_json(const Request& request);

}  // namespace ifx::net
