// InfluxDB 1.x's HTTP API, the part the tools and tests use: GET /ping, InfluxQL over POST
// /query, and POST /write. The snapshotter RPC cannot ask "does this database exist?" or "can the
// data be queried yet?" (docs/FORMATS.md §1.7); this client can.
//
// One HTTP/1.0 exchange per request over a TcpConnection (the server closes after the answer and
// never uses chunked encoding), basic auth when the endpoint carries a username.
//
// Error codes:
//   http-unreachable  connect, send or read failed (refused, timeout, reset): names the URL and
//                     says to pass --http
//   http-status       a non-2xx answer where success was required: status and the server's text
//   http-auth         401/403 to a query: credentials missing or not an admin's
//   http-query        a statement error inside a 200 answer
//   http-protocol     not an HTTP answer, not JSON, or an answer over 256 MiB
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx/format/error.hpp"
#include "ifx/net/http/endpoint.hpp"

namespace ifx::net {

struct HttpAnswer {
  int status = 0;
  std::string body;
};

class InfluxHttp {
 public:
  explicit InfluxHttp(HttpEndpoint endpoint, std::chrono::milliseconds timeout = std::chrono::seconds(60));

  const HttpEndpoint& endpoint() const { return endpoint_; }

  // One request to endpoint().base_path + target. Any status comes back as an answer; only
  // transport failures and answers that are not HTTP are errors.
  Result<HttpAnswer> exchange(std::string_view method, std::string_view target, std::string_view body,
                              std::string_view content_type, const std::vector<std::string>& extra_headers = {}) const;

  // GET /ping: 204 expected ("http-status" otherwise). Answers without credentials.
  Result<void> ping() const;
  // POST /query (epoch=ns); the "results" array. A statement error is "http-query".
  Result<nlohmann::json> query(std::string_view influxql, std::string_view db = {}) const;
  // The first statement's "series" ([] when none).
  Result<nlohmann::json> series(std::string_view influxql, std::string_view db = {}) const;
  // SHOW DATABASES, the names in the server's order.
  Result<std::vector<std::string>> databases() const;
  // The server's own clock, to the nanosecond (SHOW DIAGNOSTICS FOR 'system': currentTime).
  // "http-protocol" when the answer has no parseable time.
  Result<std::int64_t> server_time_ns() const;
  // How many TSM files each shard of the server has now, by shard ID (SHOW STATS FOR
  // 'tsm1_filestore': numFiles, read live from each shard's file store).
  Result<std::map<std::uint64_t, std::uint64_t>> tsm_file_counts() const;
  // The bytes each shard's cache holds now (points not yet in a TSM file), by shard ID (SHOW
  // STATS FOR 'tsm1_cache': memBytes).
  Result<std::map<std::uint64_t, std::uint64_t>> cache_bytes() const;
  // POST /write?db=&precision=[&rp=] of line protocol. Any status comes back (204: written).
  Result<HttpAnswer> write(std::string_view db, std::string_view rp, std::string_view lines,
                           std::string_view precision = "ns") const;
  // The same with a gzip body (Content-Encoding: gzip), precision ns.
  Result<HttpAnswer> write_gzip(std::string_view db, std::string_view rp, std::string_view gzip_body) const;

 private:
  // One integer column of SHOW STATS FOR '<module>', by the series' shard ID tag ("id").
  Result<std::map<std::uint64_t, std::uint64_t>> per_shard_stat(std::string_view module, std::string_view column) const;
  Result<HttpAnswer> post_write(std::string_view db, std::string_view rp, std::string_view precision,
                                std::string_view body, bool gzip) const;

  HttpEndpoint endpoint_;
  std::chrono::milliseconds timeout_;
};

// The HTTP API a tool talks to: `url` when the user gave one (--http), else the snapshotter RPC
// host's address with port 8086; credentials from INFLUX_USERNAME / INFLUX_PASSWORD. A guessed
// address gets a short first look (5 s at most), so a firewall that drops packets to it does not
// hold the caller for the whole timeout; then a query proves the API usable ("http-auth" when it
// needs credentials it was not given).
Result<InfluxHttp> connect_influx_http(const std::optional<std::string>& url, std::string_view rpc_host,
                                       std::optional<std::chrono::milliseconds> timeout = std::nullopt);

}  // namespace ifx::net
