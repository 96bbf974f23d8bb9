#include "support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "support/paths.hpp"

extern char** environ;

namespace ifx::test {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string tool(const std::string& name) { return (build_dir() / "tools" / name).string(); }

namespace {

std::string temp_name(const char* tag) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/ifx-child-" + tag + "-XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed for " + tmpl);
  ::close(fd);
  return tmpl;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) throw std::runtime_error("ChildProcess: empty argv");
  out_path_ = temp_name("out");
  err_path_ = temp_name("err");
  // Everything the child needs is built before fork: after it only async-signal-safe calls.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  const std::string out = out_path_.string(), err = err_path_.string(), cwd = options.cwd.string();
  rlimit limit{};
  if (options.file_size_limit) limit.rlim_cur = limit.rlim_max = *options.file_size_limit;

  std::error_code ec;
  exe_ = fs::canonical(argv[0], ec);
  started_ = std::chrono::steady_clock::now();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    const int in_fd = ::open("/dev/null", O_RDONLY);
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_TRUNC);
    const int err_fd = ::open(err.c_str(), O_WRONLY | O_TRUNC);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0) ::_exit(126);
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::setpgid(0, 0);  // its own group: a terminal's ^C in the test does not reach it twice
    if (options.file_size_limit) {
      ::signal(SIGXFSZ, SIG_IGN);  // inherited across exec: write(2) fails with EFBIG instead
      ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (!exit_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  std::error_code ec;
  fs::remove(out_path_, ec);
  fs::remove(err_path_, ec);
}

void ChildProcess::kill(int sig) {
  if (!exit_ && pid_ > 0) ::kill(pid_, sig);
}

void ChildProcess::sample_memory() {
  // Between fork and exec the child still is a copy of the test process: not the tool's memory.
  std::error_code ec;
  if (fs::read_symlink("/proc/" + std::to_string(pid_) + "/exe", ec) != exe_) return;
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("VmHWM:")) peak_kib_ = std::max(peak_kib_, std::atol(line.c_str() + 6));
}

bool ChildProcess::finished() {
  if (exit_) return true;
  sample_memory();
  int st = 0;
  rusage ru{};
  const pid_t r = ::wait4(pid_, &st, WNOHANG, &ru);
  if (r != pid_) return false;
  ProcessExit e;
  e.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
  // Not ru.ru_maxrss: Linux keeps the high-water mark across execve, so a forked child starts
  // with the test process's own size. VmHWM is per address space: polled while it runs.
  e.max_rss_kib = peak_kib_;
  if (WIFEXITED(st)) e.exit_code = WEXITSTATUS(st);
  if (WIFSIGNALED(st)) e.signal = WTERMSIG(st);
  exit_ = std::move(e);
  return true;
}

std::string ChildProcess::err_so_far() const { return read_file(err_path_); }

ProcessExit ChildProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  auto delay = 1ms;
  while (!finished()) {
    if (!timed_out && std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      timed_out = true;
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(5));
  }
  ProcessExit e = *exit_;
  e.timed_out = timed_out;
  e.out = read_file(out_path_);
  e.err = read_file(err_path_);
  return e;
}

ProcessExit run_process(const std::vector<std::string>& argv, const SpawnOptions& options,
                        std::chrono::milliseconds timeout) {
  ChildProcess p(argv, options);
  return p.wait(timeout);
}

std::vector<std::string> tree_of(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    out.push_back(fs::relative(it->path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ifx::test
