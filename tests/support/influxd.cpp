#include "support/influxd.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace ifx::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string influxd_binary() {
  const char* env = std::getenv("IFX_INFLUXD");
  return env && *env ? env : "/usr/bin/influxd";
}

namespace {

// A JSON string is a valid TOML basic string.
std::string toml_str(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }

std::string influxd_binary(const InfluxdOptions& o) {
  return o.binary.empty() ? ifx::test::influxd_binary() : o.binary;
}

// libnet's errors as the harness's exceptions.
template <class T>
T value_or_throw(Result<T> r) {
  if (!r) throw InfluxdError(fmt::format("{}: {}", r.error().code, r.error().message));
  return std::move(*r);
}

}  // namespace

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw InfluxdError(fmt::format("socket(): {}", std::strerror(errno)));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const int e = errno;
    ::close(fd);
    throw InfluxdError(fmt::format("cannot get a free port on 127.0.0.1: {}", std::strerror(e)));
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

net::HttpAnswer http_request(std::uint16_t port, std::string_view method, std::string_view target,
                             std::string_view body, std::string_view content_type, std::chrono::milliseconds timeout) {
  const net::InfluxHttp client(net::HttpEndpoint{.host = "127.0.0.1", .port = port}, timeout);
  return value_or_throw(client.exchange(method, target, body, content_type));
}

InfluxdServer::InfluxdServer(InfluxdOptions options) : options_(std::move(options)) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/ifx-influxd-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw InfluxdError("mkdtemp failed for " + tmpl);
  work_dir_ = tmpl;
}

std::unique_ptr<InfluxdServer> InfluxdServer::start(InfluxdOptions options) {
  std::unique_ptr<InfluxdServer> srv(new InfluxdServer(std::move(options)));
  srv->launch();  // on a throw, the destructor removes the directory
  return srv;
}

InfluxdServer::~InfluxdServer() {
  try {
    stop();
  } catch (...) {
  }
  std::error_code ec;
  fs::remove_all(work_dir_, ec);
}

std::string InfluxdServer::rpc_address() const { return fmt::format("127.0.0.1:{}", rpc_port_); }
std::string InfluxdServer::http_url() const { return fmt::format("http://127.0.0.1:{}", http_port_); }

net::InfluxHttp InfluxdServer::http(std::chrono::milliseconds timeout) const {
  return net::InfluxHttp(net::HttpEndpoint{.host = "127.0.0.1", .port = http_port_}, timeout);
}

void InfluxdServer::write_config() const {
  const fs::path d = work_dir_;
  std::map<std::string, std::string> data = {
      // Keep every TSM file a flush produces: no full compaction of a cold shard, no cold cache
      // snapshot (only a backup flushes the cache).
      {"compact-full-write-cold-duration", "\"1000h\""},
      {"cache-snapshot-write-cold-duration", "\"1000h\""},
      {"index-version", toml_str(options_.index_version)},
      {"query-log-enabled", "false"},
  };
  for (const auto& [k, v] : options_.data_settings) data[k] = v;
  std::ostringstream c;
  c << "reporting-disabled = true\n"
    << "bind-address = " << toml_str(fmt::format("127.0.0.1:{}", rpc_port_)) << "\n\n"
    << "[meta]\n  dir = " << toml_str((d / "meta").string()) << "\n  logging-enabled = false\n\n"
    << "[data]\n  dir = " << toml_str((d / "data").string()) << "\n  wal-dir = " << toml_str((d / "wal").string())
    << "\n";
  for (const auto& [k, v] : data) c << "  " << k << " = " << v << "\n";
  c << (options_.monitor_store ? "\n[monitor]\n  store-enabled = true\n  store-interval = \"1s\"\n"
                               : "\n[monitor]\n  store-enabled = false\n")  // no _internal racing the truth
    << "\n[retention]\n  enabled = false\n"                                 // nothing dropped behind our back
    << "\n[shard-precreation]\n  enabled = false\n"                         // no shard groups appearing meanwhile
    << "\n[continuous_queries]\n  enabled = false\n"                        // CQs are stored but never run
    << "\n[http]\n  bind-address = " << toml_str(fmt::format("127.0.0.1:{}", http_port_))
    << "\n  log-enabled = false\n  max-row-limit = 0\n  pprof-enabled = false\n"
    << "  auth-enabled = " << (options_.http_auth ? "true" : "false") << "\n"
    << "\n[logging]\n  level = \"info\"\n  suppress-logo = true\n\n"
    << options_.extra_config << "\n";
  std::ofstream out(config_path(), std::ios::trunc);
  out << c.str();
  if (!out) throw InfluxdError("cannot write " + config_path().string());
}

namespace {

// Servers this process started and has not stopped yet. A test that aborts (ASan with
// abort_on_error, a failed assert) runs no destructors, so without this its influxd processes
// would outlive it; the SIGABRT/SIGTERM handler kills them (kill() is async-signal-safe) and
// then lets the signal do what it would have done.
constexpr int kMaxLive = 64;
std::atomic<pid_t> g_live[kMaxLive];

void kill_live_servers(int sig) {
  for (auto& slot : g_live)
    if (const pid_t p = slot.load(); p > 0) ::kill(p, SIGKILL);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void remember_live(pid_t pid) {
  static const bool installed = [] {
    for (int sig : {SIGABRT, SIGTERM}) {
      struct sigaction sa {};
      sa.sa_handler = kill_live_servers;
      ::sigaction(sig, &sa, nullptr);
    }
    return true;
  }();
  (void)installed;
  for (auto& slot : g_live) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid)) return;
  }
}

void forget_live(pid_t pid) {
  for (auto& slot : g_live) {
    pid_t p = pid;
    if (slot.compare_exchange_strong(p, 0)) return;
  }
}

}  // namespace

void InfluxdServer::spawn() {
  const std::string bin = influxd_binary(options_);
  const std::string cfg = config_path().string();
  const std::string log = log_path().string();
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addchdir_np(&fa, work_dir_.c_str());
  // Own session: a terminal's Ctrl-C reaches the test, which then stops the server itself.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  const char* argv[] = {bin.c_str(), "run", "-config", cfg.c_str(), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, bin.c_str(), &fa, &attr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw InfluxdError(fmt::format("cannot start {}: {}", bin, std::strerror(rc)));
  pid_ = pid;
  remember_live(pid);
}

bool InfluxdServer::exited(int* status) {
  if (pid_ <= 0) return true;
  int st = 0;
  const pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    forget_live(pid_);
    pid_ = -1;
    if (status) *status = st;
    return true;
  }
  return false;
}

void InfluxdServer::wait_ready() {
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  auto delay = 20ms;
  for (;;) {
    int status = 0;
    if (exited(&status))
      throw InfluxdError(
          fmt::format("influxd exited (status {}) before answering /ping; log tail:\n{}", status, log_tail()));
    if (http(2s).ping()) return;  // else not listening yet
    if (std::chrono::steady_clock::now() > deadline)
      throw InfluxdError(fmt::format("influxd did not answer GET /ping with 204 within {} s; log tail:\n{}",
                                     options_.start_timeout.count(), log_tail()));
    std::this_thread::sleep_for(delay);  // poll interval, not a readiness guess
    delay = std::min(delay * 2, std::chrono::milliseconds(250));
  }
}

void InfluxdServer::launch() {
  for (int attempt = 1;; ++attempt) {
    rpc_port_ = free_port();
    if (options_.http_port != 0) http_port_ = options_.http_port;
    else do
        http_port_ = free_port();
      while (http_port_ == rpc_port_);
    write_config();
    spawn();
    try {
      wait_ready();
      return;
    } catch (const InfluxdError&) {
      stop();
      // Another process took a port between free_port() and influxd's bind: try fresh ones.
      if (attempt >= 3 || log_tail(40).find("address already in use") == std::string::npos) throw;
    }
  }
}

void InfluxdServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (!exited(nullptr)) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill();
      return;
    }
    std::this_thread::sleep_for(10ms);
  }
}

void InfluxdServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  forget_live(pid_);
  pid_ = -1;
}

void InfluxdServer::restart() {
  stop();
  launch();
}

std::string InfluxdServer::log_tail(int lines) const {
  std::ifstream in(log_path(), std::ios::binary);
  if (!in) return "(no log)";
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(std::move(line));
  std::string out;
  for (std::size_t i = all.size() > static_cast<std::size_t>(lines) ? all.size() - lines : 0; i < all.size(); ++i)
    out += all[i] + "\n";
  return out;
}

void InfluxdServer::write(std::string_view db, std::string_view lines, std::string_view rp,
                          std::string_view precision) {
  const auto r = value_or_throw(http().write(db, rp, lines, precision));
  if (r.status != 204) throw InfluxdError(fmt::format("write to \"{}\" failed with HTTP {}: {}", db, r.status, r.body));
}

void InfluxdServer::write(std::string_view db, const std::vector<std::string>& lines, std::string_view rp,
                          std::string_view precision) {
  std::string body;
  for (const auto& l : lines) body += l + "\n";
  write(db, body, rp, precision);
}

nlohmann::json InfluxdServer::query(std::string_view q, std::string_view db) {
  return value_or_throw(http().query(q, db));
}

nlohmann::json InfluxdServer::series(std::string_view q, std::string_view db) {
  return value_or_throw(http().series(q, db));
}

void InfluxdServer::create_database(std::string_view name) {
  query("CREATE DATABASE " + text::quote_influxql_ident(name));
}

}  // namespace ifx::test
