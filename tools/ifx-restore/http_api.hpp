// InfluxDB's HTTP API, as much of it as a restore needs: InfluxQL over /query (SHOW DATABASES,
// DROP DATABASE, the count that proves restored data answers, CREATE CONTINUOUS QUERY, GRANT) and
// /write for --merge. The snapshotter RPC has no way to ask "does this database exist?" or "can
// the data be queried yet?" (FORMATS.md §1.7), so the restore asks the HTTP API.
//
// One HTTP/1.0 exchange per request (the server closes after the answer, never chunked), basic
// auth from INFLUX_USERNAME / INFLUX_PASSWORD as the influx CLI reads them.
//
// Error codes: "http-unreachable" (connect/timeout/reset: names the URL and says to pass --http),
// "http-status" (a non-2xx answer: status and the server's error text), "http-auth" (401/403 to
// a query: credentials missing or not an admin's), "http-query" (a
// statement error inside a 200 answer), "http-protocol" (not an HTTP answer or not JSON).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx/format/error.hpp"

namespace ifx::restore {

// Port of InfluxDB's HTTP API when only the RPC host is known.
inline constexpr std::uint16_t kDefaultHttpPort = 8086;

struct HttpEndpoint {
  std::string host;
  std::uint16_t port = kDefaultHttpPort;
  std::string base_path;  // e.g. "/influx" behind a proxy; "" normally
  std::string username;   // basic auth, empty = none
  std::string password;

  std::string url() const;  // "http://host:port[/base]"
};

// "http://host[:port][/path]"; https is refused with a message (no TLS here).
Result<HttpEndpoint> parse_http_url(std::string_view url);
// The HTTP API on the host of an RPC address ("h:8088" → http://h:8086).
HttpEndpoint http_endpoint_for_rpc_host(std::string_view rpc_host);
// INFLUX_USERNAME / INFLUX_PASSWORD into `ep` (left alone when unset).
void apply_env_credentials(HttpEndpoint& ep);

struct HttpAnswer {
  int status = 0;
  std::string body;
};

class InfluxHttp {
 public:
  explicit InfluxHttp(HttpEndpoint endpoint,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));

  const HttpEndpoint& endpoint() const { return endpoint_; }

  // Any status comes back as an answer; only transport failures are errors.
  Result<HttpAnswer> exchange(std::string_view method, std::string_view target, std::string_view body,
                              std::string_view content_type,
                              const std::vector<std::string>& extra_headers = {}) const;

  // GET /ping: 204 expected.
  Result<void> ping() const;
  // POST /query (epoch=ns); the "results" array. A statement error is "http-query".
  Result<nlohmann::json> query(std::string_view influxql, std::string_view db = {}) const;
  // The first statement's "series" ([] when none).
  Result<nlohmann::json> series(std::string_view influxql, std::string_view db = {}) const;
  Result<std::vector<std::string>> databases() const;
  // POST /write?db=&rp=&precision=ns with a gzip body (Content-Encoding: gzip).
  Result<HttpAnswer> write_gzip(std::string_view db, std::string_view rp,
                                std::string_view gzip_body) const;

 private:
  HttpEndpoint endpoint_;
  std::chrono::milliseconds timeout_;
};

// InfluxQL quoting: "ident" with \ and " escaped.
std::string quote_ident(std::string_view name);
std::string url_encode(std::string_view s);

}  // namespace ifx::restore
