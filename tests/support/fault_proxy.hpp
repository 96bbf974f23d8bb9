// A loopback TCP proxy that misbehaves on purpose, in front of influxd's snapshotter port: for
// each connection it shows the client's first bytes (the request: mux byte 0x03, the type byte,
// then JSON or, for an upload, the shard ID and the tar, docs/FORMATS.md §1.5, §1.6.5) to a policy,
// which answers what fault that connection gets:
//   close  forward N bytes in one direction, then close both sides in order (FIN: a short but
//          orderly stream, as when influxd fails in the middle of a tar, §1.7)
//   reset  forward N bytes, then reset the client's connection (RST: ECONNRESET / EPIPE)
//   stall  forward N bytes, then forward nothing more either way and keep both sockets open
//          (a hung server or a black-holed route: only the client's timeouts end it; the
//          stalled connection itself lasts until the proxy is destroyed)
//   drip   forward N bytes, then at most `drip_bytes` every `drip_every` (a slow link)
// Test support only: setup failures are exceptions.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ifx::test {

// flip: one byte (the first after `after_bytes`) is XORed with 0x20 and the rest passes unchanged:
// a damaged answer that the transport cannot see.
enum class FaultKind { none, close, reset, stall, drip, flip };
enum class Direction { to_client, to_server };

struct Fault {
  FaultKind kind = FaultKind::none;
  Direction direction = Direction::to_client;
  std::size_t after_bytes = 0;  // bytes forwarded in `direction` before the fault starts
  std::size_t drip_bytes = 256;
  std::chrono::milliseconds drip_every{5};
  // stall: how long until the stalled connection is closed on both sides (a stall that ends as
  // a dead connection, so the server's handler is released too); 0: until the proxy is destroyed.
  std::chrono::milliseconds stall_for{0};
};

// Called once per connection with the client's first bytes (at least the mux and type bytes).
using FaultPolicy = std::function<Fault(const std::string& request)>;

// A TCP socket listening on 127.0.0.1 at a port the kernel picks, which is stored in `port`.
// Throws when it cannot listen.
int listen_on_loopback(int backlog, std::uint16_t& port);

// The request type of a snapshotter request (§1.2): the byte after the mux byte, or -1.
int request_type(const std::string& request);

class FaultProxy {
 public:
  FaultProxy(std::uint16_t upstream_port, FaultPolicy policy);
  ~FaultProxy();  // stops accepting, ends every connection (stalled ones too), joins
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::uint16_t port() const { return port_; }
  std::string address() const;  // "127.0.0.1:<port>"
  int connections() const { return connections_; }
  int faults() const { return faults_; }  // connections whose fault took effect

 private:
  void accept_loop();
  void pump(int client);

  std::uint16_t upstream_;
  FaultPolicy policy_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> faults_{0};
  std::mutex m_;
  std::thread accept_thread_;
  std::vector<std::thread> pumps_;
};

}  // namespace ifx::test
