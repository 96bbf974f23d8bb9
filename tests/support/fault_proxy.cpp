#include "support/fault_proxy.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

namespace ifx::test {
namespace {

int connect_loopback(std::uint16_t port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(s);
    return -1;
  }
  return s;
}

bool send_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t k = ::send(fd, p, n, MSG_NOSIGNAL);
    if (k <= 0) return false;
    p += k;
    n -= static_cast<std::size_t>(k);
  }
  return true;
}

// RST instead of FIN: linger on with a zero timeout, then close.
void reset_close(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

}  // namespace

int request_type(const std::string& request) {
  return request.size() >= 2 ? static_cast<unsigned char>(request[1]) : -1;
}

int listen_on_loopback(int backlog, std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, backlog) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  port = ntohs(a.sin_port);
  return fd;
}

FaultProxy::FaultProxy(std::uint16_t upstream_port, FaultPolicy policy)
    : upstream_(upstream_port), policy_(std::move(policy)) {
  fd_ = listen_on_loopback(64, port_);
  accept_thread_ = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
  stop_ = true;
  accept_thread_.join();
  std::lock_guard lock(m_);
  for (auto& t : pumps_) t.join();
  ::close(fd_);
}

std::string FaultProxy::address() const { return fmt::format("127.0.0.1:{}", port_); }

void FaultProxy::accept_loop() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) != 1) continue;
    const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    ++connections_;
    std::lock_guard lock(m_);
    pumps_.emplace_back([this, c] { pump(c); });
  }
}

void FaultProxy::pump(int client) {
  int server = connect_loopback(upstream_);
  if (server < 0) {  // upstream down: the client sees its connection closed, as a dead server's
    ::close(client);
    return;
  }
  std::string request;
  std::optional<Fault> fault;
  std::size_t forwarded[2] = {0, 0};  // by Direction
  bool stalled = false, client_open = true, fired = false;
  std::chrono::steady_clock::time_point stalled_at;
  auto fire = [&] {
    if (!fired) ++faults_;
    fired = true;
  };
  char buf[16384];
  // Forwards bytes read from `from` to `to` in direction `d`, applying the fault. False: the
  // connection is over (both sockets are closed by the caller, or already were by a reset).
  auto forward = [&](int from, int to, Direction d, bool& reset_done) -> bool {
    std::size_t want = sizeof buf;
    const bool faulted_dir = fault && fault->kind != FaultKind::none && fault->direction == d;
    if (faulted_dir) {
      const std::size_t left = fault->after_bytes > forwarded[int(d)] ? fault->after_bytes - forwarded[int(d)] : 0;
      if (left == 0) {
        switch (fault->kind) {
          case FaultKind::close:
            fire();
            return false;
          case FaultKind::reset:
            fire();
            reset_close(client);
            reset_done = true;
            return false;
          case FaultKind::stall:
            fire();
            stalled = true;
            stalled_at = std::chrono::steady_clock::now();
            return true;
          case FaultKind::drip:
            fire();
            want = std::min(want, fault->drip_bytes);
            break;
          case FaultKind::flip:  // below, on the first byte past after_bytes
          case FaultKind::none:
            break;
        }
      } else {
        want = std::min(want, left);
      }
    }
    const ssize_t n = ::recv(from, buf, want, 0);
    if (n <= 0) {
      if (from == client) {  // the client finished sending (an upload's end): pass the half-close on
        client_open = false;
        ::shutdown(server, SHUT_WR);
        return true;
      }
      return false;
    }
    if (from == client && !fault) {
      request.append(buf, static_cast<std::size_t>(n));
      if (request.size() >= 2) fault = policy_ ? policy_(request) : Fault{};
    }
    if (faulted_dir && fault->kind == FaultKind::flip && !fired && forwarded[int(d)] <= fault->after_bytes &&
        fault->after_bytes < forwarded[int(d)] + static_cast<std::size_t>(n)) {
      fire();
      buf[fault->after_bytes - forwarded[int(d)]] ^= 0x20;
    }
    if (!send_all(to, buf, static_cast<std::size_t>(n))) return false;
    forwarded[int(d)] += static_cast<std::size_t>(n);
    if (faulted_dir && fault->kind == FaultKind::drip && forwarded[int(d)] > fault->after_bytes)
      std::this_thread::sleep_for(fault->drip_every);
    return true;
  };

  bool reset_done = false;
  while (!stop_) {
    if (stalled) {
      // Nothing forwarded or read any more. A FIN from the client is not its giving up (an
      // upload half-closes after its last byte and then waits for the server), so only an
      // error or a full hang-up ends the stall; otherwise the proxy's destruction does.
      pollfd p{client, 0, 0};
      if (::poll(&p, 1, 50) > 0 && (p.revents & (POLLHUP | POLLERR))) break;
      if (fault->stall_for.count() > 0 && std::chrono::steady_clock::now() - stalled_at >= fault->stall_for) break;
      continue;
    }
    // A fault due before any byte flows in its direction (after_bytes 0 on a quiet side).
    if (fault && fault->kind != FaultKind::none && fault->kind != FaultKind::drip && fault->kind != FaultKind::flip &&
        fault->after_bytes == 0 && forwarded[int(fault->direction)] == 0) {
      if (fault->kind == FaultKind::stall) {
        fire();
        stalled = true;
        stalled_at = std::chrono::steady_clock::now();
        continue;
      }
      fire();
      if (fault->kind == FaultKind::reset) {
        reset_close(client);
        reset_done = true;
      }
      break;
    }
    pollfd p[2] = {{client, static_cast<short>(client_open ? POLLIN : 0), 0}, {server, POLLIN, 0}};
    if (::poll(p, 2, 50) < 0) break;
    if (client_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
      if (!forward(client, server, Direction::to_server, reset_done)) break;
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
      if (!forward(server, client, Direction::to_client, reset_done)) break;
  }
  ::close(server);
  if (!reset_done) ::close(client);
}

}  // namespace ifx::test
