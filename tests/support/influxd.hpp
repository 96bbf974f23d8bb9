// A throw-away real influxd for integration tests (the C++ twin of scripts/influxd_harness.py).
//
//   auto srv = ifx::test::InfluxdServer::start();          // throws InfluxdError on failure
//   srv->create_database("db");
//   srv->write("db", {"m v=1 0"});
//   auto results = srv->query("SELECT count(v) FROM m", "db");   // the "results" array
//
// Each server gets its own temp directory (config, meta/data/wal dirs, log file) and two free
// 127.0.0.1 ports: the snapshotter RPC (`bind-address`) and HTTP. Readiness: GET /ping polled
// until 204, bounded; a failure carries the log tail. Stop: SIGTERM to the PID we started, a
// bounded wait, then SIGKILL. HTTP goes through libnet's client (ifx/net/http/influx_http.hpp).
// Test support only: errors are exceptions (gtest reports them).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ifx/format/text/influxql.hpp"
#include "ifx/net/http/influx_http.hpp"

namespace ifx::test {

class InfluxdError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct InfluxdOptions {
  std::string index_version = "inmem";  // or "tsi1"
  // Extra or overriding [data] keys, values written as TOML (quote strings yourself: "\"1h\"").
  std::map<std::string, std::string> data_settings;
  // Appended verbatim at the end of the config (whole sections).
  std::string extra_config;
  std::chrono::seconds start_timeout{30};
  // [http] auth-enabled: queries then need credentials (the helpers below send none, so only
  // /ping, the RPC and http_request with u= and p= work).
  bool http_auth = false;
  // [monitor] store-enabled with a 1 s interval: the server writes its `_internal` database, as
  // every influxd with the default config does (off by default here: it would race the truth).
  bool monitor_store = false;
  // The HTTP port; 0: a free one. A fixed port (8086, to test what a tool does by default) must be
  // checked free first: /ping readiness would otherwise accept another server's answer.
  std::uint16_t http_port = 0;
  // Empty: $IFX_INFLUXD or /usr/bin/influxd.
  std::string binary;
};

// One HTTP/1.0 exchange with 127.0.0.1:port (InfluxHttp::exchange, no credentials). Throws
// InfluxdError on a transport failure or an answer that is not HTTP; any status comes back.
net::HttpAnswer http_request(std::uint16_t port, std::string_view method, std::string_view target,
                             std::string_view body = {}, std::string_view content_type = {},
                             std::chrono::milliseconds timeout = std::chrono::seconds(60));

// The influxd the tests run: $IFX_INFLUXD, else /usr/bin/influxd.
std::string influxd_binary();

// A port the kernel just handed out on 127.0.0.1 (bound to 0, read, closed again).
std::uint16_t free_port();

// The tests' short names for the encodings libnet and libformat own.
using net::url_encode;
inline std::string quote_ident(std::string_view name) { return text::quote_influxql_ident(name); }

class InfluxdServer {
 public:
  static std::unique_ptr<InfluxdServer> start(InfluxdOptions options = {});
  ~InfluxdServer();  // stops the server and removes its temp directory
  InfluxdServer(const InfluxdServer&) = delete;
  InfluxdServer& operator=(const InfluxdServer&) = delete;

  std::string rpc_address() const;  // "127.0.0.1:<port>"
  std::uint16_t rpc_port() const { return rpc_port_; }
  std::uint16_t http_port() const { return http_port_; }
  std::string http_url() const;  // "http://127.0.0.1:<port>"
  const std::filesystem::path& work_dir() const { return work_dir_; }
  std::filesystem::path data_dir() const { return work_dir_ / "data"; }
  std::filesystem::path meta_dir() const { return work_dir_ / "meta"; }
  std::filesystem::path wal_dir() const { return work_dir_ / "wal"; }
  std::filesystem::path config_path() const { return work_dir_ / "influxd.conf"; }
  std::filesystem::path log_path() const { return work_dir_ / "influxd.log"; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // POST /write; throws unless the server answers 204.
  void write(std::string_view db, std::string_view lines, std::string_view rp = "", std::string_view precision = "ns");
  void write(std::string_view db, const std::vector<std::string>& lines, std::string_view rp = "",
             std::string_view precision = "ns");
  // POST /query with epoch=ns; returns the "results" array. Throws on HTTP errors or when any
  // statement reports an error.
  nlohmann::json query(std::string_view q, std::string_view db = "");
  // The "series" array of the first statement ([] when it has none).
  nlohmann::json series(std::string_view q, std::string_view db = "");
  void create_database(std::string_view name);
  // libnet's client for this server's HTTP API (no credentials; the port changes on restart()).
  net::InfluxHttp http(std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

  // SIGTERM, wait up to 15 s, SIGKILL. Safe to call twice.
  void stop();
  // SIGKILL and reap, as a crash stops it: the cache is not flushed, the WAL stays as it was.
  void kill();
  // stop() then start again over the same directories (fresh ports if the old ones are taken).
  void restart();
  // The last `lines` lines of the server log.
  std::string log_tail(int lines = 30) const;

 private:
  explicit InfluxdServer(InfluxdOptions options);
  void launch();  // pick ports, write config, spawn, wait for /ping
  void write_config() const;
  void spawn();
  void wait_ready();
  bool exited(int* status);  // reaps the child if it has exited

  InfluxdOptions options_;
  std::filesystem::path work_dir_;
  std::uint16_t rpc_port_ = 0;
  std::uint16_t http_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace ifx::test
