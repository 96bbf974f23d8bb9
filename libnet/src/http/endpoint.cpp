#include "ifx/net/http/endpoint.hpp"

#include <openssl/evp.h>

#include <cstdlib>

#include <fmt/format.h>

#include "ifx/net/tcp_connection.hpp"

namespace ifx::net {

std::string HttpEndpoint::url() const { return fmt::format("http://{}{}", HostPort{host, port}.text(), base_path); }

Result<HttpEndpoint> parse_http_url(std::string_view url) {
  if (url.starts_with("https://"))
    return fail(ErrorCode::usage, fmt::format("--http {}: https is not supported; give the plain http:// address of "
                                              "InfluxDB's HTTP API (e.g. http://127.0.0.1:8086)",
                                              url));
  std::string_view rest = url;
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  HttpEndpoint ep;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    ep.base_path = std::string(rest.substr(slash));
    while (ep.base_path.ends_with('/')) ep.base_path.pop_back();
    rest = rest.substr(0, slash);
  }
  auto hp = parse_host_port(rest, kDefaultHttpPort);
  if (!hp)
    return fail(ErrorCode::usage, fmt::format("--http {}: expected http://host:port (e.g. http://127.0.0.1:8086): {}",
                                              url, hp.error().message));
  ep.host = hp->host;
  ep.port = hp->port;
  return ep;
}

HttpEndpoint http_endpoint_for_rpc_host(std::string_view rpc_host) {
  HttpEndpoint ep;
  auto hp = parse_host_port(rpc_host);
  ep.host = hp ? hp->host : std::string("localhost");
  ep.port = kDefaultHttpPort;
  return ep;
}

void apply_env_credentials(HttpEndpoint& ep) {
  if (const char* u = std::getenv("INFLUX_USERNAME"); u && *u) ep.username = u;
  if (const char* p = std::getenv("INFLUX_PASSWORD"); p) ep.password = p;
}

std::string basic_auth_header(std::string_view username, std::string_view password) {
  const std::string plain = fmt::format("{}:{}", username, password);
  // EVP_EncodeBlock writes 4 characters per started 3 bytes and a terminating NUL.
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  encoded.resize(static_cast<std::size_t>(n));
  return "Basic " + encoded;
}

std::string url_encode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '_' || c == '.' || c == '~';
    if (unreserved) out += static_cast<char>(c);
    else fmt::format_to(std::back_inserter(out), "%{:02X}", c);
  }
  return out;
}

}  // namespace ifx::net
