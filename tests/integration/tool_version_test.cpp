// Every tool answers --version (and InfluxDB's spelling -version) with its name, the project's
// version and the git revision it was built from, on stdout, exit code 0, doing nothing else.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/child_process.hpp"
#include "support/run.hpp"

namespace {

TEST(ToolVersion, EveryToolNamesItsVersionAndRevision) {
  const std::filesystem::path source = std::filesystem::path(IFX_DOCS_DIR).parent_path();
  const auto git = ifx::test::run_command({"git", "-C", source.string(), "rev-parse", "--short=12", "HEAD"});
  // Outside a git checkout the build says "unknown".
  const std::string revision = git.exit_code == 0 ? git.out.substr(0, git.out.find('\n')) : "unknown";
  for (const char* name :
       {"ifx-backup", "ifx-restore", "ifx-inspect", "ifx-verify", "ifx-export", "ifx-convert", "ifx-prune", "ifx-diff"})
    for (const char* flag : {"--version", "-version"}) {
      const auto r = ifx::test::run_command({ifx::test::tool(name), flag});
      EXPECT_EQ(r.exit_code, 0) << name << " " << flag << ": " << r.err;
      EXPECT_EQ(r.out, std::string(name) + " 0.1.0 (git " + revision + ")\n") << name << " " << flag;
      EXPECT_EQ(r.err, "") << name;
    }
}

}  // namespace
