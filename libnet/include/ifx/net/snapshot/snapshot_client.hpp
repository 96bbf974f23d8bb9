// The snapshotter RPC client (docs/FORMATS.md §1): one TCP connection per request, the mux byte
// 0x03, the request in one gather write, then the response streamed to a sink or parsed.
//
// Error codes (Error::code) of this header, every message naming the host and what to do:
//   net-refused      nothing listens at host:port (influxd down, or another bind-address)
//   net-unreachable  the host name does not resolve, or there is no route to it
//   net-timeout      connect, send, or a read (no byte for ClientOptions::read_timeout) took
//                    too long; the message says which and how long
//   net-reset        the server reset the connection; before any byte this is the classic
//                    remote server whose bind-address is 127.0.0.1 (the message says so)
//   net-http-port    the answer starts with "HTTP/": the host:port is InfluxDB's HTTP API
//   net-protocol     the answer is not what §1.6 specifies (bad magic, lengths, JSON, paths)
//   net-no-data      the server closed without a byte: unknown shard, database or retention
//                    policy, or a server-side failure (§1.7: there is no error channel)
//   meta-not-changed the meta import answered 0 pairs (§1.6.4)
//   net-io           other socket errors. Sink and source errors come back as the callback gave them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ifx/format/error.hpp"
#include "ifx/format/meta/meta_envelope.hpp"
#include "ifx/net/snapshot/request.hpp"
#include "ifx/net/snapshot/response.hpp"
#include "ifx/net/tcp_connection.hpp"

namespace ifx::net {

// Receives a response stream chunk by chunk, in order. An error stops the transfer and is
// returned to the caller unchanged.
using ChunkSink = std::function<Result<void>(std::span<const std::uint8_t>)>;
// Fills the buffer with the next bytes of an upload; returns how many, 0 at the end.
using ChunkSource = std::function<Result<std::size_t>(std::span<std::uint8_t>)>;

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  // No byte received (or accepted, when sending) for this long → "net-timeout". influxd
  // flushes its cache before a shard snapshot, so the first byte can take a while.
  std::chrono::milliseconds read_timeout{120'000};
  std::size_t chunk_bytes = 256 * 1024;  // read buffer; the sink sees chunks up to this size
  // Bound on answers held in memory: the metastore (type 1), shard lists, the meta import answer.
  std::uint64_t max_buffered_response_bytes = 1ull << 30;
};

class SnapshotClient {
 public:
  // `host` as influxd's -host takes it: "host:port" (default port 8088).
  static Result<SnapshotClient> create(std::string_view host, ClientOptions options = {});
  SnapshotClient(HostPort host, ClientOptions options);

  const HostPort& host() const { return host_; }
  const ClientOptions& options() const { return options_; }

  // Type 1 (§1.6.1). The stream is small and must be validated whole (magic, both lengths, node
  // JSON, via libformat's meta.NN parser) before anything is handed on: only then does `sink`
  // (if set) receive the verbatim bytes, which are exactly a legacy meta.NN file (§2.3).
  Result<meta::LegacyMeta> backup_meta(const ChunkSink& sink = {});

  // Type 3: the shard paths of `database`, or of every database when it is empty (§1.6.2).
  Result<std::vector<ShardPath>> database_info(std::string_view database);
  // Type 4: the shard paths of one retention policy.
  Result<std::vector<ShardPath>> retention_policy_info(std::string_view database, std::string_view retention_policy);

  // Type 0: the shard's tar (§4.3), only files modified after `since` (zero time = all).
  // Returns the bytes received; 0 bytes is "net-no-data". The tar is not checked here.
  Result<std::uint64_t> backup_shard(std::uint64_t shard_id, const WireTime& since, const ChunkSink& sink);
  // Type 5: the shard's tar filtered to blocks overlapping [start, end] (§4.4). Both bounds are
  // always sent; a missing (or zero) one becomes kExportMinUnixNs / kExportMaxUnixNs (§10.4).
  Result<std::uint64_t> export_shard(std::uint64_t shard_id, std::optional<WireTime> start, std::optional<WireTime> end,
                                     const ChunkSink& sink);

  // Type 6 (§5.3): uploads a meta.Data blob; the server creates the database(s) and empty shards
  // and answers old → new shard IDs. Empty `restore_*` means "same name as the backup's".
  Result<ShardIdMap> import_meta(std::string_view meta_blob, std::string_view backup_database,
                                 std::string_view restore_database, std::string_view backup_retention_policy,
                                 std::string_view restore_retention_policy);

  // Type 7 (§1.6.5, §4.5): streams a tar whose entries are already named
  // `<db>/<rp>/<new_shard_id>/<file>` into an existing shard, then waits until the server closes
  // (it does so after applying the files). Returns the bytes sent. The server never reports
  // failure; an early reset is "net-reset" naming the likely cause.
  Result<std::uint64_t> upload_shard(std::uint64_t new_shard_id, const ChunkSource& source);

 private:
  HostPort host_;
  ClientOptions options_;
};

// True for failures a later attempt may cure (timeouts, resets, no data, a refused connection
// while a server restarts, a truncated or damaged answer). False for net-http-port,
// meta-not-changed, invalid-argument and errors the caller's sink or source returned.
bool is_retryable(const Error& error);

struct RetryPolicy {
  int attempts = 10;  // like influxd backup (§1.8), but with short waits
  std::chrono::milliseconds first_wait{500};
  double factor = 2.0;  // 0.5 s, 1 s, 2 s, 4 s, 8 s, 8 s, …
  std::chrono::milliseconds max_wait{8'000};
  // Called before each wait: the attempt that failed (1-based), its error, the wait.
  std::function<void(int, const Error&, std::chrono::milliseconds)> on_retry;
  // Replaceable for tests.
  std::function<void(std::chrono::milliseconds)> sleep;

  std::chrono::milliseconds wait_after(int failed_attempt) const;  // 1-based
};

// Runs `attempt` until it succeeds, fails with a non-retryable error, or `policy.attempts` are
// used up (then the last error, its message prefixed with the attempt count). Before each retry
// it calls `reset` (if set), which must discard what the failed attempt wrote — influxd's own
// client forgets this and leaves garbage before the stream (§1.8). A failing reset ends the loop.
Result<void> run_with_retries(const RetryPolicy& policy, const std::function<Result<void>()>& attempt,
                              const std::function<Result<void>()>& reset = {});

template <class T>
Result<T> with_retries(const RetryPolicy& policy, const std::function<Result<T>()>& attempt,
                       const std::function<Result<void>()>& reset = {}) {
  std::optional<T> value;
  auto r = run_with_retries(
      policy,
      [&]() -> Result<void> {
        auto v = attempt();
        if (!v) return std::unexpected(std::move(v.error()));
        value = std::move(*v);
        return {};
      },
      reset);
  if (!r) return std::unexpected(std::move(r.error()));
  return std::move(*value);
}

}  // namespace ifx::net
