#include "ifx/net/tcp_connection.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <vector>

namespace ifx::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

std::string HostPort::text() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Result<HostPort> parse_host_port(std::string_view text, std::uint16_t default_port) {
  if (text.empty())
    return fail(ErrorCode::invalid_argument, "the host is empty; expected host:port, e.g. localhost:8088");
  HostPort out;
  out.port = default_port;
  std::string_view port_text;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos)
      return fail(ErrorCode::invalid_argument, fmt::format("host \"{}\" opens '[' without closing it", text));
    out.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return fail(ErrorCode::invalid_argument, fmt::format("host \"{}\": expected ':' after ']'", text));
      port_text = rest.substr(1);
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon)
      return fail(ErrorCode::invalid_argument,
                  fmt::format("host \"{}\": write an IPv6 address in brackets, e.g. [::1]:8088", text));
    if (colon == std::string_view::npos) {
      out.host = std::string(text);
    } else {
      out.host = std::string(text.substr(0, colon));
      port_text = text.substr(colon + 1);
      if (port_text.empty())
        return fail(ErrorCode::invalid_argument, fmt::format("host \"{}\" has an empty port", text));
    }
  }
  if (out.host.empty()) out.host = "localhost";  // Go dials ":8088" on the local system
  if (!port_text.empty()) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || v == 0 || v > 65535)
      return fail(ErrorCode::invalid_argument,
                  fmt::format("host \"{}\": port \"{}\" is not a number from 1 to 65535", text, port_text));
    out.port = static_cast<std::uint16_t>(v);
  }
  return out;
}

std::string describe_duration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms < 1000) return fmt::format("{} ms", ms);
  if (ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
  return fmt::format("{:g} s", static_cast<double>(ms) / 1000.0);
}

struct TcpConnection::State {
  asio::io_context io;
  tcp::socket socket{io};
  HostPort peer;

  // Runs the one outstanding operation started by `start` for at most `timeout`; on expiry
  // cancels it (`cancel`) and lets its handler run. Returns nullopt on timeout.
  template <class Start, class Cancel>
  std::optional<error_code> run(std::chrono::milliseconds timeout, Start start, Cancel cancel,
                                std::size_t* transferred = nullptr) {
    std::optional<error_code> result;
    start([&](const error_code& ec, std::size_t n = 0) {
      result = ec;
      if (transferred) *transferred = n;
    });
    io.restart();
    io.run_for(timeout);
    if (result) return result;
    cancel();
    io.restart();
    io.run();  // the aborted handler
    return std::nullopt;
  }
};

namespace {

Error socket_error(const HostPort& peer, const error_code& ec, std::string_view doing) {
  const std::string where = peer.text();
  if (ec == asio::error::connection_refused)
    return Error{ErrorCode::net_refused,
                 fmt::format("connection refused at {}: is influxd running, and does its config "
                             "set `bind-address` to this address?",
                             where)};
  // ENOTCONN: shutdown() after the peer's reset already tore the connection down.
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
      ec == asio::error::not_connected)
    return Error{ErrorCode::net_reset, fmt::format("{} reset the connection while {}", where, doing)};
  if (ec == asio::error::host_unreachable || ec == asio::error::network_unreachable ||
      ec == asio::error::host_not_found || ec == asio::error::host_not_found_try_again || ec == asio::error::no_data)
    return Error{
        ErrorCode::net_unreachable,
        fmt::format("cannot reach {} while {}: {} (check the host name and the network)", where, doing, ec.message())};
  if (ec == asio::error::timed_out)
    return Error{ErrorCode::net_timeout, fmt::format("{} timed out (the system gave up) while {}", where, doing)};
  return Error{ErrorCode::net_io, fmt::format("{} while {} with {}", ec.message(), doing, where)};
}

}  // namespace

TcpConnection::TcpConnection(std::unique_ptr<State> state) : state_(std::move(state)) {}
TcpConnection::TcpConnection(TcpConnection&&) noexcept = default;
TcpConnection& TcpConnection::operator=(TcpConnection&&) noexcept = default;
TcpConnection::~TcpConnection() {
  if (state_) {
    error_code ignored;
    state_->socket.close(ignored);
  }
}

const HostPort& TcpConnection::peer() const { return state_->peer; }

std::optional<std::size_t> TcpConnection::unacknowledged_bytes() const {
  int queued = 0;
  if (::ioctl(state_->socket.native_handle(), SIOCOUTQ, &queued) != 0 || queued < 0) return std::nullopt;
  return static_cast<std::size_t>(queued);
}

Result<TcpConnection> TcpConnection::connect(const HostPort& where, std::chrono::milliseconds timeout) {
  try {
    auto st = std::make_unique<State>();
    st->peer = where;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto left = [&] {
      return std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                        deadline - std::chrono::steady_clock::now()));
    };
    auto timed_out = [&] {
      return Error{ErrorCode::net_timeout,
                   fmt::format("no connection to {} within {}: is the host up, and is a firewall "
                               "dropping the port?",
                               where.text(), describe_duration(timeout))};
    };

    tcp::resolver resolver(st->io);
    tcp::resolver::results_type endpoints;
    auto rec = st->run(
        left(),
        [&](auto handler) {
          resolver.async_resolve(where.host, std::to_string(where.port),
                                 [&, handler](const error_code& ec, tcp::resolver::results_type r) mutable {
                                   endpoints = std::move(r);
                                   handler(ec);
                                 });
        },
        [&] { resolver.cancel(); });
    if (!rec) return std::unexpected(timed_out());
    if (*rec) return std::unexpected(socket_error(where, *rec, "resolving its name"));

    auto cec = st->run(
        left(),
        [&](auto handler) {
          asio::async_connect(st->socket, endpoints,
                              [handler](const error_code& ec, const tcp::endpoint&) mutable { handler(ec); });
        },
        [&] {
          error_code ignored;
          st->socket.close(ignored);
        });
    if (!cec) return std::unexpected(timed_out());
    if (*cec) return std::unexpected(socket_error(where, *cec, "connecting"));
    error_code ignored;
    st->socket.set_option(tcp::no_delay(true), ignored);
    return TcpConnection(std::move(st));
  } catch (const std::exception& e) {  // allocation or asio setup failures stay inside
    return fail(ErrorCode::net_io, fmt::format("cannot connect to {}: {}", where.text(), e.what()));
  }
}

Result<void> TcpConnection::write_all(std::span<const std::span<const std::uint8_t>> buffers,
                                      std::chrono::milliseconds timeout) {
  std::vector<asio::const_buffer> seq;
  seq.reserve(buffers.size());
  for (auto b : buffers) seq.emplace_back(b.data(), b.size());
  auto ec = state_->run(
      timeout,
      [&](auto handler) {
        asio::async_write(state_->socket, seq,
                          [handler](const error_code& e, std::size_t n) mutable { handler(e, n); });
      },
      [&] {
        error_code ignored;
        state_->socket.cancel(ignored);
      });
  if (!ec)
    return fail(ErrorCode::net_timeout, fmt::format("{} accepted no data for {} while we were sending",
                                                    state_->peer.text(), describe_duration(timeout)));
  if (*ec) return std::unexpected(socket_error(state_->peer, *ec, "sending"));
  return {};
}

Result<void> TcpConnection::write_all(std::span<const std::uint8_t> bytes, std::chrono::milliseconds timeout) {
  const std::span<const std::uint8_t> one[] = {bytes};
  return write_all(std::span<const std::span<const std::uint8_t>>(one), timeout);
}

Result<std::size_t> TcpConnection::read_some(std::span<std::uint8_t> out, std::chrono::milliseconds timeout) {
  std::size_t n = 0;
  auto ec = state_->run(
      timeout,
      [&](auto handler) {
        state_->socket.async_read_some(asio::buffer(out.data(), out.size()),
                                       [handler](const error_code& e, std::size_t k) mutable { handler(e, k); });
      },
      [&] {
        error_code ignored;
        state_->socket.cancel(ignored);
      },
      &n);
  if (!ec)
    return fail(ErrorCode::net_timeout,
                fmt::format("{} sent no byte for {}", state_->peer.text(), describe_duration(timeout)));
  if (*ec == asio::error::eof) return std::size_t{0};
  if (*ec) return std::unexpected(socket_error(state_->peer, *ec, "receiving"));
  return n;
}

Result<void> TcpConnection::shutdown_send() {
  error_code ec;
  state_->socket.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return std::unexpected(socket_error(state_->peer, ec, "closing our side"));
  return {};
}

}  // namespace ifx::net
