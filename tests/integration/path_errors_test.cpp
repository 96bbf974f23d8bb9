// What ifx-verify, ifx-inspect and ifx-restore say when the backup directory cannot be read: a
// path that does not exist, one under a file, and one this user may not enter are told apart;
// and a scratch directory that cannot be written means the backup could not be checked (the I/O
// exit code), not that it is invalid. The tests run as root, who may enter anything, so the
// permission case runs the tools as `nobody` (setpriv); a path under a file (ENOTDIR) stands in
// for an unwritable scratch directory, which root cannot otherwise meet.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/paths.hpp"
#include "support/run.hpp"

namespace {

namespace fs = std::filesystem;
using ifx::test::Ran;
using ifx::test::run_command;
using ifx::test::ScratchDir;

using ifx::test::tool;

// Each tool's command line reading `dir` (ifx-restore a portable dry run: it changes nothing and
// reads the backup before it looks for a server).
std::vector<std::vector<std::string>> command_lines(const fs::path& dir) {
  return {{tool("ifx-verify"), dir.string()},
          {tool("ifx-inspect"), dir.string()},
          {tool("ifx-restore"), "-portable", "--dry-run", dir.string()}};
}

std::string described(const std::vector<std::string>& argv, const Ran& r) {
  std::string s;
  for (const auto& a : argv) s += a + " ";
  return s + "→ exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

TEST(PathErrors, MissingPathAndPathUnderAFileDoNotExist) {
  ScratchDir s("path-errors");
  ifx::test::write_file(s / "a-file", "x");
  for (const fs::path& dir : {s / "does-not-exist", s / "a-file" / "backup"})
    for (const auto& argv : command_lines(dir)) {
      const Ran r = run_command(argv);
      EXPECT_NE(r.exit_code, 0) << described(argv, r);
      EXPECT_NE(r.err.find(dir.string() + ": does not exist"), std::string::npos) << described(argv, r);
      EXPECT_EQ(r.err.find("permission denied"), std::string::npos) << described(argv, r);
    }
}

TEST(PathErrors, PathThisUserMayNotEnterIsPermissionDenied) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch to nobody";
  if (!fs::exists("/usr/bin/setpriv")) GTEST_SKIP() << "setpriv is not installed";
  ScratchDir s("path-errors");
  fs::permissions(s.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
  const fs::path locked = s / "locked";
  fs::create_directory(locked);
  fs::permissions(locked, fs::perms::owner_all);  // root's alone
  fs::copy(ifx::test::fixture("portable-db"), locked / "backup");
  const std::vector<std::string> as_nobody{"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"};
  // The tools must be reachable by nobody for this to say anything.
  auto probe = as_nobody;
  probe.push_back(tool("ifx-verify"));
  probe.push_back("--version");
  if (run_command(probe).exit_code != 0) GTEST_SKIP() << "nobody cannot run the built tools here";

  for (const fs::path& dir : {locked / "backup", locked})
    for (const auto& cmd : command_lines(dir)) {
      auto argv = as_nobody;
      argv.insert(argv.end(), cmd.begin(), cmd.end());
      const Ran r = run_command(argv);
      EXPECT_NE(r.exit_code, 0) << described(argv, r);
      EXPECT_NE(r.err.find(dir.string() + ": permission denied"), std::string::npos) << described(argv, r);
      EXPECT_EQ(r.err.find("does not exist"), std::string::npos) << described(argv, r);
    }
}

TEST(PathErrors, UnwritableScratchDirectoryCouldNotCheckNotInvalid) {
  ScratchDir s("path-errors");
  ifx::test::write_file(s / "a-file", "x");
  const std::string scratch = (s / "a-file" / "scratch").string();
  const std::string backup = ifx::test::fixture("portable-db").string();

  const std::vector<std::string> verify{tool("ifx-verify"), "--scratch-dir", scratch, backup};
  const Ran v = run_command(verify);
  EXPECT_EQ(v.exit_code, 2) << described(verify, v);  // the I/O exit code, as --help says
  EXPECT_NE(v.err.find("could not check"), std::string::npos) << described(verify, v);
  EXPECT_EQ(v.out.find("INVALID"), std::string::npos) << described(verify, v);

  // ifx-restore's verification says the same and does not call the backup damaged.
  const std::vector<std::string> restore{tool("ifx-restore"), "-portable", "--dry-run",
                                         "--scratch-dir",     scratch,     backup};
  const Ran r = run_command(restore);
  EXPECT_EQ(r.exit_code, 1) << described(restore, r);
  EXPECT_NE(r.err.find("could not check"), std::string::npos) << described(restore, r);
  EXPECT_EQ(r.err.find("damaged"), std::string::npos) << described(restore, r);
}

}  // namespace
