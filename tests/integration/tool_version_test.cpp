// Every tool answers --version (and InfluxDB's spelling -version) with its name, the project's
// version and the git revision it was built from (a commit of this checkout: the build may be
// older than HEAD), on stdout, exit code 0, doing nothing else.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/child_process.hpp"
#include "support/run.hpp"

namespace {

TEST(ToolVersion, EveryToolNamesItsVersionAndRevision) {
  const std::filesystem::path source = std::filesystem::path(IFX_DOCS_DIR).parent_path();
  const bool checkout = ifx::test::run_command({"git", "-C", source.string(), "rev-parse", "HEAD"}).exit_code == 0;
  for (const char* name :
       {"ifx-backup", "ifx-restore", "ifx-inspect", "ifx-verify", "ifx-export", "ifx-convert", "ifx-prune", "ifx-diff"})
    for (const char* flag : {"--version", "-version"}) {
      const auto r = ifx::test::run_command({ifx::test::tool(name), flag});
      EXPECT_EQ(r.exit_code, 0) << name << " " << flag << ": " << r.err;
      const std::string prefix = std::string(name) + " 0.1.0 (git ";
      ASSERT_TRUE(r.out.starts_with(prefix) && r.out.ends_with(")\n")) << r.out;
      const std::string revision = r.out.substr(prefix.size(), r.out.size() - prefix.size() - 2);
      if (!checkout) {
        EXPECT_EQ(revision, "unknown");
        continue;
      }
      EXPECT_EQ(revision.size(), 12u) << r.out;
      EXPECT_EQ(
          ifx::test::run_command({"git", "-C", source.string(), "cat-file", "-e", revision + "^{commit}"}).exit_code, 0)
          << revision << " is no commit of " << source;
      EXPECT_EQ(r.err, "") << name;
    }
}

}  // namespace
