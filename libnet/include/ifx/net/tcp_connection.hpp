// A blocking TCP connection whose every step has a deadline (Boost.Asio underneath, kept out of
// this header). The snapshot client opens one per request (docs/FORMATS.md §1.1), and so does the
// HTTP API client (http/influx_http.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ifx/format/error.hpp"

namespace ifx::net {

// influxd's default snapshotter port (`bind-address`, §1.1).
inline constexpr std::uint16_t kDefaultRpcPort = 8088;

struct HostPort {
  std::string host;  // name or address; IPv6 without brackets
  std::uint16_t port = kDefaultRpcPort;

  std::string text() const;  // "host:port", "[v6]:port"
};

// "host:port", "[v6addr]:port", ":port" (→ localhost, as Go dials it), or "host" (→ the default
// port). A bad port or empty text: "invalid-argument".
Result<HostPort> parse_host_port(std::string_view text, std::uint16_t default_port = kDefaultRpcPort);

// "2 s", "0.5 s", "150 ms": how timeouts are written in messages.
std::string describe_duration(std::chrono::milliseconds d);

// Errors (messages name the host and say what to do):
//   net-refused      nothing listens there (ECONNREFUSED)
//   net-unreachable  the name does not resolve, or no route to the host
//   net-timeout      connect, write or read did not complete within its bound
//   net-reset        the peer reset the connection (ECONNRESET, EPIPE)
//   net-io           any other socket error (with the system's text)
class TcpConnection {
 public:
  static Result<TcpConnection> connect(const HostPort& where, std::chrono::milliseconds timeout);

  TcpConnection(TcpConnection&&) noexcept;
  TcpConnection& operator=(TcpConnection&&) noexcept;
  ~TcpConnection();

  // Sends all buffers as one gather write (writev/sendmsg): one system call for small requests,
  // which 1.6.7's single-read payload bug needs (§1.5).
  Result<void> write_all(std::span<const std::span<const std::uint8_t>> buffers, std::chrono::milliseconds timeout);
  Result<void> write_all(std::span<const std::uint8_t> bytes, std::chrono::milliseconds timeout);
  // Up to out.size() bytes; 0 means the peer closed its side (EOF). "net-timeout" when no byte
  // arrives within `timeout`.
  Result<std::size_t> read_some(std::span<std::uint8_t> out, std::chrono::milliseconds timeout);
  // Half-close: tells the peer we are done sending.
  Result<void> shutdown_send();

  const HostPort& peer() const;
  // Bytes handed to the kernel that the peer has not acknowledged yet (SIOCOUTQ); nullopt when
  // the system cannot say. Lets a caller tell a slow link (the queue drains) from a stall.
  std::optional<std::size_t> unacknowledged_bytes() const;

 private:
  struct State;
  explicit TcpConnection(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ifx::net
