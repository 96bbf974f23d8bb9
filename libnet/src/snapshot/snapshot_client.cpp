#include "ifx/net/snapshot/snapshot_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <thread>
#include <vector>

namespace ifx::net {

namespace {

constexpr std::string_view kRpcPortHint = "the backup/restore RPC listens on bind-address (default 127.0.0.1:8088)";

// Go's net/http answers our binary request with "HTTP/1.1 400 Bad Request" (§1.1: a client
// pointed at port 8086). No snapshotter answer can start like this: a meta stream starts with
// zero bytes, a shard path JSON with '{', a tar with "<db>/<rp>/<id>/".
bool looks_like_http(std::string_view head) {
  if (!head.starts_with("HTTP/")) return false;
  if (head.size() < 12) return true;  // short answer: the prefix is all we have
  return head[5] >= '0' && head[5] <= '9' && head[8] == ' ' && head[9] >= '1' && head[9] <= '5';
}

std::string_view as_chars(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Error http_port_error(const HostPort& host, std::string_view head) {
  std::string status(head.substr(0, head.find_first_of("\r\n")));
  if (status.size() > 60) status.resize(60);
  return Error{ErrorCode::net_http_port,
               fmt::format("{} is InfluxDB's HTTP port (it answered \"{}\"); {}", host.text(), status, kRpcPortHint)};
}

// One request over its own connection (§1.9: every request is a new TCP connection).
class Exchange {
 public:
  Exchange(const HostPort& host, const ClientOptions& options, std::string what)
      : host_(host), options_(options), what_(std::move(what)) {}

  // Connects and sends the mux byte, the request head and its payload as ONE gather write
  // (§1.5: 1.6.7 reads the payload with a single read()).
  Result<void> send_request(const Request& request) {
    auto conn = TcpConnection::connect(host_, options_.connect_timeout);
    if (!conn) return std::unexpected(std::move(conn.error()));
    conn_.emplace(std::move(*conn));
    const std::uint8_t mux[1] = {kSnapshotterMuxByte};
    const std::string head = encode_request_head(request);
    std::array<std::span<const std::uint8_t>, 3> parts = {
        std::span<const std::uint8_t>(mux), as_bytes(head),
        request.type == RequestType::MetaStoreUpdate ? as_bytes(request.payload) : std::span<const std::uint8_t>()};
    auto w = conn_->write_all(parts, options_.read_timeout);
    if (!w) return std::unexpected(explain(std::move(w.error())));
    return {};
  }

  // Next bytes of the answer; 0 at EOF. Errors are explained in terms of this exchange.
  Result<std::size_t> read_some(std::span<std::uint8_t> out) {
    auto n = conn_->read_some(out, options_.read_timeout);
    if (!n) return std::unexpected(explain(std::move(n.error())));
    received_ += *n;
    return *n;
  }

  // The answer to an upload (§1.6.5: none; the server closes once it has applied the tar).
  // While the kernel still holds sent bytes the server has not acknowledged, silence is no stall:
  // over a slow link our send buffer (megabytes, autotuned) drains more slowly than one read
  // timeout, and timing out then would cut a healthy upload (the slow-link test in net_faults_test). A timeout
  // counts only when that queue made no progress during it.
  Result<std::string> read_answer_after_upload() {
    std::string out;
    std::vector<std::uint8_t> buf(4096);
    std::optional<std::size_t> queued = conn_->unacknowledged_bytes();
    for (;;) {
      auto n = conn_->read_some(buf, options_.read_timeout);
      if (!n) {
        const auto now = conn_->unacknowledged_bytes();
        if (n.error().code == ErrorCode::net_timeout && now && queued && *now < *queued) {
          queued = now;
          continue;
        }
        return std::unexpected(explain(std::move(n.error())));
      }
      received_ += *n;
      if (*n == 0 || out.size() > 4096) return out;  // anything at all is already wrong
      out.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
  }

  // The whole (small) answer, bounded by max_buffered_response_bytes.
  Result<std::string> read_all() {
    std::string out;
    std::vector<std::uint8_t> buf(std::min<std::size_t>(options_.chunk_bytes, 64 * 1024));
    for (;;) {
      auto n = read_some(buf);
      if (!n) return std::unexpected(std::move(n.error()));
      if (*n == 0) return out;
      if (out.size() + *n > options_.max_buffered_response_bytes)
        return fail(ErrorCode::net_protocol,
                    fmt::format("{}: {} is larger than {} bytes; is this the RPC port? {}", host_.text(), what_,
                                options_.max_buffered_response_bytes, kRpcPortHint));
      out.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
  }

  // Streams the answer to `sink`, holding back only the first few bytes until it is clear that
  // they are not an HTTP answer. Returns the bytes received; none is "net-no-data".
  Result<std::uint64_t> stream_to(const ChunkSink& sink, std::string_view no_data_message) {
    std::vector<std::uint8_t> buf(std::max<std::size_t>(options_.chunk_bytes, 64));
    std::string head;  // the first bytes, until 16 are there
    bool head_checked = false;
    auto check_and_flush_head = [&]() -> Result<void> {
      head_checked = true;
      if (looks_like_http(head)) return std::unexpected(http_port_error(host_, head));
      if (head.empty()) return {};
      return sink(as_bytes(head));
    };
    for (;;) {
      auto n = read_some(buf);
      if (!n) return std::unexpected(std::move(n.error()));
      if (*n == 0) break;
      std::span<const std::uint8_t> got(buf.data(), *n);
      if (!head_checked) {
        const std::size_t take = std::min<std::size_t>(16 - head.size(), got.size());
        head.append(as_chars(got.first(take)));
        got = got.subspan(take);
        if (head.size() < 16) continue;
        if (auto r = check_and_flush_head(); !r) return std::unexpected(std::move(r.error()));
      }
      if (!got.empty())
        if (auto r = sink(got); !r) return std::unexpected(std::move(r.error()));
    }
    if (!head_checked)
      if (auto r = check_and_flush_head(); !r) return std::unexpected(std::move(r.error()));
    if (received_ == 0) return fail(ErrorCode::net_no_data, std::string(no_data_message));
    return received_;
  }

  // Writes upload bytes (after send_request); errors explained.
  Result<void> write(std::span<const std::uint8_t> bytes) {
    auto w = conn_->write_all(bytes, options_.read_timeout);
    if (!w) return std::unexpected(explain(std::move(w.error())));
    sent_ += bytes.size();
    return {};
  }

  Result<void> shutdown_send() {
    auto r = conn_->shutdown_send();
    if (!r) return std::unexpected(explain(std::move(r.error())));
    return {};
  }

  // After a failed upload write: what did the server say, if anything? (An HTTP server answers
  // 400 before closing; a snapshotter says nothing.)
  std::string peek_answer() {
    std::array<std::uint8_t, 64> buf{};
    auto n = conn_->read_some(buf, std::chrono::milliseconds(500));
    if (!n || *n == 0) return {};
    return std::string(as_chars(std::span<const std::uint8_t>(buf.data(), *n)));
  }

  std::uint64_t received() const { return received_; }
  std::uint64_t sent() const { return sent_; }
  const std::string& what() const { return what_; }

  // Turns a socket-level error into one that says what was going on and what to do.
  Error explain(Error e) const {
    const std::string host = host_.text();
    if (e.code == ErrorCode::net_reset) {
      if (received_ == 0 && sent_ == 0)
        e.message = fmt::format(
            "{} reset the connection before answering {}: a remote influxd whose bind-address "
            "is the default 127.0.0.1:8088 only accepts local connections: set bind-address = "
            "\":8088\" (or the host's address) on the server",
            host, what_);
      else if (received_ == 0)
        e.message = fmt::format(
            "{} reset the connection after {} bytes of {}: the server stopped or refused it "
            "(see its log, service=snapshot)",
            host, sent_, what_);
      else
        e.message = fmt::format(
            "{} reset the connection after sending {} bytes of {}: the server stopped or failed "
            "mid-transfer (see its log); the transfer can be retried",
            host, received_, what_);
    } else if (e.code == ErrorCode::net_timeout && conn_) {
      e.message = fmt::format(
          "{} ({}{}): the server may be stuck or overloaded (see its log); if it is merely "
          "slow, allow it more time (the tools' --timeout)",
          e.message, received_ == 0 ? "waiting for " : "in the middle of ", what_,
          received_ == 0 ? std::string() : fmt::format(", after {} bytes", received_));
    } else if (e.code != ErrorCode::net_refused) {
      e.message = fmt::format("{}: {}", what_, e.message);
    }
    return e;
  }

 private:
  const HostPort& host_;
  const ClientOptions& options_;
  std::string what_;
  std::optional<TcpConnection> conn_;
  std::uint64_t received_ = 0;
  std::uint64_t sent_ = 0;
};

Error prefix_host(const HostPort& host, Error e) {
  e.message = fmt::format("{}: {}", host.text(), e.message);
  return e;
}

}  // namespace

Result<SnapshotClient> SnapshotClient::create(std::string_view host, ClientOptions options) {
  auto hp = parse_host_port(host);
  if (!hp) return std::unexpected(std::move(hp.error()));
  return SnapshotClient(std::move(*hp), std::move(options));
}

SnapshotClient::SnapshotClient(HostPort host, ClientOptions options)
    : host_(std::move(host)), options_(std::move(options)) {}

Result<meta::LegacyMeta> SnapshotClient::backup_meta(const ChunkSink& sink) {
  Exchange ex(host_, options_, "the metastore backup");
  Request req;
  req.type = RequestType::MetastoreBackup;
  if (auto r = ex.send_request(req); !r) return std::unexpected(std::move(r.error()));
  auto bytes = ex.read_all();
  if (!bytes) return std::unexpected(std::move(bytes.error()));
  if (bytes->empty())
    return fail(ErrorCode::net_no_data,
                fmt::format("{} closed the connection without sending the metastore: the server "
                            "failed to back it up (see its log, service=snapshot)",
                            host_.text()));
  if (looks_like_http(*bytes)) return std::unexpected(http_port_error(host_, *bytes));
  // §1.6.1 / §2.3: byte for byte a meta.NN file; libformat owns that layout.
  auto parsed = parse_meta_backup_response(as_bytes(*bytes));
  if (!parsed) {
    Error e = std::move(parsed.error());
    e.code = ErrorCode::net_protocol;
    e.message = fmt::format(
        "the metastore backup from {} is not a valid meta stream ({}); is "
        "this the RPC port? {}",
        host_.text(), e.message, kRpcPortHint);
    return std::unexpected(std::move(e));
  }
  if (sink) {
    const std::span<const std::uint8_t> all = as_bytes(*bytes);
    const std::size_t step = std::max<std::size_t>(options_.chunk_bytes, 1);
    for (std::size_t at = 0; at < all.size(); at += step)
      if (auto r = sink(all.subspan(at, std::min(step, all.size() - at))); !r)
        return std::unexpected(std::move(r.error()));
  }
  return std::move(*parsed);
}

namespace {

Result<std::vector<ShardPath>> fetch_paths(const HostPort& host, const ClientOptions& options, const Request& req,
                                           std::string what, std::string no_data_message) {
  Exchange ex(host, options, std::move(what));
  if (auto r = ex.send_request(req); !r) return std::unexpected(std::move(r.error()));
  auto bytes = ex.read_all();
  if (!bytes) return std::unexpected(std::move(bytes.error()));
  if (bytes->empty()) return fail(ErrorCode::net_no_data, std::move(no_data_message));
  if (looks_like_http(*bytes)) return std::unexpected(http_port_error(host, *bytes));
  auto paths = parse_info_response(*bytes);
  if (!paths) return std::unexpected(prefix_host(host, std::move(paths.error())));
  return paths;
}

}  // namespace

Result<std::vector<ShardPath>> SnapshotClient::database_info(std::string_view database) {
  Request req;
  req.type = RequestType::DatabaseInfo;
  req.backup_database = std::string(database);
  const std::string what = database.empty() ? std::string("the shard list of all databases")
                                            : fmt::format("the shard list of database \"{}\"", database);
  return fetch_paths(host_, options_, req, what,
                     fmt::format("{} sent nothing for {}: the database does not exist there "
                                 "(check SHOW DATABASES), or the server failed (see its log, "
                                 "service=snapshot)",
                                 host_.text(), what));
}

Result<std::vector<ShardPath>> SnapshotClient::retention_policy_info(std::string_view database,
                                                                     std::string_view retention_policy) {
  Request req;
  req.type = RequestType::RetentionPolicyInfo;
  req.backup_database = std::string(database);
  req.backup_retention_policy = std::string(retention_policy);
  const std::string what = fmt::format("the shard list of retention policy \"{}\".\"{}\"", database, retention_policy);
  return fetch_paths(host_, options_, req, what,
                     fmt::format("{} sent nothing for {}: the database or retention policy does "
                                 "not exist there (check SHOW RETENTION POLICIES ON \"{}\"), or "
                                 "the server failed (see its log, service=snapshot)",
                                 host_.text(), what, database));
}

namespace {

std::string no_data_for_shard(const HostPort& host, std::uint64_t shard_id) {
  return fmt::format(
      "no data returned for shard {}: the shard may not exist on {} (check SHOW "
      "SHARDS), or the server failed to snapshot it — see its log",
      shard_id, host.text());
}

Result<std::uint64_t> fetch_stream(const HostPort& host, const ClientOptions& options, const Request& req,
                                   const ChunkSink& sink) {
  if (!sink) return fail(ErrorCode::invalid_argument, "a shard stream needs a sink to write to");
  Exchange ex(host, options, fmt::format("shard {}", req.shard_id));
  if (auto r = ex.send_request(req); !r) return std::unexpected(std::move(r.error()));
  return ex.stream_to(sink, no_data_for_shard(host, req.shard_id));
}

}  // namespace

Result<std::uint64_t> SnapshotClient::backup_shard(std::uint64_t shard_id, const WireTime& since,
                                                   const ChunkSink& sink) {
  Request req;
  req.type = RequestType::ShardBackup;
  req.shard_id = shard_id;
  req.since = since;
  return fetch_stream(host_, options_, req, sink);
}

Result<std::uint64_t> SnapshotClient::export_shard(std::uint64_t shard_id, std::optional<WireTime> start,
                                                   std::optional<WireTime> end, const ChunkSink& sink) {
  Request req;
  req.type = RequestType::ShardExport;
  req.shard_id = shard_id;
  // §4.4 zero-time caveat, §10.4: never leave a bound at Go's zero time.
  req.export_start = start && !start->is_zero() ? *start : WireTime::from_unix_ns(kExportMinUnixNs);
  req.export_end = end && !end->is_zero() ? *end : WireTime::from_unix_ns(kExportMaxUnixNs);
  return fetch_stream(host_, options_, req, sink);
}

Result<ShardIdMap> SnapshotClient::import_meta(std::string_view meta_blob, std::string_view backup_database,
                                               std::string_view restore_database,
                                               std::string_view backup_retention_policy,
                                               std::string_view restore_retention_policy) {
  Request req;
  req.type = RequestType::MetaStoreUpdate;
  req.backup_database = std::string(backup_database);
  req.restore_database = std::string(restore_database);
  req.backup_retention_policy = std::string(backup_retention_policy);
  req.restore_retention_policy = std::string(restore_retention_policy);
  req.payload = meta_blob;  // UploadSize = its length, never negative (§1.5)
  Exchange ex(host_, options_, "the meta import");
  if (auto r = ex.send_request(req); !r) return std::unexpected(std::move(r.error()));
  auto bytes = ex.read_all();
  if (!bytes) return std::unexpected(std::move(bytes.error()));
  if (bytes->empty())
    return fail(ErrorCode::net_no_data, fmt::format("{} closed the connection without answering the meta import: the "
                                                    "server failed to apply it (see its log, service=snapshot)",
                                                    host_.text()));
  if (looks_like_http(*bytes)) return std::unexpected(http_port_error(host_, *bytes));
  auto map = parse_meta_update_response(as_bytes(*bytes));
  if (!map) return std::unexpected(prefix_host(host_, std::move(map.error())));
  return map;
}

Result<std::uint64_t> SnapshotClient::upload_shard(std::uint64_t new_shard_id, const ChunkSource& source) {
  if (!source) return fail(ErrorCode::invalid_argument, "a shard upload needs a source to read from");
  Exchange ex(host_, options_, fmt::format("the upload to shard {}", new_shard_id));
  Request req;
  req.type = RequestType::ShardUpdate;
  req.shard_id = new_shard_id;
  if (auto r = ex.send_request(req); !r) return std::unexpected(std::move(r.error()));

  auto failed_write = [&](Error e) -> Error {
    const std::string answer = ex.peek_answer();
    if (looks_like_http(answer)) return http_port_error(host_, answer);
    if (e.code == ErrorCode::net_reset)
      e.message = fmt::format(
          "{} reset the connection after {} bytes of the upload to shard {}: the server failed or "
          "the network cut it (see the server's log), or the shard does not exist there (the meta "
          "import creates it; check SHOW SHARDS)",
          host_.text(), ex.sent(), new_shard_id);
    return e;
  };

  std::vector<std::uint8_t> buf(std::max<std::size_t>(options_.chunk_bytes, 1));
  for (;;) {
    auto n = source(buf);
    if (!n) return std::unexpected(std::move(n.error()));
    if (*n == 0) break;
    if (auto w = ex.write(std::span<const std::uint8_t>(buf.data(), *n)); !w)
      return std::unexpected(failed_write(std::move(w.error())));
  }
  if (auto r = ex.shutdown_send(); !r) return std::unexpected(failed_write(std::move(r.error())));
  // §1.6.5: the server answers nothing and closes once the files are in place. Wait for that
  // close so the caller knows the shard is readable again.
  auto answer = ex.read_answer_after_upload();
  if (!answer) {
    if (answer.error().code == ErrorCode::net_reset) return std::unexpected(failed_write(std::move(answer.error())));
    return std::unexpected(std::move(answer.error()));
  }
  if (looks_like_http(*answer)) return std::unexpected(http_port_error(host_, *answer));
  if (!answer->empty())
    return fail(ErrorCode::net_protocol,
                fmt::format("{} answered the upload to shard {} with {} bytes; the snapshotter "
                            "sends none. {}",
                            host_.text(), new_shard_id, answer->size(), kRpcPortHint));
  return ex.sent();
}

bool is_retryable(const Error& error) {
  if (!is_network_error(error.code)) return false;
  return error.code != ErrorCode::net_http_port;
}

std::chrono::milliseconds RetryPolicy::wait_after(int failed_attempt) const {
  double ms = static_cast<double>(first_wait.count());
  for (int i = 1; i < failed_attempt && ms < static_cast<double>(max_wait.count()); ++i) ms *= factor;
  ms = std::min(ms, static_cast<double>(max_wait.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

Result<void> run_with_retries(const RetryPolicy& policy, const std::function<Result<void>()>& attempt,
                              const std::function<Result<void>()>& reset) {
  const int attempts = std::max(policy.attempts, 1);
  for (int i = 1;; ++i) {
    auto r = attempt();
    if (r) return {};
    Error e = std::move(r.error());
    if (!is_retryable(e)) return std::unexpected(std::move(e));
    if (i >= attempts) {
      if (attempts > 1) e.message = fmt::format("{} (gave up after {} attempts)", e.message, attempts);
      return std::unexpected(std::move(e));
    }
    const auto wait = policy.wait_after(i);
    if (policy.on_retry) policy.on_retry(i, e, wait);
    if (policy.sleep) policy.sleep(wait);
    else std::this_thread::sleep_for(wait);
    // §1.8: the next attempt must not append to what this one wrote.
    if (reset)
      if (auto rr = reset(); !rr) return std::unexpected(std::move(rr.error()));
  }
}

}  // namespace ifx::net
