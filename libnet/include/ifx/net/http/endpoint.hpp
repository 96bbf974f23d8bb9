// Where InfluxDB's HTTP API listens and who talks to it: the URL a user gives (or the one guessed
// from the snapshotter RPC's host), and basic-auth credentials from INFLUX_USERNAME /
// INFLUX_PASSWORD as the influx CLI reads them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ifx/format/error.hpp"

namespace ifx::net {

// Port of InfluxDB's HTTP API when only the RPC host is known.
inline constexpr std::uint16_t kDefaultHttpPort = 8086;

struct HttpEndpoint {
  std::string host;  // name or address; IPv6 without brackets
  std::uint16_t port = kDefaultHttpPort;
  std::string base_path;  // e.g. "/influx" behind a proxy; "" normally
  std::string username;   // basic auth, empty = none
  std::string password;

  std::string url() const;  // "http://host:port[/base]", "http://[v6]:port[/base]"
};

// "http://host[:port][/path]" (the scheme may be left out). https is refused with a message
// (no TLS here); a bad host or port is "usage" too, since the text comes from the command line.
Result<HttpEndpoint> parse_http_url(std::string_view url);
// The HTTP API on the host of an RPC address ("h:8088" → http://h:8086; unparsable → localhost).
HttpEndpoint http_endpoint_for_rpc_host(std::string_view rpc_host);
// INFLUX_USERNAME (when set and not empty) and INFLUX_PASSWORD (when set) into `ep`.
void apply_env_credentials(HttpEndpoint& ep);

// The value of an Authorization header for basic auth (RFC 7617): "Basic base64(user:pass)".
std::string basic_auth_header(std::string_view username, std::string_view password);

// Percent-encoding of one value of a URL query or an application/x-www-form-urlencoded body:
// every byte but ALPHA / DIGIT / "-" / "." / "_" / "~" as %XX.
std::string url_encode(std::string_view s);

}  // namespace ifx::net
