// Running a tool as a separate process, the way a user or a crash would meet it: spawn it, kill it
// at a chosen moment (SIGKILL: no destructor, no atexit runs), or run it to its end with a bound,
// and read what it printed, its exit code, how long it took and its peak memory.
//
//   auto r = ifx::test::run_process({tool("ifx-verify"), dir});          // to the end
//   ifx::test::ChildProcess p({tool("ifx-backup"), ...});                // or spawn …
//   std::this_thread::sleep_for(40ms); p.kill();                          // … and kill -9
//
// fork + execv (only async-signal-safe calls between them), so the child can get a file size
// limit (RLIMIT_FSIZE with SIGXFSZ ignored: write(2) then fails with EFBIG, which is how a full
// disk looks to a tool when no small file system can be mounted). Test support only: failures to
// spawn are exceptions.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ifx::test {

struct SpawnOptions {
  std::map<std::string, std::string> env;        // set (or override) in the child
  std::optional<std::uint64_t> file_size_limit;  // RLIMIT_FSIZE in bytes; SIGXFSZ ignored
  std::filesystem::path cwd;                     // working directory; empty: the test's
};

struct ProcessExit {
  int exit_code = -1;    // -1 when killed by a signal
  int signal = 0;        // the signal that ended it, 0 when it exited
  long max_rss_kib = 0;  // peak resident memory (VmHWM of the tool, sampled every few ms)
  std::chrono::milliseconds elapsed{0};
  bool timed_out = false;  // run_process killed it at its bound
  std::string out, err;
};

// <build>/tools/<name>
std::string tool(const std::string& name);

class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv, const SpawnOptions& options = {});
  ~ChildProcess();  // a child still running is killed (SIGKILL) and reaped
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `sig`; a no-op once the child has been reaped.
  void kill(int sig = 9);
  // Waits for the end, at most `timeout` (then kills it and sets timed_out).
  ProcessExit wait(std::chrono::milliseconds timeout = std::chrono::minutes(5));
  // Reaps it if it has ended (then true); never blocks.
  bool finished();
  // What it has written to stderr so far (to act at a moment it announces).
  std::string err_so_far() const;

 private:
  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point started_;
  std::filesystem::path out_path_, err_path_;
  std::optional<ProcessExit> exit_;
  long peak_kib_ = 0;
  std::filesystem::path exe_;
  void sample_memory();
};

// Runs to the end (bounded by `timeout`).
ProcessExit run_process(const std::vector<std::string>& argv, const SpawnOptions& options = {},
                        std::chrono::milliseconds timeout = std::chrono::minutes(5));

// Every regular file, directory and symlink below `dir`, as paths relative to it, sorted.
std::vector<std::string> tree_of(const std::filesystem::path& dir);

}  // namespace ifx::test
