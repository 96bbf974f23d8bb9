#include "ifx/net/http/influx_http.hpp"

#include "ifx/format/text/rfc3339.hpp"

#include <charconv>
#include <span>

#include <fmt/format.h>

#include "ifx/net/tcp_connection.hpp"

namespace ifx::net {
namespace {

constexpr std::size_t kMaxAnswerBytes = 256u << 20;  // a count or SHOW answer is tiny

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The server's own words: influxd answers errors as {"error":"..."}.
std::string error_text(const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object() && doc.contains("error") && doc["error"].is_string())
    return doc["error"].get<std::string>();
  return body.substr(0, 300);
}

}  // namespace

InfluxHttp::InfluxHttp(HttpEndpoint endpoint, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {}

Result<HttpAnswer> InfluxHttp::exchange(std::string_view method, std::string_view target, std::string_view body,
                                        std::string_view content_type,
                                        const std::vector<std::string>& extra_headers) const {
  const std::string where = endpoint_.url();
  auto unreachable = [&](const Error& e) {
    return fail(ErrorCode::http_unreachable,
                fmt::format("InfluxDB's HTTP API at {} did not answer ({}): pass --http http://HOST:PORT if it "
                            "listens elsewhere",
                            where, e.message));
  };
  const HostPort peer{endpoint_.host, endpoint_.port};
  auto conn = TcpConnection::connect(peer, timeout_);
  if (!conn) return unreachable(conn.error());
  std::string head = fmt::format("{} {}{} HTTP/1.0\r\nHost: {}\r\nContent-Length: {}\r\n", method, endpoint_.base_path,
                                 target, peer.text(), body.size());
  if (!content_type.empty()) head += fmt::format("Content-Type: {}\r\n", content_type);
  if (!endpoint_.username.empty())
    head += fmt::format("Authorization: {}\r\n", basic_auth_header(endpoint_.username, endpoint_.password));
  for (const auto& h : extra_headers) head += h + "\r\n";
  head += "\r\n";
  const std::span<const std::uint8_t> parts[] = {bytes_of(head), bytes_of(body)};
  if (auto w = conn->write_all(parts, timeout_); !w) return unreachable(w.error());
  std::string answer;
  std::string buf(64 * 1024, '\0');
  for (;;) {
    auto n = conn->read_some(std::span(reinterpret_cast<std::uint8_t*>(buf.data()), buf.size()), timeout_);
    if (!n) return unreachable(n.error());
    if (*n == 0) break;
    answer.append(buf.data(), *n);
    if (answer.size() > kMaxAnswerBytes)
      return fail(ErrorCode::http_protocol,
                  fmt::format("{} {}{}: the answer exceeds {} bytes", method, where, target, kMaxAnswerBytes));
  }
  const auto header_end = answer.find("\r\n\r\n");
  if (!answer.starts_with("HTTP/") || header_end == std::string::npos)
    return fail(ErrorCode::http_protocol,
                fmt::format("{} {}{}: not an HTTP answer (starts \"{}\"): is this InfluxDB's HTTP "
                            "port?",
                            method, where, target, answer.substr(0, 40)));
  HttpAnswer r;
  const auto sp = answer.find(' ');
  std::from_chars(answer.data() + sp + 1, answer.data() + header_end, r.status);
  r.body = answer.substr(header_end + 4);
  return r;
}

Result<void> InfluxHttp::ping() const {
  auto a = exchange("GET", "/ping", {}, {});
  if (!a) return std::unexpected(a.error());
  if (a->status != 204)
    return fail(
        ErrorCode::http_status,
        fmt::format("GET {}/ping answered HTTP {} (expected 204): is this InfluxDB 1.x?", endpoint_.url(), a->status));
  return {};
}

Result<nlohmann::json> InfluxHttp::query(std::string_view influxql, std::string_view db) const {
  std::string body = "q=" + url_encode(influxql) + "&epoch=ns";
  if (!db.empty()) body += "&db=" + url_encode(db);
  auto a = exchange("POST", "/query", body, "application/x-www-form-urlencoded");
  if (!a) return std::unexpected(a.error());
  if (a->status == 401 || a->status == 403)
    return fail(ErrorCode::http_auth, fmt::format("{} refused the query (HTTP {}: {}): set INFLUX_USERNAME and "
                                                  "INFLUX_PASSWORD for an admin user",
                                                  endpoint_.url(), a->status, error_text(a->body)));
  if (a->status != 200)
    return fail(ErrorCode::http_status, fmt::format("query \"{}\" at {} answered HTTP {}: {}", influxql,
                                                    endpoint_.url(), a->status, error_text(a->body)));
  auto doc = nlohmann::json::parse(a->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return fail(ErrorCode::http_protocol,
                fmt::format("query \"{}\" at {}: the answer is not JSON", influxql, endpoint_.url()));
  if (doc.contains("error"))
    return fail(ErrorCode::http_query, fmt::format("query \"{}\" failed: {}", influxql, doc["error"].dump()));
  nlohmann::json results = doc.value("results", nlohmann::json::array());
  for (const auto& r : results)
    if (r.contains("error"))
      return fail(ErrorCode::http_query,
                  fmt::format("query \"{}\" failed: {}", influxql,
                              r["error"].is_string() ? r["error"].get<std::string>() : r["error"].dump()));
  return results;
}

Result<nlohmann::json> InfluxHttp::series(std::string_view influxql, std::string_view db) const {
  auto r = query(influxql, db);
  if (!r) return r;
  if (r->empty() || !(*r)[0].contains("series")) return nlohmann::json::array();
  return (*r)[0]["series"];
}

Result<std::vector<std::string>> InfluxHttp::databases() const {
  auto s = series("SHOW DATABASES");
  if (!s) return std::unexpected(s.error());
  std::vector<std::string> out;
  for (const auto& one : *s)
    for (const auto& row : one.value("values", nlohmann::json::array()))
      if (!row.empty() && row[0].is_string()) out.push_back(row[0].get<std::string>());
  return out;
}

Result<HttpAnswer> InfluxHttp::write(std::string_view db, std::string_view rp, std::string_view lines,
                                     std::string_view precision) const {
  return post_write(db, rp, precision, lines, false);
}

Result<HttpAnswer> InfluxHttp::write_gzip(std::string_view db, std::string_view rp, std::string_view gzip_body) const {
  return post_write(db, rp, "ns", gzip_body, true);
}

Result<HttpAnswer> InfluxHttp::post_write(std::string_view db, std::string_view rp, std::string_view precision,
                                          std::string_view body, bool gzip) const {
  std::string target = "/write?db=" + url_encode(db) + "&precision=" + url_encode(precision);
  if (!rp.empty()) target += "&rp=" + url_encode(rp);
  std::vector<std::string> headers;
  if (gzip) headers.emplace_back("Content-Encoding: gzip");
  return exchange("POST", target, body, "text/plain; charset=utf-8", headers);
}

Result<std::int64_t> InfluxHttp::server_time_ns() const {
  auto s = series("SHOW DIAGNOSTICS FOR 'system'");
  if (!s) return std::unexpected(s.error());
  for (const auto& one : *s) {
    const auto& columns = one.value("columns", nlohmann::json::array());
    const auto& values = one.value("values", nlohmann::json::array());
    for (std::size_t c = 0; c < columns.size() && !values.empty(); ++c)
      if (columns[c] == "currentTime" && values[0].size() > c && values[0][c].is_string())
        if (auto t = text::parse_rfc3339(values[0][c].get<std::string>())) return t->unix_ns;
  }
  return fail(ErrorCode::http_protocol,
              fmt::format("SHOW DIAGNOSTICS at {} gave no system currentTime: {}", endpoint_.url(), s->dump()));
}

Result<std::map<std::uint64_t, std::uint64_t>> InfluxHttp::tsm_file_counts() const {
  return per_shard_stat("tsm1_filestore", "numFiles");
}

Result<std::map<std::uint64_t, std::uint64_t>> InfluxHttp::cache_bytes() const {
  return per_shard_stat("tsm1_cache", "memBytes");
}

Result<std::map<std::uint64_t, std::uint64_t>> InfluxHttp::per_shard_stat(std::string_view module,
                                                                          std::string_view column) const {
  auto s = series(fmt::format("SHOW STATS FOR '{}'", module));
  if (!s) return std::unexpected(s.error());
  std::map<std::uint64_t, std::uint64_t> out;
  for (const auto& one : *s) {
    const auto tags = one.value("tags", nlohmann::json::object());
    const auto& columns = one.value("columns", nlohmann::json::array());
    const auto& values = one.value("values", nlohmann::json::array());
    if (!tags.contains("id") || !tags["id"].is_string() || values.empty()) continue;
    std::uint64_t id = 0;
    const std::string id_text = tags["id"].get<std::string>();
    if (std::from_chars(id_text.data(), id_text.data() + id_text.size(), id).ec != std::errc{}) continue;
    for (std::size_t c = 0; c < columns.size(); ++c)
      if (columns[c] == column && values[0].size() > c && values[0][c].is_number_unsigned())
        out[id] = values[0][c].get<std::uint64_t>();
  }
  return out;
}

Result<InfluxHttp> connect_influx_http(const std::optional<std::string>& url, std::string_view rpc_host,
                                       std::optional<std::chrono::milliseconds> timeout) {
  constexpr std::chrono::milliseconds kGuessedFirstLook{5000};
  HttpEndpoint ep;
  if (url) {
    auto parsed = parse_http_url(*url);
    if (!parsed) return std::unexpected(parsed.error());
    ep = *parsed;
  } else {
    ep = http_endpoint_for_rpc_host(rpc_host);
  }
  apply_env_credentials(ep);
  InfluxHttp http = timeout ? InfluxHttp(ep, *timeout) : InfluxHttp(ep);
  const InfluxHttp first_look = url ? http
                                    : InfluxHttp(ep, std::min<std::chrono::milliseconds>(
                                                         timeout.value_or(kGuessedFirstLook), kGuessedFirstLook));
  if (auto r = first_look.ping(); !r) return std::unexpected(r.error());
  // /ping answers without credentials: a query shows whether the API can be used (http-auth).
  if (auto r = http.databases(); !r) return std::unexpected(r.error());
  return http;
}

}  // namespace ifx::net
