// libnet's InfluxDB HTTP API client without an influxd: URL parsing, credentials, encodings, and
// the bytes of one exchange against a socket on 127.0.0.1 that answers once with a given text.
// The exchanges with a real influxd 1.6.7 are in tests/integration (restore_test, and every test
// through the influxd harness).
#include "ifx/net/http/influx_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/influxd.hpp"

namespace {

using ifx::net::HttpEndpoint;
using ifx::net::InfluxHttp;

// ---- parse_http_url ----------------------------------------------------------------------------

TEST(ParseHttpUrl, HostPortAndDefaultPort) {
  auto ep = ifx::net::parse_http_url("http://127.0.0.1:9086");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, 9086);
  EXPECT_EQ(ep->base_path, "");
  EXPECT_EQ(ep->url(), "http://127.0.0.1:9086");

  ep = ifx::net::parse_http_url("http://influx.example");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_EQ(ep->host, "influx.example");
  EXPECT_EQ(ep->port, ifx::net::kDefaultHttpPort);
  EXPECT_EQ(ep->url(), "http://influx.example:8086");

  ep = ifx::net::parse_http_url("db-host:8087");  // the scheme may be left out
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_EQ(ep->host, "db-host");
  EXPECT_EQ(ep->port, 8087);
}

TEST(ParseHttpUrl, Ipv6HostsInBrackets) {
  auto ep = ifx::net::parse_http_url("http://[::1]:9999");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, 9999);
  EXPECT_EQ(ep->url(), "http://[::1]:9999");

  ep = ifx::net::parse_http_url("http://[fe80::1]");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_EQ(ep->host, "fe80::1");
  EXPECT_EQ(ep->port, 8086);

  auto bare = ifx::net::parse_http_url("http://::1:8086");
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().code, ifx::ErrorCode::usage);
  EXPECT_NE(bare.error().message.find("in brackets"), std::string::npos) << bare.error().message;
}

TEST(ParseHttpUrl, BasePathBehindAProxyWithoutTrailingSlashes) {
  auto ep = ifx::net::parse_http_url("http://proxy:80/influx//");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_EQ(ep->host, "proxy");
  EXPECT_EQ(ep->port, 80);
  EXPECT_EQ(ep->base_path, "/influx");
  EXPECT_EQ(ep->url(), "http://proxy:80/influx");

  ep = ifx::net::parse_http_url("http://[::1]:8086/a/b/");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_EQ(ep->base_path, "/a/b");
  EXPECT_EQ(ep->url(), "http://[::1]:8086/a/b");

  ep = ifx::net::parse_http_url("http://h:1/");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_EQ(ep->base_path, "");
}

TEST(ParseHttpUrl, HttpsIsRefusedWithTheWayOut) {
  auto ep = ifx::net::parse_http_url("https://127.0.0.1:8086");
  ASSERT_FALSE(ep);
  EXPECT_EQ(ep.error().code, ifx::ErrorCode::usage);
  EXPECT_EQ(ep.error().message,
            "--http https://127.0.0.1:8086: https is not supported; give the plain http:// address of InfluxDB's "
            "HTTP API (e.g. http://127.0.0.1:8086)");
}

TEST(ParseHttpUrl, BadPortOrEmptyHostIsUsage) {
  for (const char* url : {"http://h:0", "http://h:65536", "http://h:80x", "http://h:", "http://", "http://[::1"}) {
    auto ep = ifx::net::parse_http_url(url);
    ASSERT_FALSE(ep) << url;
    EXPECT_EQ(ep.error().code, ifx::ErrorCode::usage) << url;
    EXPECT_TRUE(ep.error().message.starts_with(std::string("--http ") + url + ": expected http://host:port"))
        << ep.error().message;
  }
}

// ---- http_endpoint_for_rpc_host ------------------------------------------------------------------

TEST(HttpEndpointForRpcHost, SameHostPort8086) {
  EXPECT_EQ(ifx::net::http_endpoint_for_rpc_host("db1:8088").url(), "http://db1:8086");
  EXPECT_EQ(ifx::net::http_endpoint_for_rpc_host("db1:18088").url(), "http://db1:8086");
  EXPECT_EQ(ifx::net::http_endpoint_for_rpc_host("10.0.0.7").url(), "http://10.0.0.7:8086");
  const HttpEndpoint v6 = ifx::net::http_endpoint_for_rpc_host("[::1]:8088");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.url(), "http://[::1]:8086");
  // ":8088" is the local system, as Go dials it; text that is no address falls back to it too.
  EXPECT_EQ(ifx::net::http_endpoint_for_rpc_host(":8088").url(), "http://localhost:8086");
  EXPECT_EQ(ifx::net::http_endpoint_for_rpc_host("").url(), "http://localhost:8086");
  EXPECT_EQ(ifx::net::http_endpoint_for_rpc_host("h:notaport").url(), "http://localhost:8086");
  EXPECT_TRUE(ifx::net::http_endpoint_for_rpc_host("db1:8088").username.empty());
}

// ---- apply_env_credentials -----------------------------------------------------------------------

class EnvCredentials : public ::testing::Test {
 protected:
  void SetUp() override { clear(); }
  void TearDown() override { clear(); }
  static void clear() {
    ::unsetenv("INFLUX_USERNAME");
    ::unsetenv("INFLUX_PASSWORD");
  }
};

TEST_F(EnvCredentials, SetVariablesFillTheEndpoint) {
  ::setenv("INFLUX_USERNAME", "admin", 1);
  ::setenv("INFLUX_PASSWORD", "s3cret", 1);
  HttpEndpoint ep;
  ifx::net::apply_env_credentials(ep);
  EXPECT_EQ(ep.username, "admin");
  EXPECT_EQ(ep.password, "s3cret");
}

TEST_F(EnvCredentials, UnsetOrEmptyUsernameLeavesTheEndpointAlone) {
  HttpEndpoint ep;
  ep.username = "given";
  ep.password = "given-pw";
  ifx::net::apply_env_credentials(ep);
  EXPECT_EQ(ep.username, "given");
  EXPECT_EQ(ep.password, "given-pw");
  ::setenv("INFLUX_USERNAME", "", 1);
  ::setenv("INFLUX_PASSWORD", "", 1);  // an empty password is a password
  ifx::net::apply_env_credentials(ep);
  EXPECT_EQ(ep.username, "given");
  EXPECT_EQ(ep.password, "");
}

// ---- encodings -----------------------------------------------------------------------------------

TEST(BasicAuthHeader, Rfc7617AndEveryPaddingLength) {
  EXPECT_EQ(ifx::net::basic_auth_header("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(ifx::net::basic_auth_header("a", ""), "Basic YTo=");
  EXPECT_EQ(ifx::net::basic_auth_header("ab", ""), "Basic YWI6");
  EXPECT_EQ(ifx::net::basic_auth_header("", ""), "Basic Og==");
  EXPECT_EQ(ifx::net::basic_auth_header("admin", "p@ss:w0rd"), "Basic YWRtaW46cEBzczp3MHJk");
  EXPECT_EQ(ifx::net::basic_auth_header("j\xc3\xbcrgen", "p\xc3\xa4sswort"), "Basic asO8cmdlbjpww6Rzc3dvcnQ=");
  // Long enough for OpenSSL's line length (64 characters): EVP_EncodeBlock never breaks lines.
  const std::string header = ifx::net::basic_auth_header(std::string(100, 'u'), std::string(100, 'p'));
  EXPECT_EQ(header.size(), 6u + 4u * ((201u + 2u) / 3u));
  EXPECT_EQ(header.find('\n'), std::string::npos);
}

TEST(UrlEncode, UnreservedKeptEverythingElsePercentEncoded) {
  EXPECT_EQ(ifx::net::url_encode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(ifx::net::url_encode("a b&c=d/\xc3\xa9\"q\"\n"), "a%20b%26c%3Dd%2F%C3%A9%22q%22%0A");
  EXPECT_EQ(ifx::net::url_encode("SELECT * FROM \"m\" WHERE time > 0"),
            "SELECT%20%2A%20FROM%20%22m%22%20WHERE%20time%20%3E%200");
  EXPECT_EQ(ifx::net::url_encode(std::string("\0+%", 3)), "%00%2B%25");
  EXPECT_EQ(ifx::net::url_encode(""), "");
}

// ---- one exchange, byte for byte -----------------------------------------------------------------

// A listener on 127.0.0.1 that takes one connection, reads one request (head and Content-Length
// body) and answers `answer`, then closes: what an HTTP/1.0 server does.
class OneAnswer {
 public:
  explicit OneAnswer(std::string answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 1) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~OneAnswer() {
    finish();
    ::close(fd_);
  }

  std::uint16_t port() const { return port_; }
  // The request as received (after the answer went out).
  const std::string& request() {
    finish();
    return request_;
  }

 private:
  void serve() {
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    std::size_t want = std::string::npos;
    while (request_.size() < want) {
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      request_.append(buf, static_cast<std::size_t>(n));
      const auto end = request_.find("\r\n\r\n");
      if (want == std::string::npos && end != std::string::npos) {
        const auto cl = request_.find("Content-Length: ");
        const std::size_t body = cl == std::string::npos ? 0 : std::stoul(request_.substr(cl + 16));
        want = end + 4 + body;
      }
    }
    for (std::size_t off = 0; off < answer_.size();) {
      const ssize_t n = ::write(c, answer_.data() + off, answer_.size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    ::close(c);
  }

  void finish() {
    if (!thread_.joinable()) return;
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept() when nobody connected
    thread_.join();
  }

  std::string answer_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::string request_;
  std::thread thread_;
};

HttpEndpoint local(std::uint16_t port) {
  HttpEndpoint ep;
  ep.host = "127.0.0.1";
  ep.port = port;
  return ep;
}

TEST(InfluxHttpExchange, QueryRequestWithCredentialsAndBasePath) {
  OneAnswer server(
      "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n"
      "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"databases\",\"columns\":[\"name\"],"
      "\"values\":[[\"_internal\"],[\"db 1\"]]}]}]}");
  HttpEndpoint ep = local(server.port());
  ep.base_path = "/influx";
  ep.username = "Aladdin";
  ep.password = "open sesame";
  auto names = InfluxHttp(ep, std::chrono::seconds(10)).databases();
  ASSERT_TRUE(names) << names.error().message;
  EXPECT_EQ(*names, (std::vector<std::string>{"_internal", "db 1"}));
  const std::string body = "q=SHOW%20DATABASES&epoch=ns";
  EXPECT_EQ(server.request(), fmt::format("POST /influx/query HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\n"
                                          "Content-Type: application/x-www-form-urlencoded\r\n"
                                          "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n{}",
                                          server.port(), body.size(), body));
}

TEST(InfluxHttpExchange, GzipWriteCarriesDbRpPrecisionAndEncoding) {
  OneAnswer server("HTTP/1.0 204 No Content\r\n\r\n");
  const std::string gz("\x1f\x8b\x08\x00", 4);
  auto a = InfluxHttp(local(server.port()), std::chrono::seconds(10)).write_gzip("my db", "rp/1", gz);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->status, 204);
  EXPECT_EQ(a->body, "");
  EXPECT_EQ(server.request(), fmt::format("POST /write?db=my%20db&precision=ns&rp=rp%2F1 HTTP/1.0\r\n"
                                          "Host: 127.0.0.1:{}\r\nContent-Length: 4\r\n"
                                          "Content-Type: text/plain; charset=utf-8\r\n"
                                          "Content-Encoding: gzip\r\n\r\n{}",
                                          server.port(), gz));
}

TEST(InfluxHttpExchange, PlainWriteWithPrecisionAndNoRp) {
  OneAnswer server("HTTP/1.0 204 No Content\r\n\r\n");
  auto a = InfluxHttp(local(server.port()), std::chrono::seconds(10)).write("db", "", "m v=1 1\n", "s");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(server.request(), fmt::format("POST /write?db=db&precision=s HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n"
                                          "Content-Length: 8\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                                          "m v=1 1\n",
                                          server.port()));
}

TEST(InfluxHttpExchange, AnyStatusIsAnAnswer) {
  OneAnswer server("HTTP/1.0 400 Bad Request\r\nX-Influxdb-Version: 1.6.7\r\n\r\n{\"error\":\"partial write\"}");
  auto a = InfluxHttp(local(server.port()), std::chrono::seconds(10)).exchange("GET", "/x", {}, {});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->status, 400);
  EXPECT_EQ(a->body, "{\"error\":\"partial write\"}");
  EXPECT_TRUE(server.request().starts_with("GET /x HTTP/1.0\r\n")) << server.request();
}

TEST(InfluxHttpErrors, UnauthorizedQueryIsHttpAuth) {
  OneAnswer server("HTTP/1.0 401 Unauthorized\r\n\r\n{\"error\":\"unable to parse authentication credentials\"}");
  auto r = InfluxHttp(local(server.port()), std::chrono::seconds(10)).query("SHOW DATABASES");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::http_auth);
  EXPECT_EQ(r.error().message,
            fmt::format("http://127.0.0.1:{} refused the query (HTTP 401: unable to parse authentication "
                        "credentials): set INFLUX_USERNAME and INFLUX_PASSWORD for an admin user",
                        server.port()));
}

TEST(InfluxHttpErrors, ServerErrorIsHttpStatusWithTheServersWords) {
  OneAnswer server("HTTP/1.0 500 Internal Server Error\r\n\r\n{\"error\":\"engine is closed\"}");
  auto r = InfluxHttp(local(server.port()), std::chrono::seconds(10)).series("SELECT 1", "db");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::http_status);
  EXPECT_EQ(r.error().message, fmt::format("query \"SELECT 1\" at http://127.0.0.1:{} answered HTTP 500: engine is "
                                           "closed",
                                           server.port()));
}

TEST(InfluxHttpErrors, StatementErrorInA200IsHttpQuery) {
  OneAnswer server("HTTP/1.0 200 OK\r\n\r\n{\"results\":[{\"statement_id\":0,\"error\":\"database not found: x\"}]}");
  auto r = InfluxHttp(local(server.port()), std::chrono::seconds(10)).query("SHOW MEASUREMENTS", "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::http_query);
  EXPECT_EQ(r.error().message, "query \"SHOW MEASUREMENTS\" failed: database not found: x");
}

TEST(InfluxHttpErrors, ParseErrorInA400IsHttpStatus) {
  // influxd answers an InfluxQL syntax error with 400 and {"error": "error parsing query: ..."}.
  OneAnswer server("HTTP/1.0 400 Bad Request\r\n\r\n{\"error\":\"error parsing query: found EOF\"}");
  auto r = InfluxHttp(local(server.port()), std::chrono::seconds(10)).query("SELECT");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::http_status);
  EXPECT_NE(r.error().message.find("answered HTTP 400: error parsing query: found EOF"), std::string::npos);
}

TEST(InfluxHttpErrors, NotJsonOrNotHttpIsHttpProtocol) {
  {
    OneAnswer server("HTTP/1.0 200 OK\r\n\r\n<html>proxy</html>");
    auto r = InfluxHttp(local(server.port()), std::chrono::seconds(10)).query("SHOW DATABASES");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ifx::ErrorCode::http_protocol);
    EXPECT_NE(r.error().message.find("the answer is not JSON"), std::string::npos) << r.error().message;
  }
  {
    OneAnswer server(std::string("\x00\x00\x00\x01snapshotter", 15));
    auto r = InfluxHttp(local(server.port()), std::chrono::seconds(10)).ping();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ifx::ErrorCode::http_protocol);
    EXPECT_NE(r.error().message.find("not an HTTP answer"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("is this InfluxDB's HTTP port?"), std::string::npos) << r.error().message;
  }
}

TEST(InfluxHttpErrors, PingWantsA204) {
  OneAnswer server("HTTP/1.0 200 OK\r\n\r\nok");
  auto r = InfluxHttp(local(server.port()), std::chrono::seconds(10)).ping();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::http_status);
  EXPECT_EQ(r.error().message, fmt::format("GET http://127.0.0.1:{}/ping answered HTTP 200 (expected 204): is this "
                                           "InfluxDB 1.x?",
                                           server.port()));
}

TEST(InfluxHttpErrors, NothingListeningIsHttpUnreachable) {
  const std::uint16_t port = ifx::test::free_port();  // bound, read and closed again: nobody listens
  auto r = InfluxHttp(local(port), std::chrono::seconds(5)).ping();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ifx::ErrorCode::http_unreachable);
  EXPECT_TRUE(
      r.error().message.starts_with(fmt::format("InfluxDB's HTTP API at http://127.0.0.1:{} did not answer (", port)))
      << r.error().message;
  EXPECT_TRUE(r.error().message.ends_with("): pass --http http://HOST:PORT if it listens elsewhere"))
      << r.error().message;
}

}  // namespace
